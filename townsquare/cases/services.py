"""Every write to a case. Each function is atomic: it changes rows and appends its events in one
transaction, or changes nothing and raises a DomainError saying why."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Required, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction

from townsquare.accounts import policies
from townsquare.accounts.models import Membership
from townsquare.accounts.principal import Principal
from townsquare.cases import events
from townsquare.cases.media import CleanImage, image_sanitise
from townsquare.cases.models import Attachment, Case, Channel
from townsquare.cases.references import case_insert_with_reference
from townsquare.cases.sla import due_times
from townsquare.catalogue.fields import clean_field_values
from townsquare.catalogue.models import ServiceTemplateVersion
from townsquare.catalogue.selectors import service_get, workflow_for_version
from townsquare.catalogue.workflow import Workflow
from townsquare.core import clock
from townsquare.core.errors import Conflict, InvalidInput, PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.councils.models import Council, Team
from townsquare.councils.selectors import (
    area_id_for_point,
    area_point,
    council_contains_point,
    council_for_point,
    council_point,
    team_get,
)
from townsquare.geo.points import Point, h3_cells

MAX_DESCRIPTION = 4000
MAX_MESSAGE = 4000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Reporter:
    """Who reported a case, when they are not (or not only) a signed-in user."""

    name: str = ""
    email: str = ""
    phone: str = ""
    name_public: bool = False
    user_id: int | None = None


def _clean_text(value: str, *, field: str, limit: int) -> str:
    value = _CONTROL_CHARS.sub("", value or "").strip()
    if len(value) > limit:
        raise InvalidInput({field: [f"must be {limit} characters or fewer (it is {len(value)})"]},
                           code="too_long")
    return value


def _clean_reporter(reporter: Reporter) -> Reporter:
    errors: dict[str, list[str]] = {}
    email = (reporter.email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [f"{email[:60]!r} is not an email address"]
    phone = re.sub(r"[\s()-]", "", reporter.phone or "")
    if phone and not re.fullmatch(r"\+?\d{6,15}", phone):
        errors["phone"] = ["must be a phone number of 6 to 15 digits"]
    name = _CONTROL_CHARS.sub("", reporter.name or "").strip()
    if len(name) > 200:
        errors["name"] = ["must be 200 characters or fewer"]
    if errors:
        raise InvalidInput(errors, code="bad_reporter")
    return Reporter(name=name, email=email, phone=phone, name_public=reporter.name_public,
                    user_id=reporter.user_id)


def _clean_media_urls(urls: list[str]) -> list[str]:
    cleaned = []
    for url in urls:
        url = (url or "").strip()
        if not url:
            continue
        if len(url) > 1000 or not re.match(r"^https?://[^\s]+$", url):
            raise InvalidInput({"media_url": ["must be an http or https address"]},
                               code="bad_media_url")
        cleaned.append(url)
    if len(cleaned) > 10:
        raise InvalidInput({"media_url": ["at most 10 media addresses"]}, code="bad_media_url")
    return cleaned


def _route_location(council: Council | None, point: Point | None) -> Council:
    if point is None:
        if council is None:
            raise InvalidInput({"location": ["A location or a council is required"]},
                               code="no_location")
        return council
    if council is None:
        return council_for_point(lat=point.lat, lng=point.lng)
    if not council_contains_point(council=council, lat=point.lat, lng=point.lng):
        raise InvalidInput(
            {"location": [f"The point {point.lat:.6f}, {point.lng:.6f} is outside {council.name}"]},
            code="outside_council",
        )
    return council


@dataclass
class _PreparedCase:
    case: Case
    images: list[CleanImage]
    links: list[str]


class NewCase(TypedDict, total=False):
    """The arguments of case_create and case_check (all keyword-only)."""

    service_code: Required[str]
    actor: Required[Principal]
    council: Council | None
    point: Point | None
    values: dict[str, Any] | None
    description: str
    title: str
    address: str
    postcode: str
    area_id: int | None
    reporter: Reporter | None
    channel: str
    is_test: bool
    photos: list[bytes | CleanImage] | None
    media_urls: list[str] | None


def case_check(**kwargs: Unpack[NewCase]) -> None:
    """Run every check case_create would, without writing anything: for requests accepted now
    and created later, whose errors must still be reported now."""
    _prepare(**kwargs)


def case_create(**kwargs: Unpack[NewCase]) -> Case:
    """Create a case in the council that holds `point` (or `council` when given).

    A report needs a point, or an area or an address in the council (then it is marked
    approximately located and drawn at a point inside the area or council). Field values are
    checked against the service's current template; photos are stripped of metadata.
    """
    prepared = _prepare(**kwargs)
    case, now = prepared.case, prepared.case.created_at
    with transaction.atomic():
        case_insert_with_reference(case, prefix=case.council.reference_prefix, created_at=now)
        for i, image in enumerate(prepared.images):
            attachment = Attachment(case=case, content_type=image.content_type,
                                    width=image.width, height=image.height, created_at=now)
            attachment.file.save(f"{case.reference}-{i + 1}.{image.extension}",
                                 ContentFile(image.data), save=False)
            attachment.save()
        Attachment.objects.bulk_create(
            Attachment(case=case, url=url, created_at=now) for url in prepared.links)
        if prepared.images or prepared.links:
            case.media_count = len(prepared.images) + len(prepared.links)
            case.save(update_fields=["media_count"])
        append_event(
            events.CaseCreated(case_id=case.id, reference=case.reference,
                               service_code=case.service.code, state=case.state),
            council_id=case.council_id, stream="case", stream_id=case.id,
            actor=kwargs["actor"].as_actor(),
        )
    return case


def _prepare(
    *,
    service_code: str,
    actor: Principal,
    council: Council | None = None,
    point: Point | None = None,
    values: dict[str, Any] | None = None,
    description: str = "",
    title: str = "",
    address: str = "",
    postcode: str = "",
    area_id: int | None = None,
    reporter: Reporter | None = None,
    channel: str = Channel.WEB,
    is_test: bool = False,
    photos: list[bytes | CleanImage] | None = None,
    media_urls: list[str] | None = None,
) -> _PreparedCase:
    """Check everything and build the unsaved case; raise DomainError on the first problem."""
    council = _route_location(council, point)
    service = service_get(council=council, code=service_code)
    version = service.current_version
    document = version.document
    if document["kind"] == "report" and point is None and not (area_id or address.strip()):
        raise InvalidInput(
            {"location": ["A report needs a point on the map, or an area or address in the "
                          "council"]},
            code="no_location",
        )
    cleaned = clean_field_values(document["fields"], values or {})
    description = _clean_text(description, field="description", limit=MAX_DESCRIPTION)
    title = _clean_text(title, field="title", limit=200)
    address = _clean_text(address, field="address", limit=300)
    postcode = _clean_text(postcode, field="postcode", limit=10).upper()
    reporter = _clean_reporter(reporter or Reporter())
    if channel not in Channel.values:
        raise InvalidInput({"channel": [f"unknown channel {channel!r}"]})

    # Without a point, a report is placed by its area (or only its council) and the address
    # as given: it is marked approximate and drawn at a point inside the area or council, so
    # maps and radius queries work; staff pin it down.
    location_approximate = point is None and document["kind"] == "report"
    if point is not None:
        area_id = area_id_for_point(council=council, lat=point.lat, lng=point.lng)
    elif area_id is not None:
        inside = area_point(council=council, area_id=area_id)
        if inside is None:
            raise InvalidInput({"area": ["That area is not part of this council"]},
                               code="bad_area")
        point = inside if location_approximate else None
    elif location_approximate:
        point = council_point(council=council)
    cells = h3_cells(point) if point else {}

    workflow = workflow_for_version(version)
    initial = workflow.state(workflow.initial)
    routed_team = team_get(council=council, code=document["routing"]["team"])
    now = clock.now()
    response_due, resolve_due = due_times(document["sla"], now)
    # A signed-in citizen reporting for themselves is the reporter; staff reporting on someone's
    # behalf are not.
    citizen_id = actor.user_id if actor.as_actor().kind == "citizen" else None

    case = Case(
        council=council, service=service, service_version=version,
        kind=document["kind"], state=initial.code, is_open=not initial.is_closed,
        is_public=document["privacy"] == "public", values=cleaned,
        title=title or service.name, description=description,
        lat=point.lat if point else None, lng=point.lng if point else None,
        address=address, postcode=postcode, location_approximate=location_approximate,
        h3_r7=cells.get(7), h3_r9=cells.get(9), h3_r11=cells.get(11), area_id=area_id,
        reporter_id=reporter.user_id or citizen_id,
        reporter_name=reporter.name, reporter_email=reporter.email,
        reporter_phone=reporter.phone, reporter_name_public=reporter.name_public,
        team=routed_team, channel=channel, created_at=now, updated_at=now,
        closed_at=now if initial.is_closed else None,
        response_due_at=response_due, resolve_due_at=resolve_due, is_test=is_test,
    )
    images = [data if isinstance(data, CleanImage) else image_sanitise(data, name=f"Photo {i + 1}")
              for i, data in enumerate(photos or [])]
    return _PreparedCase(case=case, images=images, links=_clean_media_urls(media_urls or []))


def _locked(case: Case, expected_revision: int | None) -> Case:
    """Re-read the case under a row lock; refuse if someone changed it since `expected_revision`."""
    fresh = Case.objects.select_for_update().select_related("service_version").get(pk=case.pk)
    if expected_revision is not None and fresh.revision != expected_revision:
        raise Conflict(
            f"{fresh.reference} was changed by someone else while you were looking at it. "
            "Reload it to see the latest version, then try again.",
        )
    return fresh


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _touch(case: Case, now: dt.datetime, *, responded: bool = True) -> None:
    case.updated_at = now
    case.revision += 1
    if responded and case.responded_at is None:
        case.responded_at = now


def case_transition(
    *,
    case: Case,
    to_state: str,
    actor: Principal,
    message: str = "",
    expected_revision: int | None = None,
) -> Case:
    """Move a case to `to_state` along a transition the template allows the actor's role."""
    _require(policies.can_handle_case(actor, case.council_id),
             "You cannot change cases of this council")
    message = _clean_text(message, field="message", limit=MAX_MESSAGE)
    with transaction.atomic():
        case = _locked(case, expected_revision)
        workflow = workflow_for_version(case.service_version)
        if to_state not in workflow.states:
            raise InvalidInput({"state": [f"{to_state!r} is not a state of this service"]},
                               code="unknown_state")
        transition = workflow.transition(case.state, to_state)
        if transition is None:
            raise InvalidInput(
                {"state": [f"A case cannot go from {workflow.state(case.state).name!r} to "
                           f"{workflow.state(to_state).name!r}"]},
                code="illegal_transition",
            )
        roles = policies.effective_roles(actor, case.council_id)
        _require(bool(transition.roles & roles),
                 f"Your role cannot move a case to {workflow.state(to_state).name!r}")
        from_state = case.state
        target = workflow.state(to_state)
        # The template's words for the new state, unless the officer wrote their own.
        message = message or target.message
        now = clock.now()
        case.state = to_state
        case.is_open = not target.is_closed
        case.closed_at = now if target.is_closed else None
        case.status_notes = message or case.status_notes
        _touch(case, now)
        case.save(update_fields=["state", "is_open", "closed_at", "updated_at", "revision",
                                 "responded_at", "status_notes"])
        append_event(
            events.CaseTransitioned(case_id=case.id, reference=case.reference,
                                    from_state=from_state, to_state=to_state, message=message),
            council_id=case.council_id, stream="case", stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_assign(
    *,
    case: Case,
    actor: Principal,
    team: Team | None = None,
    assignee_id: int | None = None,
    expected_revision: int | None = None,
) -> Case:
    """Give a case to a team and/or a person of the case's council (None clears the person)."""
    _require(policies.can_assign_case(actor, case.council_id),
             "You cannot assign cases of this council")
    if team is not None and team.council_id != case.council_id:
        raise InvalidInput({"team": ["That team belongs to another council"]}, code="bad_team")
    if assignee_id is not None and not Membership.objects.filter(
        user_id=assignee_id, council_id=case.council_id
    ).exists():
        raise InvalidInput({"assignee": ["That person is not staff of this council"]},
                           code="bad_assignee")
    with transaction.atomic():
        case = _locked(case, expected_revision)
        if team is not None:
            case.team = team
        case.assignee_id = assignee_id
        _touch(case, clock.now(), responded=False)
        case.save(update_fields=["team", "assignee", "updated_at", "revision"])
        append_event(
            events.CaseAssigned(case_id=case.id, reference=case.reference,
                                team_id=case.team_id, assignee_id=assignee_id),
            council_id=case.council_id, stream="case", stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_post_public_update(*, case: Case, actor: Principal, message: str,
                            expected_revision: int | None = None) -> Case:
    """A message everyone following the case can read, without changing its state."""
    _require(policies.can_handle_case(actor, case.council_id),
             "You cannot update cases of this council")
    message = _clean_text(message, field="message", limit=MAX_MESSAGE)
    if not message:
        raise InvalidInput({"message": ["Enter the update"]}, code="empty")
    with transaction.atomic():
        case = _locked(case, expected_revision)
        case.status_notes = message
        _touch(case, clock.now())
        case.save(update_fields=["updated_at", "revision", "responded_at", "status_notes"])
        append_event(
            events.PublicUpdatePosted(case_id=case.id, reference=case.reference, message=message,
                                      state=case.state),
            council_id=case.council_id, stream="case", stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_add_internal_note(*, case: Case, actor: Principal, note: str) -> Case:
    """A note only staff of the council can see. Notes never conflict with other changes."""
    _require(policies.can_handle_case(actor, case.council_id),
             "You cannot add notes to cases of this council")
    note = _clean_text(note, field="note", limit=MAX_MESSAGE)
    if not note:
        raise InvalidInput({"note": ["Enter the note"]}, code="empty")
    with transaction.atomic():
        case = _locked(case, None)
        _touch(case, clock.now(), responded=False)
        case.save(update_fields=["updated_at", "revision"])
        append_event(
            events.InternalNoteAdded(case_id=case.id, reference=case.reference, note=note),
            council_id=case.council_id, stream="case", stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_add_citizen_update(*, case: Case, actor: Principal, message: str,
                            requested_status: str = "") -> tuple[Case, int]:
    """A comment from the public on a public case, optionally asking for a status.

    `requested_status` is a FixMyStreet extended status ("fixed", "open", "reopen"...). When the
    workflow lets citizens move the case to a state with that status, the case moves; otherwise
    the request is recorded with the comment for staff to act on. Returns the case and the
    event id (what Open311 clients receive as the update id).
    """
    message = _clean_text(message, field="description", limit=MAX_MESSAGE)
    requested_status = (requested_status or "").strip().lower()
    with transaction.atomic():
        case = _locked(case, None)
        if not case.is_public:
            raise PermissionDenied("Updates from the public are only taken on public cases")
        workflow = workflow_for_version(case.service_version)
        wanted = "open" if requested_status in ("open", "reopen") else requested_status
        target = next(
            (t.target for t in workflow.transitions_from(case.state, {"citizen"})
             if wanted and (workflow.state(t.target).fms == wanted
                            or workflow.state(t.target).open311 == wanted)),
            None,
        )
        now = clock.now()
        from_state = case.state
        if target is not None:
            state = workflow.state(target)
            case.state, case.is_open = target, not state.is_closed
            case.closed_at = now if state.is_closed else None
        _touch(case, now, responded=False)
        case.save(update_fields=["state", "is_open", "closed_at", "updated_at", "revision"])
        if target is not None:
            append_event(
                events.CaseTransitioned(case_id=case.id, reference=case.reference,
                                        from_state=from_state, to_state=target, message=""),
                council_id=case.council_id, stream="case", stream_id=case.id,
                actor=actor.as_actor(),
            )
        record = append_event(
            events.CitizenUpdatePosted(case_id=case.id, reference=case.reference, message=message,
                                       requested_status=requested_status,
                                       state=case.state),
            council_id=case.council_id, stream="case", stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case, record.id


def _duplicate_state(workflow: Workflow) -> str:
    for code, state in workflow.states.items():
        if state.fms == "duplicate":
            return code
    for code, state in workflow.states.items():
        if state.is_closed:
            return code
    raise InvalidInput("This service has no closed state to put a duplicate in")


def case_merge_duplicate(*, duplicate: Case, original: Case, actor: Principal) -> Case:
    """Close `duplicate` as a duplicate of `original`; the original gains its support."""
    _require(policies.can_merge_cases(actor, duplicate.council_id),
             "Only a supervisor can merge cases")
    if duplicate.pk == original.pk:
        raise InvalidInput("A case cannot be a duplicate of itself", code="bad_merge")
    if duplicate.council_id != original.council_id:
        raise InvalidInput("Only cases of the same council can be merged", code="bad_merge")
    with transaction.atomic():
        # Lock in id order so two merges of the same pair cannot deadlock.
        first, second = sorted([duplicate, original], key=lambda c: c.pk)
        locked = {c.pk: _locked(c, None) for c in (first, second)}
        duplicate, original = locked[duplicate.pk], locked[original.pk]
        if duplicate.duplicate_of_id is not None:
            raise InvalidInput(f"{duplicate.reference} is already a duplicate", code="bad_merge")
        if original.duplicate_of_id is not None:
            raise InvalidInput(f"{original.reference} is itself a duplicate; merge into "
                               "the case it duplicates", code="bad_merge")
        workflow = workflow_for_version(duplicate.service_version)
        target = _duplicate_state(workflow)
        if not duplicate.is_open:
            raise InvalidInput(f"{duplicate.reference} is already closed; reopen it to merge it",
                               code="bad_merge")
        from_state = duplicate.state
        now = clock.now()
        closed = workflow.state(target).is_closed
        duplicate.state = target
        duplicate.is_open = not closed
        duplicate.closed_at = now if closed else None
        duplicate.duplicate_of = original
        _touch(duplicate, now)
        duplicate.save(update_fields=["state", "is_open", "closed_at", "duplicate_of",
                                      "updated_at", "revision", "responded_at"])
        original.support_count += 1 + duplicate.support_count
        _touch(original, now, responded=False)
        original.save(update_fields=["support_count", "updated_at", "revision"])
        actor_ = actor.as_actor()
        append_event(
            events.CaseMergedInto(case_id=duplicate.id, reference=duplicate.reference,
                                  original_reference=original.reference,
                                  from_state=from_state, to_state=target),
            council_id=duplicate.council_id, stream="case", stream_id=duplicate.id, actor=actor_,
        )
        append_event(
            events.DuplicateMerged(case_id=original.id, reference=original.reference,
                                   duplicate_reference=duplicate.reference),
            council_id=original.council_id, stream="case", stream_id=original.id, actor=actor_,
        )
    return duplicate


def cases_anonymise_expired(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Remove personal data from closed cases past their retention period.

    The rules are those of the template version each case was created under. Returns how many
    cases were anonymised. Idempotent: safe to run as often as wanted.
    """
    now = now or clock.now()
    count = 0
    system = Principal.system("Retention policy").as_actor()
    for version in ServiceTemplateVersion.objects.filter(
            id__in=Case.objects.filter(is_open=False, anonymised_at__isnull=True)
            .values("service_version_id").distinct()):
        document = version.document
        cutoff = now - dt.timedelta(days=document["retention"]["days_after_close"])
        ids = list(Case.objects.filter(service_version=version, is_open=False,
                                       closed_at__lt=cutoff, anonymised_at__isnull=True)
                   .values_list("id", flat=True)[: limit - count])
        for case_id in ids:
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                _strip_personal_data(case, document)
                case.anonymised_at = now
                case.save()
                append_event(events.CaseAnonymised(case_id=case.id, reference=case.reference),
                             council_id=case.council_id, stream="case", stream_id=case.id,
                             actor=system)
            count += 1
        if count >= limit:
            break
    return count


def _strip_personal_data(case: Case, document: dict[str, Any]) -> None:
    """Everything an application holds is about a person (its location is a home); a report's
    location is a street, but its private fields and its reporter are personal."""
    case.reporter = None
    case.reporter_name = case.reporter_email = case.reporter_phone = ""
    personal = {f["code"] for f in document["fields"]
                if document["kind"] == "application" or f.get("private")}
    case.values = {k: v for k, v in case.values.items() if k not in personal}
    if case.kind == "application":
        case.description = case.address = case.postcode = case.status_notes = ""
        case.lat = case.lng = case.h3_r7 = case.h3_r9 = case.h3_r11 = None
        for attachment in case.attachments.all():
            attachment.file.delete(save=False)
            attachment.delete()
        case.media_count = 0
