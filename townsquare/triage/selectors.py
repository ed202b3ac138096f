"""Triage reads, access-checked."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import TruncMonth

from townsquare.accounts.policies import can_view_case
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.selectors import services_for_council
from townsquare.councils.models import Council
from townsquare.triage import duplicates, policies
from townsquare.triage.models import PrivateOriginal, SuggestionDecision, SuggestionKind
from townsquare.triage.training import model_load


@dataclass(frozen=True)
class Original:
    field: str
    text: str
    kinds: list[str]


def originals_for_staff(*, principal: Principal, case_id: int, council_id: int) -> list[Original]:
    """The words as sent, where the public copy had personal data taken out; nothing for
    someone who may not see the reporter's details."""
    if not policies.can_see_original_text(principal, council_id):
        return []
    rows = PrivateOriginal.objects.filter(case_id=case_id, case__council_id=council_id)
    return [Original(field=r.field, text=r.original, kinds=list(r.kinds)) for r in rows]


@dataclass(frozen=True)
class AcceptanceRate:
    month: dt.date
    kind: str
    accepted: int
    decided: int

    @property
    def rate(self) -> float:
        return self.accepted / self.decided if self.decided else 0.0


def acceptance_rates(*, principal: Principal, council_id: int) -> list[AcceptanceRate]:
    """Per month and kind of suggestion, how many staff decided and how many they accepted;
    newest month first."""
    if not can_view_case(principal, council_id):
        return []
    counts: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        SuggestionDecision.objects.filter(council_id=council_id)
        .annotate(month=TruncMonth("decided_at"))
        .values_list("month", "kind", "accepted")
    )
    for month, kind, accepted in rows:
        day = month.date() if isinstance(month, dt.datetime) else month
        counts[(day, kind)][0] += int(accepted)
        counts[(day, kind)][1] += 1
    return [
        AcceptanceRate(month=m, kind=k, accepted=a, decided=d)
        for (m, k), (a, d) in sorted(
            counts.items(), key=lambda item: (item[0][0], item[0][1]), reverse=True
        )
    ]


@dataclass(frozen=True)
class CategorySuggestion:
    service: ServiceTemplate
    probability: float
    # The words of the description that weighed most: the reason shown beside it.
    words: list[str]


def category_suggestions(
    *, council: Council, text: str, limit: int = 3
) -> list[CategorySuggestion]:
    """The council's public report services likeliest to be what `text` describes (none
    when no model was trained, or the text is empty). Public: only public services."""
    text = text.strip()[:2000]
    model = model_load()
    if model is None or not text:
        return []
    services = {
        s.code: s
        for s in services_for_council(council=council, kind="report", include_private=False)
    }
    return [
        CategorySuggestion(service=services[s.label], probability=s.probability, words=s.words)
        for s in model.suggest(text, limit=limit, allowed=set(services))
    ]


def closed_case_texts(*, limit: int = 200_000) -> list[tuple[str, str]]:
    """What residents wrote on closed reports, with the service they ended under: for
    retraining on each council's own words. Duplicates and test cases are left out."""
    rows = (
        Case.objects.filter(kind="report", is_open=False, is_test=False, duplicate_of__isnull=True)
        .exclude(description="")
        .order_by("-id")
        .values_list("title", "description", "service__code")[:limit]
    )
    return [(f"{title} {description}".strip(), code) for title, description, code in rows]


@dataclass(frozen=True)
class DuplicateSuggestion:
    reference: str
    title: str
    state: str
    is_open: bool
    score: float
    distance_m: float
    days_before: float
    shared_words: list[str]
    same_service: bool


def duplicate_suggestions(*, principal: Principal, case: Case) -> list[DuplicateSuggestion]:
    """Earlier reports in the case's council that this one likely repeats, ranked by place,
    time, words and service together (triage.duplicates), best first, at most three; without
    those staff already said were not duplicates of it."""
    if not can_view_case(principal, case.council_id) or case.lat is None or case.lng is None:
        return []
    if case.duplicate_of_id is not None:
        return []
    # A box a little larger than the radius; the score measures the distance itself.
    dlat = duplicates.RADIUS_M / 111_000
    dlng = dlat / max(0.2, math.cos(math.radians(case.lat)))
    since = case.created_at - dt.timedelta(days=duplicates.WINDOW_DAYS)
    rejected = set(
        SuggestionDecision.objects.filter(
            case=case, kind=SuggestionKind.DUPLICATE, accepted=False
        ).values_list("suggested", flat=True)
    )
    rows = list(
        Case.objects.filter(
            council_id=case.council_id,
            kind="report",
            duplicate_of__isnull=True,
            created_at__gte=since,
            created_at__lte=case.created_at,
            lat__range=(case.lat - dlat, case.lat + dlat),
            lng__range=(case.lng - dlng, case.lng + dlng),
        )
        .filter(Q(is_open=True) | Q(closed_at__gte=case.created_at))
        .exclude(pk=case.pk)
        .exclude(reference__in=rejected)
        .values(
            "id",
            "reference",
            "title",
            "description",
            "state",
            "is_open",
            "lat",
            "lng",
            "created_at",
            "service__code",
        )[:500]
    )
    new = _as_report(
        case.id,
        case.lat,
        case.lng,
        case.created_at,
        case.service.code,
        f"{case.title} {case.description}",
    )
    by_id = {r["id"]: r for r in rows}
    ranked = duplicates.rank(
        new,
        [
            _as_report(
                r["id"],
                r["lat"],
                r["lng"],
                r["created_at"],
                r["service__code"],
                f"{r['title']} {r['description']}",
            )
            for r in rows
        ],
    )
    return [
        DuplicateSuggestion(
            reference=by_id[m.key]["reference"],
            title=by_id[m.key]["title"],
            state=by_id[m.key]["state"],
            is_open=by_id[m.key]["is_open"],
            score=m.score,
            distance_m=m.distance_m,
            days_before=m.days_before,
            shared_words=m.shared_words,
            same_service=m.same_service,
        )
        for m in ranked
    ]


def _as_report(key, lat, lng, at, service, text) -> duplicates.Report:
    return duplicates.Report(
        key=key, lat=lat, lng=lng, at=at, service=service, words=duplicates.words_of(text)
    )
