"""The service builder's writes: drafts of templates that council admins edit, then publish.

A draft may be invalid while being worked on (every problem is shown beside the editor); only
publishing requires a valid template, and it goes through template_publish, which makes a new
version (open cases keep the version they were made under).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.catalogue.documents import TemplateFileError, library_files, load_template_file
from townsquare.catalogue.editing import blank_template
from townsquare.catalogue.events import (
    ServiceAvailabilitySet,
    ServiceDraftDeleted,
    ServiceDraftSaved,
)
from townsquare.catalogue.models import ServiceDraft, ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.schema import TemplateProblem, template_problems
from townsquare.catalogue.selectors import published_services_invalidate
from townsquare.catalogue.services import template_publish
from townsquare.core import clock
from townsquare.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.core.text import clean_texts
from townsquare.councils.models import Council, Team


def _require_admin(actor: Principal, council_id: int) -> None:
    if not policies.can_manage_services(actor, council_id):
        raise PermissionDenied("Only council admins can build services")


def library_templates() -> list[tuple[str, dict[str, Any]]]:
    """(file name, document) of every valid template in the shipped library."""
    found = []
    for path in library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY)):
        try:
            found.append((path.name, load_template_file(path)))
        except TemplateFileError:
            continue
    return found


def _save(draft: ServiceDraft, actor: Principal, what: str) -> None:
    append_event(
        ServiceDraftSaved(draft_id=draft.id, code=str(draft.document.get("code", "")), what=what),
        council_id=draft.council_id,
        stream="service_draft",
        stream_id=draft.id,
        actor=actor.as_actor(),
    )


def draft_create(
    *, council: Council, document: dict[str, Any], actor: Principal, source: str
) -> ServiceDraft:
    _require_admin(actor, council.id)
    if not isinstance(document, dict):
        raise InvalidInput("A template must be a mapping of keys to values")
    now = clock.now()
    with transaction.atomic():
        draft = ServiceDraft.objects.create(
            council=council,
            # Its texts as published templates keep them (ADR 70); PostgreSQL cannot store NUL.
            document=clean_texts(copy.deepcopy(document)),
            source=source[:200],
            created_at=now,
            updated_at=now,
            updated_by_label=actor.label[:200],
        )
        _save(draft, actor, f"created from {source}"[:100])
    return draft


def draft_from_scratch(
    *, council: Council, code: str, name: str, kind: str, actor: Principal
) -> ServiceDraft:
    """A small valid service to build on, routed to the council's first team."""
    _require_admin(actor, council.id)
    document = blank_template(code=code, name=name, kind=kind)
    if ServiceTemplate.objects.filter(council=council, code=document["code"]).exists():
        raise InvalidInput(
            {"code": [f"{council.name} already has a service with this code: choose another"]}
        )
    teams = list(
        Team.objects.filter(council=council).order_by("name").values_list("code", flat=True)
    )
    if teams and "general" not in teams:
        document["routing"]["team"] = teams[0]
    return draft_create(council=council, document=document, actor=actor, source="scratch")


def draft_from_yaml(
    *, council: Council, document: dict[str, Any], actor: Principal
) -> ServiceDraft:
    """A draft from an uploaded template. One with the code of a service the council has is a
    change to that service (how a council brings back its own export); any other is new."""
    code = document.get("code")
    if ServiceTemplate.objects.filter(council=council, code=code).exists():
        return draft_create(
            council=council, document=document, actor=actor, source=f"service:{council.slug}/{code}"
        )
    return draft_create(council=council, document=document, actor=actor, source="import")


def draft_from_library(*, council: Council, file_name: str, actor: Principal) -> ServiceDraft:
    for name, document in library_templates():
        if name == file_name:
            return draft_create(
                council=council, document=document, actor=actor, source=f"library:{name}"
            )
    raise NotFound(f"The library has no template {file_name[:60]!r}")


def draft_from_service(*, council: Council, service_id: int, actor: Principal) -> ServiceDraft:
    """A copy of a published template: the council's own (to change it) or another
    council's (templates are shared knowledge between councils, never their cases)."""
    service = (
        ServiceTemplate.objects.select_related("current_version", "council")
        .filter(id=service_id, current_version__isnull=False)
        .first()
    )
    # Another council shares what it offers the public; what it has retired stays its own.
    if (
        service is None
        or service.current_version is None
        or (service.council_id != council.id and not service.is_active)
    ):
        raise NotFound("No such published service")
    return draft_create(
        council=council,
        document=service.current_version.document,
        actor=actor,
        source=f"service:{service.council.slug}/{service.code}",
    )


def draft_get(*, council: Council, draft_id: int, actor: Principal) -> ServiceDraft:
    _require_admin(actor, council.id)
    draft = ServiceDraft.objects.filter(id=draft_id, council=council).first()
    if draft is None:
        raise NotFound("No such draft")
    return draft


