"""Reads for the staff case page: attachments, related cases, duplicates and their candidates.

Every function takes a case the caller already fetched with case_get_for_user (so access has
been checked) and the principal, and returns only cases of the same council.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db.models import Q

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.cases import policies as case_policies
from townsquare.cases.models import Attachment, Case, CaseLink
from townsquare.cases.selectors import case_ids_within_radius
from townsquare.core.errors import NotFound
from townsquare.geo.points import Point, distance_m

# How far to look for possible duplicates of a report, and how many to offer.
DUPLICATE_RADIUS_M = 250
DUPLICATE_SUGGESTIONS = 5


@dataclass(frozen=True)
class CaseSummary:
    id: int
    reference: str
    title: str
    state: str
    is_open: bool
    address: str
    created_at: object
    distance_m: float | None = None


def _summaries(qs) -> list[CaseSummary]:
    return [
        CaseSummary(
            id=c["id"],
            reference=c["reference"],
            title=c["title"],
            state=c["state"],
            is_open=c["is_open"],
            address=c["address"],
            created_at=c["created_at"],
        )
        for c in qs.values("id", "reference", "title", "state", "is_open", "address", "created_at")
    ]


def case_attachment(*, principal: Principal, reference: str, attachment_id: int) -> Attachment:
    """A stored file of a case, for downloading: NotFound unless the principal may see the case
    and the file (cases.policies.can_see_attachment: for anything but a photo, the case's
    papers, ADR 24; for an internal file, personal data, ADR 152)."""
    attachment = (
        Attachment.objects.select_related("case")
        .filter(id=attachment_id, case__reference=reference)
        .exclude(file="")
        .first()
    )
    if attachment is None or not policies.can_view_case(principal, attachment.case.council_id):
        raise NotFound("No such file")
    if not case_policies.can_see_attachment(
        principal,
        attachment.case,
        is_public=attachment.is_public,
        is_document=not attachment.content_type.startswith("image/"),
    ):
        raise NotFound("No such file")
    return attachment


def applicant_attachment(*, case: Case, attachment_id: int) -> Attachment:
    """A stored file of the applicant's own application (pass a case from applicant_case_get):
    everything stored on it is what they sent, documents and photos alike."""
    attachment = Attachment.objects.filter(id=attachment_id, case=case).exclude(file="").first()
    if attachment is None:
        raise NotFound("No such file")
    return attachment


def related_cases(*, case: Case) -> list[CaseSummary]:
    ids = set()
    for first, second in CaseLink.objects.filter(Q(first=case) | Q(second=case)).values_list(
        "first_id", "second_id"
    ):
        ids.add(second if first == case.pk else first)
    return _summaries(
        Case.objects.filter(id__in=ids, council_id=case.council_id).order_by("created_at")
    )


def duplicates_of(*, case: Case) -> list[CaseSummary]:
    return _summaries(Case.objects.filter(duplicate_of=case).order_by("created_at"))


def duplicate_candidates(*, case: Case) -> list[CaseSummary]:
    """Open reports of the same service near this one, nearest first: likely duplicates."""
    if case.lat is None or case.lng is None or not case.is_open:
        return []
    center = Point(case.lat, case.lng)
    scope = Case.objects.filter(
        council_id=case.council_id,
        service_id=case.service_id,
        is_open=True,
        duplicate_of__isnull=True,
    ).exclude(pk=case.pk)
    ids = case_ids_within_radius(center=center, radius_m=DUPLICATE_RADIUS_M, queryset=scope)[
        :DUPLICATE_SUGGESTIONS
    ]
    rows = {
        r["id"]: r
        for r in Case.objects.filter(id__in=ids).values(
            "id", "reference", "title", "state", "is_open", "address", "created_at", "lat", "lng"
        )
    }
    return [
        CaseSummary(
            id=r["id"],
            reference=r["reference"],
            title=r["title"],
            state=r["state"],
            is_open=r["is_open"],
            address=r["address"],
            created_at=r["created_at"],
            # Found by distance, so they have a position.
            distance_m=round(
                distance_m(center, Point(cast(float, r["lat"]), cast(float, r["lng"])))
            ),
        )
        for r in (rows[i] for i in ids)
    ]


def case_by_reference_in_council(*, principal: Principal, reference: str, council_id: int) -> Case:
    case = Case.objects.filter(reference=reference.strip().upper(), council_id=council_id).first()
    if case is None or not policies.can_view_case(principal, council_id):
        raise NotFound(f"No case {reference.strip()[:30]!r} in this council")
    return case
