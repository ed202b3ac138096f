"""Triage writes: keep the original of redacted text, record staff decisions on suggestions."""

from __future__ import annotations

from typing import Unpack

from django.db import transaction

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import NewCase, case_create
from townsquare.core import clock
from townsquare.core.errors import PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.triage import events, personal_data, policies
from townsquare.triage.models import PrivateOriginal, SuggestionDecision, SuggestionKind


def case_create_hiding_personal_data(**kwargs: Unpack[NewCase]) -> tuple[Case, list[str]]:
    """case_create with personal data taken out of the description's public copy (ADR 201).

    The case holds the public copy, so every public surface (the portal, Open311, the API,
    open data, emails) shows it without knowing of triage; the original is kept for staff in
    the same transaction. Returns the case and the kinds hidden (for telling the resident)."""
    description = kwargs.get("description", "") or ""
    redaction = personal_data.redact(description)
    if not redaction.findings:
        return case_create(**kwargs), []
    kwargs["description"] = redaction.public_text
    with transaction.atomic():
        case = case_create(**kwargs)
        PrivateOriginal.objects.create(
            case=case,
            field="description",
            original=description,
            kinds=redaction.kinds,
            created_at=case.created_at,
        )
        append_event(
            events.PersonalDataHidden(
                case_id=case.id,
                reference=case.reference,
                field="description",
                kinds=redaction.kinds,
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=kwargs["actor"].as_actor(),
        )
    return case, redaction.kinds


def suggestion_decide(
    *, case: Case, kind: str, suggested: str, accepted: bool, actor: Principal
) -> SuggestionDecision:
    """Record that staff accepted or rejected one suggestion for `case` (audited)."""
    if not policies.can_decide_suggestion(actor, case.council_id):
        raise PermissionDenied("You cannot decide suggestions in this council")
    kind = SuggestionKind(kind).value
    with transaction.atomic():
        decision = SuggestionDecision.objects.create(
            council_id=case.council_id,
            case=case,
            kind=kind,
            suggested=suggested[:100],
            accepted=accepted,
            decided_by_id=actor.user_id,
            decided_at=clock.now(),
        )
        append_event(
            events.SuggestionDecided(
                case_id=case.id,
                reference=case.reference,
                suggestion=kind,
                suggested=suggested[:100],
                accepted=accepted,
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return decision