def draft_update(
    *,
    draft: ServiceDraft,
    document: dict[str, Any],
    actor: Principal,
    expected_revision: int | None,
    what: str,
) -> ServiceDraft:
    """Save a changed document (valid or not); refuses when someone saved in between."""
    _require_admin(actor, draft.council_id)
    with transaction.atomic():
        fresh = ServiceDraft.objects.select_for_update().get(pk=draft.pk)
        if expected_revision is not None and fresh.revision != expected_revision:
            raise Conflict(
                "Someone else saved this draft while you were editing it. Your "
                "change was not saved: check the latest version, then make it "
                "again."
            )
        fresh.document = clean_texts(document)
        fresh.revision += 1
        fresh.updated_at = clock.now()
        fresh.updated_by_label = actor.label[:200]
        fresh.save()
        _save(fresh, actor, what[:100])
    return fresh


def draft_delete(*, draft: ServiceDraft, actor: Principal) -> None:
    _require_admin(actor, draft.council_id)
    with transaction.atomic():
        append_event(
            ServiceDraftDeleted(draft_id=draft.id, code=str(draft.document.get("code", ""))),
            council_id=draft.council_id,
            stream="service_draft",
            stream_id=draft.id,
            actor=actor.as_actor(),
        )
        draft.delete()


def draft_changes_own_service(draft: ServiceDraft) -> bool:
    """Whether the draft was started from one of the council's own services (so publishing it
    is meant to make that service's next version), rather than being a new service."""
    return draft.source == f"service:{draft.council.slug}/{draft.document.get('code', '')}"


def draft_target(draft: ServiceDraft) -> ServiceTemplate | None:
    """The council's service that publishing this draft would make a new version of (the one
    with its code), or None when publishing adds a new service."""
    code = draft.document.get("code")
    if not isinstance(code, str):
        return None
    return ServiceTemplate.objects.filter(council_id=draft.council_id, code=code).first()


def draft_problems(draft: ServiceDraft) -> list[TemplateProblem]:
    """What stops the draft from being published: the template rules, then the council's own
    facts (the team it routes to must exist; a new service must not take the code of one the
    council already has, which would silently replace it)."""
    return council_template_problems(
        council=draft.council,
        document=draft.document,
        changes_own_service=draft_changes_own_service(draft),
    )


def council_template_problems(
    *, council: Council, document: Any, changes_own_service: bool
) -> list[TemplateProblem]:
    """What would stop `document` from being published by `council` (draft_problems for a
    document not saved as a draft): `changes_own_service` when it is meant as the next
    version of the council's service with its code, as an imported one is (draft_from_yaml)."""
    problems = template_problems(document)
    if problems:
        return problems
    existing = ServiceTemplate.objects.filter(council=council, code=document["code"]).first()
    if existing is not None and not changes_own_service:
        return [
            TemplateProblem(
                "code",
                f"{council.name} already has a service with the "
                f"code {existing.code!r} ({existing.name}). Give this one "
                "another code, or change that service instead",
            )
        ]
    team = document["routing"]["team"]
    if not Team.objects.filter(council=council, code=team).exists():
        return [TemplateProblem("routing.team", f"{council.name} has no team {team!r}")]
    return []


def draft_publish(
    *, draft: ServiceDraft, actor: Principal, expected_revision: int | None = None
) -> ServiceTemplateVersion:
    """Publish the draft as the service's next version and remove the draft."""
    _require_admin(actor, draft.council_id)
    problems = draft_problems(draft)
    if problems:
        raise InvalidInput(
            {p.path or "__all__": [p.reason] for p in problems}, code="invalid_template"
        )
    with transaction.atomic():
        fresh = ServiceDraft.objects.select_for_update().filter(pk=draft.pk).first()
        if fresh is None:
            raise Conflict("This draft was published or deleted by someone else")
        if expected_revision is not None and fresh.revision != expected_revision:
            raise Conflict(
                "Someone else saved this draft since you looked at it; check it and publish again"
            )
        version = template_publish(
            council=fresh.council, document=fresh.document, actor=actor.as_actor()
        )
        fresh.delete()
    return version


def service_set_active(*, service: ServiceTemplate, active: bool, actor: Principal) -> None:
    """Offer a published service to the public again, or stop offering it (its cases stay)."""
    _require_admin(actor, service.council_id)
    with transaction.atomic():
        ServiceTemplate.objects.filter(pk=service.pk).update(is_active=active)
        append_event(
            ServiceAvailabilitySet(service_id=service.pk, code=service.code, active=active),
            council_id=service.council_id,
            stream="service",
            stream_id=service.pk,
            actor=actor.as_actor(),
        )
        transaction.on_commit(published_services_invalidate)


def versions_of(*, service: ServiceTemplate) -> list[ServiceTemplateVersion]:
    return list(
        ServiceTemplateVersion.objects.filter(template=service)
        .order_by("-number")
        .only("id", "number", "created_at", "created_by_label")
    )
