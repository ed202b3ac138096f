"""Triage reads, access-checked."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models.functions import TruncMonth

from townsquare.accounts.policies import can_view_case
from townsquare.accounts.principal import Principal
from townsquare.triage import policies
from townsquare.triage.models import PrivateOriginal, SuggestionDecision


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
