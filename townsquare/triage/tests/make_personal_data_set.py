"""Writes data/personal_data_uk.jsonl: synthetic UK report texts with the personal data in
them labelled by span. Run again only to change the set (it is seeded, so the file is the same
each time): python -m townsquare.triage.tests.make_personal_data_set

Every value is invented: phone numbers from Ofcom's drama ranges (07700 900xxx, 0113 496
0xxx...), NHS numbers with a valid check digit from the 999 test range, card numbers that pass
Luhn from test ranges, names from a list of common UK names. Texts without personal data carry
the numbers reports really hold (lamp-post and bin numbers, years, times, sizes, bus routes,
postcodes of places), so precision is measured where it can fail.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "personal_data_uk.jsonl"

FIRST = [
    "Sarah",
    "John",
    "Aled",
    "Siân",
    "Mohammed",
    "Olivia",
    "Gareth",
    "Priya",
    "Tomasz",
    "Chloe",
    "Rhys",
    "Fatima",
    "David",
    "Emma",
    "Connor",
    "Aisha",
    "Megan",
    "Liam",
]
LAST = [
    "Smith",
    "Jones",
    "Williams",
    "O'Brien",
    "Patel",
    "Khan",
    "Evans",
    "McDonald",
    "Taylor",
    "Davies",
    "Nowak",
    "Ahmed",
    "Hughes",
    "Brown",
    "Clarke-Wood",
    "Wilson",
]
STREETS = [
    "Acacia Avenue",
    "High Street",
    "Kirkstall Road",
    "Mill Lane",
    "Church Close",
    "Victoria Terrace",
    "Park View",
    "Station Road",
    "Elm Grove",
    "Queens Drive",
]
TOWNS = ["Leeds", "Bristol", "Gloucester", "Cardiff", "Bromley", ""]
POSTCODES = [
    "LS6 2AB",
    "BS1 4DJ",
    "GL1 2EH",
    "CF10 1EP",
    "BR1 3UH",
    "LS4 2QW",
    "BS8 1TH",
    "GL4 6BX",
    "LS12 3DP",
]
DOMAINS = ["example.com", "example.co.uk", "mail.example.org", "council-test.gov.uk"]

ISSUES = [
    "There is a pothole outside the school that is getting deeper",
    "The street light by the bus stop has been out for a week",
    "Someone has dumped a mattress and bags of rubbish in the lane",
    "Graffiti has appeared on the wall of the underpass",
    "The bin was not collected on Tuesday again",
    "A tree has fallen across the footpath after the storm",
    "The drain is blocked and the road floods when it rains",
    "Broken glass all over the play area",
    "The pavement is cracked and my neighbour tripped on it",
    "Dog fouling all along the path by the park gates",
]
DISTRACTORS = [
    "Lamp post number {n} is flickering.",
    "It has been like this since {year}.",
    "About {small} metres from the junction.",
    "The {bin} litre bin is split.",
    "Near the number {bus} bus stop.",
    "It happens every night around {hour}:{minute}.",
    "Reported before on {day}/{month}/{year} but nothing happened.",
    "Near the postbox at {postcode}.",
    "Opposite house number {n}.",
    "The hole is about {small}cm deep and {small2}cm wide.",
    "Ref {ref} on the sign.",
    "The speed limit is {speed} mph but cars do 50.",
    "Junction {junction} of the M62.",
    "Outside units {n}-{n2} on the estate.",
    "Over {count} bags dumped.",
    "The sign says call 0800 if in danger.",
    "Costs £{pounds}.{pence} to fix I expect.",
]


def drama_mobile(rng: random.Random) -> str:
    n = f"7700 900{rng.randint(0, 999):03d}"
    return rng.choice(
        [
            f"0{n}",
            f"+44 {n}",
            f"+44{n.replace(' ', '')}",
            f"0{n.replace(' ', '')}",
            f"0{n[:4]} {n[5:8]} {n[8:]}",
            f"+44 (0){n}",
            f"0044 {n}",
            f"0{n[:4]}-{n[5:]}",
        ]
    )


def drama_landline(rng: random.Random) -> str:
    area, local = rng.choice(
        [("113", "496"), ("117", "496"), ("29", "2018"), ("20", "7946"), ("1632", "96")]
    )
    tail = f"{rng.randint(0, 9999):04d}"
    if area == "1632":
        tail = f"{rng.randint(0, 9999):04d}"
    return rng.choice(
        [
            f"0{area} {local} {tail}",
            f"(0{area}) {local} {tail}",
            f"+44 {area} {local} {tail}",
            f"0{area}{local}{tail}",
        ]
    )


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = [9, 9, 9] + [rng.randint(0, 9) for _ in range(6)]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=False))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            s = "".join(map(str, [*digits, check]))
            return rng.choice([f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]}-{s[3:6]}-{s[6:]}"])


def ni_number(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        second = "A"
    d = [f"{rng.randint(0, 99):02d}" for _ in range(3)]
    suffix = rng.choice("ABCD")
    prefix = first + second
    return rng.choice(
        [
            f"{prefix} {d[0]} {d[1]} {d[2]} {suffix}",
            f"{prefix}{''.join(d)}{suffix}",
            f"{prefix.lower()}{''.join(d)}{suffix.lower()}",
        ]
    )


def vehicle(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNOPRSTUVWXY"
    cur = (
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(51, 74) % 100:02d} "
        f"{''.join(rng.choice(letters) for _ in range(3))}"
    )
    return rng.choice(
        [
            cur,
            cur.replace(" ", ""),
            cur.lower(),
            f"{rng.choice(letters)}{rng.randint(1, 999)} "
            f"{''.join(rng.choice(letters) for _ in range(3))}",
        ]
    )


def card(rng: random.Random) -> str:
    prefix = rng.choice(["4111", "5555", "4000", "5105"])
    digits = [int(c) for c in prefix] + [rng.randint(0, 9) for _ in range(11)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return rng.choice(
        [s, f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}", f"{s[:4]}-{s[4:8]}-{s[8:12]}-{s[12:]}"]
    )


def email(rng: random.Random) -> str:
    name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}".lower().replace("'", "").replace("â", "a")
    return rng.choice(
        [f"{name}@{rng.choice(DOMAINS)}", f"{name}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"]
    )


def address(rng: random.Random) -> str:
    street = rng.choice(STREETS)
    town = rng.choice(TOWNS)
    number = rng.choice(
        [
            str(rng.randint(1, 250)),
            f"{rng.randint(1, 99)}a",
            f"Flat {rng.randint(1, 9)}, {rng.randint(1, 90)}",
        ]
    )
    text = f"{number} {street}, {town + ', ' if town else ''}{rng.choice(POSTCODES)}"
    return text.lower() if rng.random() < 0.15 else text


def name(rng: random.Random) -> tuple[str, str]:
    """(lead, name): the lead is not personal data, the name is."""
    lead = rng.choice(["My name is ", "my name is ", "My name's ", "I'm called ", "Name: "])
    full = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return lead, full


LEADS = {
    "phone": ["Please call me on ", "My number is ", "Ring ", "You can text me on ", "Tel: "],
    "email": ["Email me at ", "My email is ", "Contact: ", "reply to "],
    "nhs_number": ["My NHS number is ", "NHS no. ", "(NHS number ", "nhs number: "],
    "ni_number": ["My NI number is ", "National Insurance number ", "NINO "],
    "vehicle_registration": [
        "The car is reg ",
        "A van, registration ",
        "The abandoned car ",
        "Number plate ",
    ],
    "card_number": ["I paid with card ", "Card number ", "charged twice to "],
    "home_address": ["I live at ", "Send it to ", "Address: ", "outside my house at "],
}
MAKERS = {
    "phone": lambda r: drama_mobile(r) if r.random() < 0.6 else drama_landline(r),
    "email": email,
    "nhs_number": nhs_number,
    "ni_number": ni_number,
    "vehicle_registration": vehicle,
    "card_number": card,
    "home_address": address,
}


def distractor(rng: random.Random) -> str:
    return rng.choice(DISTRACTORS).format(
        n=rng.randint(1, 400),
        n2=rng.randint(401, 500),
        year=rng.randint(2015, 2025),
        small=rng.randint(2, 300),
        small2=rng.randint(2, 90),
        bin=rng.choice([140, 240, 360, 1100]),
        bus=rng.randint(1, 120),
        hour=rng.randint(10, 23),
        minute=rng.choice(["00", "15", "30"]),
        day=rng.randint(1, 28),
        month=rng.randint(1, 12),
        postcode=rng.choice(POSTCODES),
        ref=f"{rng.randint(1000, 99999)}",
        speed=rng.choice([20, 30, 40]),
        junction=rng.randint(1, 40),
        count=rng.randint(5, 60),
        pounds=rng.randint(5, 900),
        pence=f"{rng.randint(0, 99):02d}",
    )


def make(rng: random.Random, kinds: list[str]) -> dict:
    text = rng.choice(ISSUES) + ". "
    spans = []
    if rng.random() < 0.6:
        text += distractor(rng) + " "
    for kind in kinds:
        if kind == "name":
            lead, value = name(rng)
            text += lead
        else:
            text += rng.choice(LEADS[kind])
            value = MAKERS[kind](rng)
        spans.append({"kind": kind, "start": len(text), "end": len(text) + len(value)})
        text += value
        text += rng.choice([". ", " ", ", thanks. ", " if you need more. ", ") "])
    if rng.random() < 0.4:
        text += distractor(rng)
    return {"text": text.strip(), "spans": spans}


def main() -> None:
    rng = random.Random(19)
    kinds = [
        "phone",
        "email",
        "nhs_number",
        "ni_number",
        "vehicle_registration",
        "card_number",
        "home_address",
        "name",
    ]
    rows = []
    for kind in kinds:
        for _ in range(30):
            rows.append(make(rng, [kind]))
    for _ in range(40):
        rows.append(make(rng, rng.sample(kinds, 2)))
    for _ in range(100):
        rows.append(make(rng, []))
    rng.shuffle(rows)
    OUT.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    print(f"{len(rows)} texts written to {OUT}")


if __name__ == "__main__":
    main()
