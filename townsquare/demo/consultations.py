"""The demo's consultations, in Bristol: one that ran its whole course (draft, open, closed,
analysed, outcome published) and changed the missed bin service, whose figures before and
after the change the outcome page shows; and one open now, for people to answer.

Responses are generated with a fixed seed and entered as an import (as paper responses
are), since the finished consultation's dates are in the past. Loading twice changes nothing:
each consultation is made only when the council has none of that name."""

from __future__ import annotations

import copy
import datetime as dt
import random

from townsquare.accounts.principal import Principal
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.services import template_publish
from townsquare.consultations.models import Consultation, QuestionKind, Response
from townsquare.consultations.services import (
    consultation_create,
    consultation_move,
    outcome_change_add,
    outcome_publish,
    question_add,
    response_consider,
    response_tag,
    responses_import,
    theme_add,
)
from townsquare.core import clock
from townsquare.councils.models import Council

FINISHED = "missed-bin-collections"
OPEN = "garden-waste-collections-2027"

_STATEMENTS = [
    (
        "weekly",
        "Food waste should be collected every week",
        "Dylid casglu gwastraff bwyd bob wythnos",
    ),
    (
        "text-alert",
        "I want a text message the day before my collection",
        "Rwyf eisiau neges destun y diwrnod cyn fy nghasgliad",
    ),
    (
        "fine",
        "People who leave bins out all week should be fined",
        "Dylid dirwyo pobl sy'n gadael biniau allan drwy'r wythnos",
    ),
    (
        "fortnightly",
        "Collecting general rubbish every two weeks is fine",
        "Mae casglu sbwriel cyffredinol bob pythefnos yn iawn",
    ),
    (
        "pay",
        "Garden waste should be paid for by those who use it",
        "Dylai'r rhai sy'n defnyddio gwastraff gardd dalu amdano",
    ),
]


def demo_consultations_ensure(*, councils: list[Council], say) -> None:
    bristol = next((c for c in councils if c.slug == "bristol"), None)
    if bristol is None:
        return
    actor = Principal.system("Demo loader")
    if not Consultation.objects.filter(council=bristol, slug=FINISHED).exists():
        _finished(bristol, actor)
        say("Consultation ready: missed bin collections (outcome published)\n")
    if not Consultation.objects.filter(council=bristol, slug=OPEN).exists():
        _open(bristol, actor)
        say("Consultation ready: garden waste collections 2027 (open)\n")


def _statements(consultation: Consultation, actor: Principal) -> None:
    for code, en, cy in _STATEMENTS:
        question_add(
            consultation=consultation,
            kind=QuestionKind.STATEMENT,
            code=code,
            label=en,
            label_cy=cy,
            actor=actor,
        )


def _votes(rng: random.Random, group: int) -> dict[str, str]:
    """Two camps that differ on charging and fines, agree on weekly food waste."""
    leaning = {
        0: {"weekly": 0.9, "text-alert": 0.7, "fine": 0.2, "fortnightly": 0.3, "pay": 0.15},
        1: {"weekly": 0.8, "text-alert": 0.6, "fine": 0.8, "fortnightly": 0.7, "pay": 0.85},
    }[group]
    votes = {}
    for code, agree in leaning.items():
        roll = rng.random()
        votes[code] = "pass" if roll > 0.92 else ("agree" if rng.random() < agree else "disagree")
    return votes


