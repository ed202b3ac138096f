"""Reads of consultations, access-checked: the public sees no draft and nothing personal;
staff see their own councils' consultations only.

Counts over every response (results, theme and ward counts) are GROUP BY queries, kept per
consultation while its newest event id stays the same (core.caching.StampedValues): every
response, tag and mark appends an event, so a count is never stale."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch

from townsquare.accounts.principal import Principal
from townsquare.catalogue.models import ServiceTemplateVersion
from townsquare.consultations import policies
from townsquare.consultations.models import (
    Answer,
    Consultation,
    OutcomeChange,
    Question,
    QuestionKind,
    Response,
    ResponseTheme,
    State,
    Theme,
)
from townsquare.consultations.questions import (
    FREE_TEXT_KINDS,
    STATEMENT_VOTES,
    label_in,
    options_in,
)
from townsquare.core.caching import StampedValues
from townsquare.core.errors import NotFound, PermissionDenied
from townsquare.core.models import Event
from townsquare.councils.models import Council


def text_in(consultation: Consultation, name: str, language: str) -> str:
    """A consultation's text (`title`, `summary`, `outcome`) in the language, English when
    it has no Welsh."""
    return (getattr(consultation, f"{name}_cy") if language == "cy" else "") or getattr(
        consultation, name
    )


def consultations_public(*, council: Council | None = None) -> list[Consultation]:
    """Every consultation that is not a draft, the open ones first."""
    qs = Consultation.objects.exclude(state=State.DRAFT).select_related("council")
    if council is not None:
        qs = qs.filter(council=council)
    order = {State.OPEN: 0, State.PUBLISHED: 1, State.ANALYSIS: 2, State.CLOSED: 3}
    return sorted(qs, key=lambda c: (order.get(State(c.state), 9), -c.opens_on.toordinal()))


def consultation_public_get(*, council_slug: str, slug: str) -> Consultation:
    found = (
        Consultation.objects.exclude(state=State.DRAFT)
        .select_related("council", "service")
        .filter(council__slug=council_slug, slug=slug)
        .first()
    )
    if found is None:
        raise NotFound("No such consultation")
    return found


def consultations_of_council(*, principal: Principal, council: Council) -> list[Consultation]:
    if not policies.can_view_consultations(principal, council.pk):
        raise PermissionDenied("Not staff of this council")
    return list(Consultation.objects.filter(council=council).order_by("-created_at"))


def consultation_for_staff(
    *, principal: Principal, council: Council, consultation_id: int
) -> Consultation:
    """One of the council's consultations; another council's answers NotFound (ADR 150)."""
    if not policies.can_view_consultations(principal, council.pk):
        raise PermissionDenied("Not staff of this council")
    found = (
        Consultation.objects.select_related("council", "service")
        .filter(pk=consultation_id, council=council)
        .first()
    )
    if found is None:
        raise NotFound("No such consultation")
    return found


def questions_of(*, consultation: Consultation) -> list[Question]:
    return list(consultation.questions.all())


def response_for_staff(*, consultation: Consultation, number: int) -> Response:
    found = (
        Response.objects.select_related("consultation")
        .filter(consultation=consultation, number=number)
        .first()
    )
    if found is None:
        raise NotFound("No such response")
    return found


def answer_for_staff(*, response: Response, question_code: str) -> Answer:
    found = (
        Answer.objects.select_related("question__consultation", "response")
        .filter(response=response, question__code=question_code)
        .first()
    )
    if found is None:
        raise NotFound("No such answer")
    return found


def themes_of(*, consultation: Consultation) -> list[Theme]:
    return list(consultation.themes.all())


def _stamp(consultation: Consultation) -> int:
    return (
        Event.objects.filter(stream="consultation", stream_id=consultation.pk)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


_counts: StampedValues = StampedValues(size=200)


@dataclass(frozen=True)
class Analysis:
    responses: int
    considered: int
    unconfirmed: int
    by_theme: list[tuple[Theme, int]]
    untagged: int
    by_ward: list[tuple[str, int]]

    @property
    def waiting(self) -> int:
        return self.responses - self.considered


def analysis_get(*, consultation: Consultation) -> Analysis:
    """Counts for the staff analysis: responses, considered, by theme and by ward."""
    return _counts.get(
        ("analysis", consultation.pk),
        stamp=_stamp(consultation),
        compute=lambda: _analysis_build(consultation),
    )


def _analysis_build(consultation: Consultation) -> Analysis:
    counted = Response.objects.filter(consultation=consultation, confirmed=True)
    totals = counted.aggregate(n=Count("id"), considered=Count("id", filter=_q(considered=True)))
    unconfirmed = Response.objects.filter(consultation=consultation, confirmed=False).count()
    themes = {t.pk: t for t in consultation.themes.all()}
    theme_counts = dict(
        ResponseTheme.objects.filter(theme__consultation=consultation, response__confirmed=True)
        .values("theme_id")
        .annotate(n=Count("id"))
        .values_list("theme_id", "n")
    )
    tagged = (
        ResponseTheme.objects.filter(theme__consultation=consultation, response__confirmed=True)
        .values("response_id")
        .distinct()
        .count()
    )
    wards = list(counted.values("area__name").annotate(n=Count("id")).order_by("-n", "area__name"))
    return Analysis(
        responses=totals["n"],
        considered=totals["considered"],
        unconfirmed=unconfirmed,
        by_theme=sorted(
            ((t, theme_counts.get(pk, 0)) for pk, t in themes.items()),
            key=lambda pair: (-pair[1], pair[0].name),
        ),
        untagged=totals["n"] - tagged,
        by_ward=[(w["area__name"] or "", w["n"]) for w in wards],
    )


def _q(**kwargs: Any):
    from django.db.models import Q

    return Q(**kwargs)


@dataclass
class ResponseRow:
    response: Response
    # (question, the answer in words, its text as published, "" if not)
    answers: list[tuple[Question, str, str]]
    theme_ids: set[int]


RESPONSES_PER_PAGE = 25


def responses_page(
    *,
    consultation: Consultation,
    page: int = 1,
    theme_id: int | None = None,
    waiting_only: bool = False,
) -> tuple[list[ResponseRow], int]:
    """One page of responses for staff to read, tag and mark, with the number of pages
    (a fixed number of queries whatever the page size)."""
    qs = Response.objects.filter(consultation=consultation, confirmed=True).select_related("area")
    if theme_id is not None:
        qs = qs.filter(tags__theme_id=theme_id)
    if waiting_only:
        qs = qs.filter(considered=False)
    total = qs.count()
    pages = max(1, -(-total // RESPONSES_PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * RESPONSES_PER_PAGE
    rows = list(
        qs.order_by("number").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("question")),
            Prefetch("tags", queryset=ResponseTheme.objects.only("response_id", "theme_id")),
        )[start : start + RESPONSES_PER_PAGE]
    )
    return [
        ResponseRow(
            response=r,
            answers=[
                (a.question, answer_words(a.question, a.value, "en"), a.published_text)
                for a in sorted(r.answers.all(), key=lambda a: (a.question.order, a.question_id))
            ],
            theme_ids={t.theme_id for t in r.tags.all()},
        )
        for r in rows
    ], pages


def answer_words(question: Question, value: Any, language: str) -> str:
    names = {o["key"]: o["name"] for o in options_in(question, language)}
    if isinstance(value, list):
        return ", ".join(names.get(str(v), str(v)) for v in value)
    return names.get(str(value), str(value))


@dataclass
class QuestionResult:
    question: Question
    label: str
    answered: int
    # (option name, count) for choices and statements, in the options' order; for a ranking
    # (option name, average position), best first.
    counts: list[tuple[str, float]] = field(default_factory=list)
    is_ranking: bool = False


@dataclass
class Results:
    responses: int
    questions: list[QuestionResult]


_VOTE_NAMES = {"en": ("Agree", "Disagree", "Pass"), "cy": ("Cytuno", "Anghytuno", "Pasio")}


def results_get(*, consultation: Consultation, language: str = "en") -> Results:
    """The public results: how many answered each question and how, counted in the database.
    Free-text answers are counted, never shown here."""
    if not policies.is_public(consultation.state):
        raise NotFound("No such consultation")
    return _counts.get(
        ("results", consultation.pk, language),
        stamp=_stamp(consultation),
        compute=lambda: _results_build(consultation, language),
    )


def _results_build(consultation: Consultation, language: str) -> Results:
    questions = list(consultation.questions.all())
    grouped: dict[int, Counter] = {q.pk: Counter() for q in questions}
    for question_id, value, n in (
        Answer.objects.filter(response__consultation=consultation, response__confirmed=True)
        .exclude(question__kind__in=FREE_TEXT_KINDS | {QuestionKind.NUMBER, QuestionKind.POSTCODE})
        .values_list("question_id", "value")
        .annotate(n=Count("id"))
    ):
        grouped[question_id][_hashable(value)] += n
    answered = dict(
        Answer.objects.filter(response__consultation=consultation, response__confirmed=True)
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    )
    responses = Response.objects.filter(consultation=consultation, confirmed=True).count()
    results = []
    for q in questions:
        result = QuestionResult(
            question=q, label=label_in(q, language), answered=answered.get(q.pk, 0)
        )
        seen = grouped[q.pk]
        if q.kind == QuestionKind.STATEMENT:
            result.counts = [
                (name, seen.get(vote, 0))
                for vote, name in zip(STATEMENT_VOTES, _VOTE_NAMES[language], strict=True)
            ]
        elif q.kind == QuestionKind.RANKING:
            positions: Counter = Counter()
            for order, n in seen.items():
                for i, key in enumerate(order):
                    positions[key] += (i + 1) * n
            total = sum(seen.values())
            result.is_ranking = True
            result.counts = sorted(
                (
                    (o["name"], round(positions[o["key"]] / total, 1) if total else 0.0)
                    for o in options_in(q, language)
                ),
                key=lambda pair: pair[1],
            )
        elif q.kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
            per_key: Counter = Counter()
            for value, n in seen.items():
                for key in value if isinstance(value, tuple) else (value,):
                    per_key[key] += n
            result.counts = [(o["name"], per_key.get(o["key"], 0)) for o in options_in(q, language)]
        results.append(result)
    return Results(responses=responses, questions=results)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class ChangeView:
    change: OutcomeChange
    you_said: str
    we_did: str
    version: ServiceTemplateVersion | None
    service_id: int | None
    service_name: str
    version_number: int | None


def outcome_changes(*, consultation: Consultation, language: str = "en") -> list[ChangeView]:
    """What changed, each with the service template version it led to."""
    rows = consultation.changes.select_related("version__template").order_by("id")
    return [
        ChangeView(
            change=c,
            you_said=(c.you_said_cy if language == "cy" else "") or c.you_said,
            we_did=(c.we_did_cy if language == "cy" else "") or c.we_did,
            version=c.version,
            service_id=c.version.template_id if c.version else None,
            service_name=c.version.template.name if c.version else "",
            version_number=c.version.number if c.version else None,
        )
        for c in rows
    ]


def service_versions_of_council(*, council: Council) -> list[ServiceTemplateVersion]:
    """Every version of the council's services, newest first, for linking a change."""
    return list(
        ServiceTemplateVersion.objects.filter(template__council=council)
        .select_related("template")
        .order_by("template__name", "-number")
    )


