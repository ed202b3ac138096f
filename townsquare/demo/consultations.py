"""The demo's consultations, in Bristol: one that ran its whole course (draft, open, closed,
analysed, outcome published) and changed the street light service, whose figures before and
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
from townsquare.core.actors import Actor
from townsquare.councils.models import Council

FINISHED = "street-lights"
OPEN = "garden-waste-collections-2027"

_BIN_STATEMENTS = [
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


_LIGHT_STATEMENTS = [
    (
        "dimming",
        "Street lights should be dimmed after midnight to save energy",
        "Dylid pylu goleuadau stryd ar ôl hanner nos i arbed ynni",
    ),
    (
        "tell-me",
        "I want to hear when a light I reported is fixed",
        "Rwyf eisiau clywed pan fydd golau y rhoddais wybod amdano wedi'i drwsio",
    ),
    (
        "off",
        "Some lights on quiet roads could be switched off at night",
        "Gellid diffodd rhai goleuadau ar ffyrdd tawel yn y nos",
    ),
    (
        "parks",
        "Paths through parks should be lit all night",
        "Dylid goleuo llwybrau drwy barciau drwy'r nos",
    ),
    (
        "led",
        "Every street light should be changed to LED, whatever it costs",
        "Dylid newid pob golau stryd i LED, beth bynnag y gost",
    ),
]
_LIGHT_PRIORITY = {
    "fixing-a-broken-light-quickly": 0.5,
    "knowing-when-it-will-be-fixed": 0.8,
    "fewer-lights-going-out": 1.0,
}
# Two camps each: they agree on the second statement and differ on the rest.
_BIN_LEANINGS = (
    {"weekly": 0.9, "text-alert": 0.7, "fine": 0.2, "fortnightly": 0.3, "pay": 0.15},
    {"weekly": 0.8, "text-alert": 0.75, "fine": 0.8, "fortnightly": 0.7, "pay": 0.85},
)
_LIGHT_LEANINGS = (
    {"dimming": 0.85, "tell-me": 0.9, "off": 0.75, "parks": 0.2, "led": 0.3},
    {"dimming": 0.15, "tell-me": 0.85, "off": 0.1, "parks": 0.85, "led": 0.8},
)


def demo_consultations_ensure(*, councils: list[Council], say) -> None:
    bristol = next((c for c in councils if c.slug == "bristol"), None)
    if bristol is None:
        return
    actor = Principal.system("Demo loader")
    if not Consultation.objects.filter(council=bristol, slug=FINISHED).exists():
        _finished(bristol, actor)
        say("Consultation ready: broken street lights (outcome published)\n")
    if not Consultation.objects.filter(council=bristol, slug=OPEN).exists():
        _open(bristol, actor)
        say("Consultation ready: garden waste collections 2027 (open)\n")


def _statements(consultation: Consultation, actor: Principal, statements) -> None:
    for code, en, cy in statements:
        question_add(
            consultation=consultation,
            kind=QuestionKind.STATEMENT,
            code=code,
            label=en,
            label_cy=cy,
            actor=actor,
        )


def _votes(rng: random.Random, leaning: dict[str, float]) -> dict[str, str]:
    votes = {}
    for code, agree in leaning.items():
        roll = rng.random()
        votes[code] = "pass" if roll > 0.92 else ("agree" if rng.random() < agree else "disagree")
    return votes


def _finished(council: Council, actor: Principal) -> None:
    today = clock.now().date()
    changed_on = today - dt.timedelta(days=60)
    service = ServiceTemplate.objects.filter(council=council, code="street_light").first()
    consultation = consultation_create(
        council=council,
        slug=FINISHED,
        title="Broken street lights: what should change?",
        title_cy="Goleuadau stryd wedi torri: beth ddylai newid?",
        summary=(
            "A broken street light can take a week to fix. Tell us what matters most to you "
            "about street lighting and how we repair it."
        ),
        summary_cy=(
            "Gall gymryd wythnos i drwsio golau stryd sydd wedi torri. Dywedwch wrthym beth sydd "
            "bwysicaf i chi am oleuadau stryd a sut rydym yn eu trwsio."
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
        label="How soon should a broken street light be fixed?",
        label_cy="Pa mor fuan y dylid trwsio golau stryd sydd wedi torri?",
        options=[
            {"name": "The next working day", "name_cy": "Y diwrnod gwaith nesaf"},
            {"name": "Within two working days", "name_cy": "O fewn dau ddiwrnod gwaith"},
            {"name": "Within five working days", "name_cy": "O fewn pum diwrnod gwaith"},
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
            {"name": "Fixing a broken light quickly", "name_cy": "Trwsio golau'n gyflym"},
            {"name": "Knowing when it will be fixed", "name_cy": "Gwybod pryd y caiff ei drwsio"},
            {"name": "Fewer lights going out", "name_cy": "Llai o oleuadau'n diffodd"},
        ],
        actor=actor,
    )
    _statements(consultation, actor, _LIGHT_STATEMENTS)
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
        "The light outside my house was out for two weeks.",
        "The dark path to the bus stop feels unsafe at night.",
        "Please tell us when a light has been fixed.",
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
                            "within-five-working-days",
                        ],
                        weights=[5, 4, 1],
                    )[0],
                    # Fixing quickly comes first most often.
                    "priorities": sorted(
                        _LIGHT_PRIORITY, key=lambda k: rng.random() * _LIGHT_PRIORITY[k]
                    ),
                    "anything-else": rng.choice(remarks),
                    **_votes(rng, _LIGHT_LEANINGS[group]),
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
        for name in ("Speed of repair", "Keeping people informed", "Safety at night")
    }
    for response in Response.objects.filter(consultation=consultation).prefetch_related(
        "answers__question"
    ):
        answers = {a.question.code: a.value for a in response.answers.all()}
        tagged = []
        if answers.get("how-long") == "the-next-working-day":
            tagged.append(themes["Speed of repair"].pk)
        if answers.get("tell-me") == "agree":
            tagged.append(themes["Keeping people informed"].pk)
        if "unsafe" in str(answers.get("anything-else", "")) or answers.get("parks") == "agree":
            tagged.append(themes["Safety at night"].pk)
        response_tag(response=response, theme_ids=tagged, actor=actor)
        response_consider(response=response, considered=True, actor=actor)
    version = None
    if service is not None and service.current_version is not None:
        document = copy.deepcopy(service.current_version.document)
        # Two working days' worth of hours, where it was a week.
        document["sla"] = {**document.get("sla", {}), "close_hours": 72}
        # Published as the council, not the loader: loading the demo again keeps this version.
        version = template_publish(
            council=council, document=document, actor=Actor.system("Street lighting team")
        )
    outcome_change_add(
        consultation=consultation,
        you_said="Fix broken lights sooner: most of you asked for the next working day.",
        you_said_cy=(
            "Trwsio goleuadau wedi torri'n gynt: gofynnodd y rhan fwyaf ohonoch am y diwrnod "
            "gwaith nesaf."
        ),
        we_did="We now aim to fix a broken street light within three days (it was seven).",
        we_did_cy=(
            "Rydym bellach yn anelu at drwsio golau stryd wedi torri o fewn tri diwrnod (saith "
            "oedd e)."
        ),
        version=version,
        changed_on=changed_on,
        actor=actor,
    )
    outcome_publish(
        consultation=consultation,
        outcome=(
            "400 people answered. We read every response. Most wanted broken lights fixed "
            "sooner and to hear when they are, so we changed the street light service."
        ),
        outcome_cy=(
            "Atebodd 400 o bobl. Darllenon ni bob ymateb. Roedd y rhan fwyaf eisiau i "
            "oleuadau wedi torri gael eu trwsio'n gynt ac i glywed pan fyddant, felly newidiom "
            "y gwasanaeth goleuadau stryd."
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
    _statements(consultation, actor, _BIN_STATEMENTS)
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
                    **_votes(rng, _BIN_LEANINGS[0 if rng.random() < 0.5 else 1]),
                },
                "area_id": rng.choice(wards) if wards else None,
            }
            for _ in range(120)
        ],
        actor=actor,
    )
