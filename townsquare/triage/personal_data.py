"""Personal data in free text (UK): find it, and make the public copy without it.

Pure rules, no ORM and no model to download: regular expressions for the shapes, then checks
that real identifiers pass (Luhn for card numbers, modulus 11 for NHS numbers, the number
plan for UK phone numbers), so most numbers in reports (lamp-post 23, a 240 litre bin, 2019)
are left alone. Measured on the labelled synthetic texts in tests/data (see
`townsquare triage evaluate` and docs/triage/model-card.md); ADR 201.

What counts, with the label the resident is shown:
- email addresses; UK phone numbers (0..., +44..., 0044...); NHS numbers; National Insurance
  numbers; vehicle registrations (current, prefix and suffix formats); payment card numbers;
  a house number followed within the same address by a postcode (a postcode alone is a
  place, not a person, and stays); "my name is ..." (and "I'm called", "name: ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = "email"
PHONE = "phone"
NHS = "nhs_number"
NI = "ni_number"
VEHICLE = "vehicle_registration"
CARD = "card_number"
ADDRESS = "home_address"
NAME = "name"

KINDS = (EMAIL, PHONE, NHS, NI, VEHICLE, CARD, ADDRESS, NAME)

# What the public copy says in place of each (kept short, and the same in every language: it
# is stored in the text, which is shown to readers of any language).
PLACEHOLDER = {
    EMAIL: "[email address removed]",
    PHONE: "[phone number removed]",
    NHS: "[NHS number removed]",
    NI: "[National Insurance number removed]",
    VEHICLE: "[vehicle registration removed]",
    CARD: "[card number removed]",
    ADDRESS: "[home address removed]",
    NAME: "[name removed]",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


_EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# Any run of digits with the separators people type inside numbers; classified afterwards.
_NUMBER = re.compile(r"(?<![\w+])(?:\+|\(\+?)?\d[\d \-().]{7,24}\d(?!\w)")
_NI = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_VEHICLE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"[A-Z]{2}\d{2}[ ]?[A-Z]{3}"  # current: AB12 CDE
    r"|[A-Z]\d{1,3}[ ]?[A-Z]{3}"  # prefix: A123 BCD
    r"|[A-Z]{3}[ ]?\d{1,3}[A-Z]"  # suffix: ABC 123D
    r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}(?![A-Za-z0-9])", re.IGNORECASE
)
# A house number (12, 12a, Flat 3, 14-16) starting an address that runs into a postcode
# within 80 characters, without a sentence ending between them.
_HOUSE_NUMBER = re.compile(
    r"(?<![\w/.:£$])(?:(?:flat|apartment|unit)\s+\d+[a-z]?,?\s+)?\d{1,4}[a-z]?"
    r"(?:-\d{1,4})?,?\s+(?=[A-Za-z])",
    re.IGNORECASE,
)
_NAME_WORD = r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NAME = re.compile(
    r"(?:\b(?:[Mm]y (?:full )?name is|[Mm]y name's|I'm called|I am called|[Nn]ame:)\s+)"
    rf"((?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?(?:{_NAME_WORD})(?:[ \-](?:{_NAME_WORD})){{0,3}}"
)

# Mobile, geographic and non-geographic UK numbers, national form without the leading 0.
_UK_NATIONAL = re.compile(r"(?:[1-3]\d{8,9}|7\d{9}|8\d{8,9}|9\d{9}|5\d{9})")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _nhs_valid(digits: str) -> bool:
    if len(digits) != 10:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _number_kind(raw: str, before: str) -> str | None:
    digits = re.sub(r"\D", "", raw)
    international = raw.lstrip("(").startswith("+") or digits.startswith("0044")
    if international:
        national = digits[4:] if digits.startswith("0044") else digits
        if national.startswith("44"):
            national = national[2:]
        national = national.removeprefix("0")  # +44 (0)113 ...
        return PHONE if _UK_NATIONAL.fullmatch(national) else None
    context = before[-30:].lower()
    # A valid NHS check digit with "NHS" before it, or spaced as NHS numbers are (3 3 4) and
    # not starting 0 as phone numbers do.
    if (
        len(digits) == 10
        and _nhs_valid(digits)
        and ("nhs" in context or (" " in raw.strip() and not digits.startswith("0")))
    ):
        return NHS
    if (
        digits.startswith("0")
        and not digits.startswith("00")
        and _UK_NATIONAL.fullmatch(digits[1:])
    ):
        return PHONE
    if 13 <= len(digits) <= 19 and _luhn(digits):
        return CARD
    if len(digits) == 10 and _nhs_valid(digits) and "nhs" in context:
        return NHS
    return None


def _trim_number(match: re.Match[str]) -> tuple[int, int]:
    # The pattern may take a trailing bracket or dot that belongs to the sentence.
    start, end = match.span()
    text = match.group()
    while text and text[-1] in ").- ":
        if text[-1] == ")" and "(" in text:
            break
        text = text[:-1]
        end -= 1
    return start, end


def find(text: str) -> list[Finding]:
    """The personal data in `text`, in order, without overlaps (the earlier, then the longer
    finding wins)."""
    found: list[Finding] = []
    for m in _EMAIL.finditer(text):
        found.append(Finding(EMAIL, m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        start, end = _trim_number(m)
        kind = _number_kind(text[start:end], text[:start])
        if kind:
            found.append(Finding(kind, start, end))
    for m in _NI.finditer(text):
        found.append(Finding(NI, m.start(), m.end()))
    for m in _VEHICLE.finditer(text):
        if _looks_like_plate(m.group()):
            found.append(Finding(VEHICLE, m.start(), m.end()))
    for m in _POSTCODE.finditer(text):
        span = _address_before(text, m.start())
        if span is not None:
            found.append(Finding(ADDRESS, span, m.end()))
    for m in _NAME.finditer(text):
        found.append(Finding(NAME, _name_start(m), m.end()))
    return _without_overlaps(found)


def _name_start(m: re.Match[str]) -> int:
    lead = re.match(
        r"(?:[Mm]y (?:full )?name is|[Mm]y name's|I'm called|I am called|[Nn]ame:)\s+", m.group()
    )
    return m.start() + (lead.end() if lead else 0)


_WORDS_NOT_PLATES = re.compile(r"^[A-Za-z]+$")


def _looks_like_plate(raw: str) -> bool:
    compact = raw.replace(" ", "")
    if _WORDS_NOT_PLATES.match(compact):
        return False
    # People write plates in capitals; in lower case only the current format with its space
    # ("ab12 cde") is distinctive enough to take.
    if raw.isupper():
        return True
    return bool(re.fullmatch(r"[a-z]{2}\d{2} [a-z]{3}", raw))


def _address_before(text: str, postcode_start: int) -> int | None:
    window_start = max(0, postcode_start - 80)
    window = text[window_start:postcode_start]
    best = None
    for m in _HOUSE_NUMBER.finditer(window):
        between = window[m.end() :]
        if re.search(r"[.!?](\s|$)", between) or not _looks_like_street(between):
            continue
        best = window_start + m.start()
        break
    return best


_STREET_WORDS = re.compile(
    r"\b(?:road|rd|street|st|avenue|ave|lane|close|drive|way|crescent|place|grove|terrace|"
    r"gardens|court|walk|hill|row|square|mews|view|rise|park|green|parade|mount|vale)\b",
    re.IGNORECASE,
)


def _looks_like_street(between: str) -> bool:
    """What lies between a house number and a postcode reads as a street and town: a few
    capitalised words, or a few words naming a road ("acacia avenue, leeds")."""
    words = between.replace(",", " ").split()
    if not 1 <= len(words) <= 7 or any(ch.isdigit() for ch in between):
        return False
    if all(word[0].isupper() for word in words):
        return True
    return bool(_STREET_WORDS.search(between))


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for finding in found:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


@dataclass(frozen=True)
class Redaction:
    public_text: str
    findings: tuple[Finding, ...]

    @property
    def kinds(self) -> list[str]:
        """The kinds hidden, each once, in the order of KINDS."""
        present = {f.kind for f in self.findings}
        return [kind for kind in KINDS if kind in present]


def redact(text: str) -> Redaction:
    """`text` with each piece of personal data replaced by a placeholder naming its kind."""
    findings = find(text)
    if not findings:
        return Redaction(text, ())
    parts: list[str] = []
    last = 0
    for finding in findings:
        parts.append(text[last : finding.start])
        parts.append(PLACEHOLDER[finding.kind])
        last = finding.end
    parts.append(text[last:])
    return Redaction("".join(parts), tuple(findings))