def _finished(council: Council, actor: Principal) -> None:
    today = clock.now().date()
    changed_on = today - dt.timedelta(days=60)
    service = ServiceTemplate.objects.filter(council=council, code="missed_bin").first()
    consultation = consultation_create(
        council=council,
        slug=FINISHED,
        title="Missed bin collections: what should change?",
        title_cy="Casgliadau bin wedi'u methu: beth ddylai newid?",
        summary=(
            "Too many bins are missed, and it takes too long to put it right. Tell us what "
            "matters most to you about collections and reporting a missed bin."
        ),
        summary_cy=(
            "Mae gormod o finiau'n cael eu methu, ac mae'n cymryd gormod o amser i'w unioni. "
            "Dywedwch wrthym beth sydd bwysicaf i chi am gasgliadau a rhoi gwybod am fin wedi'i "
            "fethu."
        ),
        opens_on=today - dt.timedelta(days=150),
        closes_on=today - dt.timedelta(days=100),
        service=service,
        actor=actor,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.SINGLE,
        code="how-long",
        label="How soon should a missed bin be collected?",
        label_cy="Pa mor fuan y dylid casglu bin wedi'i fethu?",
        options=[
            {"name": "The next working day", "name_cy": "Y diwrnod gwaith nesaf"},
            {"name": "Within two working days", "name_cy": "O fewn dau ddiwrnod gwaith"},
            {"name": "Within three working days", "name_cy": "O fewn tri diwrnod gwaith"},
        ],
        required=True,
        actor=actor,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.RANKING,
        code="priorities",
        label="Put these in order of importance to you",
        label_cy="Rhowch y rhain yn nhrefn pwysigrwydd i chi",
        options=[
            {
                "name": "Collecting a missed bin quickly",
                "name_cy": "Casglu bin wedi'i fethu'n gyflym",
            },
            {"name": "Knowing when the crew will come", "name_cy": "Gwybod pryd y daw'r criw"},
            {"name": "Fewer missed bins", "name_cy": "Llai o finiau'n cael eu methu"},
        ],
        actor=actor,
    )
    _statements(consultation, actor)
    question_add(
        consultation=consultation,
        kind=QuestionKind.TEXT,
        code="anything-else",
        label="Anything else you want to tell us?",
        label_cy="Unrhyw beth arall rydych eisiau ei ddweud wrthym?",
        publish_text=True,
        actor=actor,
    )
    consultation = consultation_move(consultation=consultation, to_state="open", actor=actor)
    rng = random.Random(20)
    wards = list(council.areas.values_list("pk", flat=True))
    remarks = [
        "The crew often comes before 7am so the bin is missed.",
        "Please tell us when a collection is delayed.",
        "It took a week to collect my missed recycling.",
        "",
        "",
    ]
    rows = []
    for i in range(400):
        group = 0 if rng.random() < 0.55 else 1
        rows.append(
            {
                "answers": {
                    "how-long": rng.choices(
                        [
                            "the-next-working-day",
                            "within-two-working-days",
                            "within-three-working-days",
                        ],
                        weights=[5, 4, 1],
                    )[0],
                    "priorities": rng.sample(
                        [
                            "collecting-a-missed-bin-quickly",
                            "knowing-when-the-crew-will-come",
                            "fewer-missed-bins",
                        ],
                        3,
                    ),
                    "anything-else": rng.choice(remarks),
                    **_votes(rng, group),
                },
                "area_id": rng.choice(wards) if wards and rng.random() < 0.8 else None,
                "created_at": clock.now() - dt.timedelta(days=150 - i // 8),
            }
        )
    responses_import(consultation=consultation, rows=rows, actor=actor)
    consultation = consultation_move(consultation=consultation, to_state="closed", actor=actor)
    consultation = consultation_move(consultation=consultation, to_state="analysis", actor=actor)
    themes = {
        name: theme_add(consultation=consultation, name=name, actor=actor)
        for name in ("Speed of collection", "Knowing when", "Crew timing")
    }
    for response in Response.objects.filter(consultation=consultation).prefetch_related(
        "answers__question"
    ):
        answers = {a.question.code: a.value for a in response.answers.all()}
        tagged = []
        if answers.get("how-long") == "the-next-working-day":
            tagged.append(themes["Speed of collection"].pk)
        if answers.get("text-alert") == "agree":
            tagged.append(themes["Knowing when"].pk)
        if "7am" in str(answers.get("anything-else", "")):
            tagged.append(themes["Crew timing"].pk)
        response_tag(response=response, theme_ids=tagged, actor=actor)
        response_consider(response=response, considered=True, actor=actor)
    version = None
    if service is not None and service.current_version is not None:
        document = copy.deepcopy(service.current_version.document)
        document["sla"] = {**document.get("sla", {}), "close_hours": 48}
        version = template_publish(council=council, document=document, actor=actor.as_actor())
    outcome_change_add(
        consultation=consultation,
        you_said="Collect a missed bin sooner: most of you asked for the next working day.",
        you_said_cy=(
            "Casglu bin wedi'i fethu'n gynt: gofynnodd y rhan fwyaf ohonoch am y diwrnod gwaith "
            "nesaf."
        ),
        we_did="Missed bins are now collected within two working days (it was three).",
        we_did_cy=(
            "Mae biniau wedi'u methu bellach yn cael eu casglu o fewn dau ddiwrnod gwaith (tri "
            "oedd e)."
        ),
        version=version,
        changed_on=changed_on,
        actor=actor,
    )
    outcome_publish(
        consultation=consultation,
        outcome=(
            "400 people answered. We read every response. Most wanted missed bins collected "
            "sooner and to know when crews will come, so we changed the missed bin service."
        ),
        outcome_cy=(
            "Atebodd 400 o bobl. Darllenon ni bob ymateb. Roedd y rhan fwyaf eisiau i finiau "
            "wedi'u methu gael eu casglu'n gynt ac i wybod pryd y daw criwiau, felly newidiom "
            "y gwasanaeth biniau wedi'u methu."
        ),
        actor=actor,
    )


def _open(council: Council, actor: Principal) -> None:
    today = clock.now().date()
    consultation = consultation_create(
        council=council,
        slug=OPEN,
        title="Garden waste collections in 2027",
        title_cy="Casgliadau gwastraff gardd yn 2027",
        summary="We are planning next year's garden waste collections. Tell us what you think.",
        summary_cy=(
            "Rydym yn cynllunio casgliadau gwastraff gardd y flwyddyn nesaf. Dywedwch wrthym "
            "beth rydych yn ei feddwl."
        ),
        opens_on=today - dt.timedelta(days=7),
        closes_on=today + dt.timedelta(days=60),
        service=ServiceTemplate.objects.filter(council=council, code="garden_waste").first(),
        actor=actor,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.SINGLE,
        code="often",
        label="How often should garden waste be collected?",
        label_cy="Pa mor aml y dylid casglu gwastraff gardd?",
        options=[
            {"name": "Every week", "name_cy": "Bob wythnos"},
            {"name": "Every two weeks", "name_cy": "Bob pythefnos"},
            {"name": "Every four weeks", "name_cy": "Bob pedair wythnos"},
        ],
        required=True,
        actor=actor,
    )
    question_add(
        consultation=consultation,
        kind=QuestionKind.RANKING,
        code="months",
        label="Which months matter most? Put them in order",
        label_cy="Pa fisoedd sydd bwysicaf? Rhowch nhw mewn trefn",
        options=[
            {"name": "Spring", "name_cy": "Gwanwyn"},
            {"name": "Summer", "name_cy": "Haf"},
            {"name": "Autumn", "name_cy": "Hydref"},
        ],
        actor=actor,
    )
    _statements(consultation, actor)
    question_add(
        consultation=consultation,
        kind=QuestionKind.TEXT,
        code="ideas",
        label="Your ideas",
        label_cy="Eich syniadau",
        publish_text=True,
        actor=actor,
    )
    consultation = consultation_move(consultation=consultation, to_state="open", actor=actor)
    rng = random.Random(2027)
    wards = list(council.areas.values_list("pk", flat=True))
    responses_import(
        consultation=consultation,
        rows=[
            {
                "answers": {
                    "often": rng.choice(["every-week", "every-two-weeks", "every-four-weeks"]),
                    **_votes(rng, 0 if rng.random() < 0.5 else 1),
                },
                "area_id": rng.choice(wards) if wards else None,
            }
            for _ in range(120)
        ],
        actor=actor,
    )