# -- open results (ADR 211) ------------------------------------------------------------------

# The columns of the open results, named one by one: a field added to Response later is not
# published until someone adds it here on purpose. Never user_id, email, person_digest,
# confirm_token nor who considered it.
OPEN_RESULT_COLUMNS = ("consultation", "response", "ward", "submitted_on")


def open_results_columns(*, consultation: Consultation) -> list[str]:
    return [*OPEN_RESULT_COLUMNS, *(q.code for q in consultation.questions.all())]


def open_results_rows(*, consultation: Consultation, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every counted response as open data, without personal fields: choices as their keys,
    numbers as numbers, free text only where the council published it (with personal data
    removed), otherwise left out; the date, never the time, of answering."""
    if not policies.is_public(consultation.state) or consultation.state == State.OPEN:
        raise NotFound("Results are published once the consultation has closed")
    questions = {q.pk: q for q in consultation.questions.all()}
    ward_names = dict(consultation.council.areas.values_list("pk", "name"))
    last = 0
    while True:
        chunk = list(
            Response.objects.filter(consultation=consultation, confirmed=True, number__gt=last)
            .order_by("number")
            .values_list("pk", "number", "area_id", "created_at")[:batch]
        )
        if not chunk:
            return
        by_response: dict[int, dict[str, Any]] = {pk: {} for pk, *_ in chunk}
        for response_id, question_id, value, text in Answer.objects.filter(
            response_id__in=list(by_response)
        ).values_list("response_id", "question_id", "value", "published_text"):
            question = questions[question_id]
            if question.kind == QuestionKind.POSTCODE:
                continue  # where someone lives, to the house: personal
            if question.kind in FREE_TEXT_KINDS:
                if not (question.publish_text and text):
                    continue
                value = text
            by_response[response_id][question.code] = value
        for pk, number, area_id, created_at in chunk:
            yield {
                "consultation": consultation.slug,
                "response": number,
                "ward": ward_names.get(area_id, ""),
                "submitted_on": _day(created_at),
                **by_response[pk],
            }
        last = chunk[-1][1]


def _day(moment: dt.datetime) -> str:
    return moment.date().isoformat()


# -- opinion groups (ADR 212) ----------------------------------------------------------------

OPINION_SEED = 20


@dataclass(frozen=True)
class StatementShare:
    label: str
    percent: int
    others_percent: int


@dataclass(frozen=True)
class GroupView:
    number: int
    size: int
    distinctive: list[StatementShare]


@dataclass(frozen=True)
class OpinionView:
    participants: int
    groups: list[GroupView]
    common_ground: list[StatementShare]
    seed: int


def statement_votes(*, consultation: Consultation) -> tuple[list[Question], Any]:
    """The agree / disagree / pass statements and everyone's votes on them, as a matrix
    (people x statements: 1, -1, 0) for the opinion groups."""
    import numpy as np

    from townsquare.consultations.questions import VOTE_SCORE

    statements = [q for q in consultation.questions.all() if q.kind == QuestionKind.STATEMENT]
    column = {q.pk: i for i, q in enumerate(statements)}
    rows: dict[int, int] = {}
    cells: list[tuple[int, int, float]] = []
    for response_id, question_id, value in Answer.objects.filter(
        response__consultation=consultation,
        response__confirmed=True,
        question_id__in=list(column),
    ).values_list("response_id", "question_id", "value"):
        row = rows.setdefault(response_id, len(rows))
        cells.append((row, column[question_id], VOTE_SCORE.get(value, 0.0)))
    matrix = np.zeros((len(rows), len(statements)))
    if cells:
        r, c, v = zip(*cells, strict=True)
        matrix[list(r), list(c)] = v
    return statements, matrix


def opinion_groups_get(
    *, consultation: Consultation, language: str = "en", seed: int = OPINION_SEED
) -> OpinionView | None:
    """Opinion groups on the consultation's statements, the same for the same votes and seed;
    None with too few statements or people."""
    if not policies.is_public(consultation.state):
        raise NotFound("No such consultation")
    return _counts.get(
        ("opinion", consultation.pk, language, seed),
        stamp=_stamp(consultation),
        compute=lambda: _opinion_build(consultation, language, seed),
    )


def _opinion_build(consultation: Consultation, language: str, seed: int) -> OpinionView | None:
    from townsquare.consultations.opinion import opinion_groups

    statements, matrix = statement_votes(consultation=consultation)
    found = opinion_groups(matrix, seed=seed)
    if found is None:
        return None
    labels = [label_in(q, language) for q in statements]
    return OpinionView(
        participants=found.participants,
        groups=[
            GroupView(
                number=g.number,
                size=g.size,
                distinctive=[
                    StatementShare(
                        labels[s.index], round(100 * s.agree), round(100 * s.others_agree)
                    )
                    for s in g.distinctive
                ],
            )
            for g in found.groups
        ],
        common_ground=[
            StatementShare(labels[i], round(100 * lowest), 0) for i, lowest in found.common_ground
        ],
        seed=found.seed,
    )
