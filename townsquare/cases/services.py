"""Every write to a case. Each function is atomic: it changes rows and appends its events in one
transaction, or changes nothing and raises a DomainError saying why."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Required, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.validators import validate_email
from django.db import transaction

from townsquare.accounts import levels, policies
from townsquare.accounts.models import Membership
from townsquare.accounts.principal import Principal
from townsquare.cases import events
from townsquare.cases import policies as case_policies
from townsquare.cases.limits import (
    MAX_ADDRESS,
    MAX_ATTACHMENT_UPLOAD_BYTES,
    MAX_DESCRIPTION,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    MAX_MEDIA_URLS,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_PHOTOS,
    MAX_POSTCODE,
    MAX_TITLE,
)
from townsquare.cases.media import CleanImage, image_sanitise
from townsquare.cases.models import Attachment, Case, CaseLink, CaseSupport, Channel
from townsquare.cases.references import case_insert_with_reference
from townsquare.cases.sla import due_times, region_for_gss
from townsquare.catalogue.fields import clean_field_values
from townsquare.catalogue.models import ServiceTemplateVersion
from townsquare.catalogue.selectors import service_get, versions_by_id, workflow_for_version
from townsquare.catalogue.workflow import Workflow
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
)
from townsquare.core.eventlog import append_event
from townsquare.core.text import clean_text, clean_texts
from townsquare.councils.models import Council, Team
from townsquare.councils.selectors import (
    area_id_for_point,
    area_point,
    council_contains_point,
    council_for_point,
    council_point,
    place_in_words,
    team_get,
)
from townsquare.geo.points import Point, h3_cells


@dataclass(frozen=True)
class Reporter:
    """Who reported a case, when they are not (or not only) a signed-in user."""

    name: str = ""
    email: str = ""
    phone: str = ""
    name_public: bool = False
    user_id: int | None = None


def _clean_text(value: str, *, field: str, limit: int) -> str:
    value = clean_text(value or "").strip()
    if len(value) > limit:
        raise InvalidInput(
            {
                field: [
                    Problem(
                        "must be %(limit)s characters or fewer (it is %(length)s)",
                        code="max_length",
                        params={"limit": limit, "length": len(value)},
                    )
                ]
            },
            code="too_long",
        )
    return value


def reporter_phone_number(raw: str) -> str | None:
    """`raw` as the reporter's phone number a case keeps: without spaces, brackets and dashes,
    6 to 15 digits after an optional "+". "" when nothing is given; None when it is not one."""
    phone = re.sub(r"[\s()-]", "", raw or "")
    return phone if not phone or re.fullmatch(r"\+?\d{6,15}", phone) else None


def reporter_clean(reporter: Reporter) -> Reporter:
    """The reporter's details as case_create keeps them, or InvalidInput on "email"
    (`invalid_email`), "phone" (`invalid_phone`) or "name" (`max_length`). For forms that ask
    for contact details before the case is created."""
    errors: dict[str, list[Problem]] = {}
    email = (reporter.email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [
                Problem(
                    "%(value)r is not an email address",
                    code="invalid_email",
                    params={"value": email[:60]},
                )
            ]
    phone = reporter_phone_number(reporter.phone)
    if phone is None:
        errors["phone"] = [
            Problem("must be a phone number of 6 to 15 digits", code="invalid_phone")
        ]
    name = clean_text(reporter.name or "").strip()
    if len(name) > MAX_NAME:
        errors["name"] = [
            Problem(
                "must be %(limit)s characters or fewer",
                code="max_length",
                params={"limit": MAX_NAME, "length": len(name)},
            )
        ]
    if errors:
        raise InvalidInput(errors, code="bad_reporter")
    return Reporter(
        name=name,
        email=email,
        phone=phone or "",
        name_public=reporter.name_public,
        user_id=reporter.user_id,
    )


def _clean_media_urls(urls: list[str]) -> list[str]:
    cleaned = []
    for url in urls:
        url = clean_text(url or "").strip()
        if not url:
            continue
        if len(url) > 1000 or not re.match(r"^https?://[^\s]+$", url):
            raise InvalidInput(
                {"media_url": [Problem("must be an http or https address", code="invalid_url")]},
                code="bad_media_url",
            )
        cleaned.append(url)
    if len(cleaned) > MAX_MEDIA_URLS:
        raise InvalidInput(
            {
                "media_url": [
                    Problem(
                        "at most %(max)s media addresses",
                        code="too_many",
                        params={"max": MAX_MEDIA_URLS},
                    )
                ]
            },
            code="bad_media_url",
        )
    return cleaned


def _route_location(council: Council | None, point: Point | None) -> Council:
    if point is None:
        if council is None:
            raise InvalidInput(
                {"location": [Problem("A location or a council is required", code="no_location")]},
                code="no_location",
            )
        return council
    if council is None:
        return council_for_point(lat=point.lat, lng=point.lng)
    if not council_contains_point(council=council, lat=point.lat, lng=point.lng):
        raise InvalidInput(
            {
                "location": [
                    Problem(
                        "The point %(lat).6f, %(lng).6f is outside %(council)s",
                        code="outside_council",
                        params={"lat": point.lat, "lng": point.lng, "council": council.name},
                    )
                ]
            },
            code="outside_council",
        )
    return council


@dataclass
class _PreparedCase:
    case: Case
    images: list[CleanImage]
    links: list[str]


# What case_prepare hands to case_create_prepared; its fields are the service's business.
PreparedCase = _PreparedCase


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
    location_approximate: bool
    awaiting_confirmation: bool
    identity_level: str


def case_check(**kwargs: Unpack[NewCase]) -> None:
    """Run every check case_create would, without writing anything: for requests accepted now
    and created later, whose errors must still be reported now."""
    _prepare(**kwargs)


def case_create(**kwargs: Unpack[NewCase]) -> Case:
    """Create a case in the council that holds `point` (or `council` when given).

    A report needs a point, or an area or an address in the council (then it is marked
    approximately located and drawn at a point inside the area or council). A point from a
    street or place name rather than the map is given with `location_approximate=True`. Field
    values are checked against the service's current template; photos are stripped of metadata.
    With `awaiting_confirmation`, the case stays out of public view until
    case_confirm_reporter.
    """
    return case_create_prepared(case_prepare(**kwargs), actor=kwargs["actor"])


def case_prepare(**kwargs: Unpack[NewCase]) -> PreparedCase:
    """case_create's checks and computations (template, location, due times, photos), which
    need no write: a caller that wraps case_create in a transaction of its own calls this
    first and case_create_prepared inside, so the database's one writer is not held while they
    run (ADR 222). Raises what case_create raises."""
    return _prepare(**kwargs)


def case_create_prepared(prepared: PreparedCase, *, actor: Principal) -> Case:
    """The writes of case_create, for a case from case_prepare."""
    case, now = prepared.case, prepared.case.created_at
    with transaction.atomic():
        case_insert_with_reference(case, prefix=case.council.reference_prefix, created_at=now)
        for i, image in enumerate(prepared.images):
            attachment = Attachment(
                case=case,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                created_at=now,
            )
            attachment.file.save(
                f"{case.reference}-{i + 1}.{image.extension}", ContentFile(image.data), save=False
            )
            attachment.save()
        Attachment.objects.bulk_create(
            Attachment(case=case, url=url, created_at=now) for url in prepared.links
        )
        if prepared.images or prepared.links:
            case.media_count = len(prepared.images) + len(prepared.links)
            case.save(update_fields=["media_count"])
        append_event(
            events.CaseCreated(
                case_id=case.id,
                reference=case.reference,
                service_code=case.service.code,
                state=case.state,
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
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
    location_approximate: bool = False,
    awaiting_confirmation: bool = False,
    identity_level: str = levels.NONE,
) -> _PreparedCase:
    """Check everything and build the unsaved case; raise DomainError on the first problem.
    `identity_level` is how sure we are who the applicant is (accounts.levels); a service
    whose template requires more refuses the case, whatever the channel."""
    council = _route_location(council, point)
    service = service_get(council=council, code=service_code)
    version = service.current_version
    if version is None:
        raise NotFound(f"The service {service_code!r} is not published")
    document = version.document
    required = document.get("identity", levels.NONE)
    if not levels.level_at_least(identity_level, required):
        raise PermissionDenied(
            f"This service needs the applicant to be {levels.LABELS[required].lower()}",
            code="identity_required",
        )
    if document["kind"] == "report" and point is None and not (area_id or address.strip()):
        raise InvalidInput(
            {
                "location": [
                    Problem(
                        "A report needs a point on the map, or an area or address in the council",
                        code="no_location",
                    )
                ]
            },
            code="no_location",
        )
    cleaned = clean_field_values(document["fields"], clean_texts(values or {}))
    description = _clean_text(description, field="description", limit=MAX_DESCRIPTION)
    title = _clean_text(title, field="title", limit=MAX_TITLE)
    address = _clean_text(address, field="address", limit=MAX_ADDRESS)
    postcode = _clean_text(postcode, field="postcode", limit=MAX_POSTCODE).upper()
    reporter = reporter_clean(reporter or Reporter())
    if channel not in Channel.values:
        raise InvalidInput(
            {
                "channel": [
                    Problem(
                        "unknown channel %(value)r",
                        code="invalid_choice",
                        params={"value": channel},
                    )
                ]
            }
        )
    if len(photos or []) > MAX_PHOTOS:
        raise InvalidInput(
            {
                "media": [
                    Problem("at most %(max)s photos", code="too_many", params={"max": MAX_PHOTOS})
                ]
            },
            code="too_many_photos",
        )

    # Without a point, a report is placed by its area (or only its council) and the address
    # as given: it is marked approximate and drawn at a point inside the area or council, so
    # maps and radius queries work; staff pin it down.
    location_approximate = document["kind"] == "report" and (point is None or location_approximate)
    # A report's own point (not one drawn inside its ward) in words, for people to read.
    words = (
        place_in_words(council_id=council.id, lat=point.lat, lng=point.lng)
        if point is not None and document["kind"] == "report"
        else ""
    )
    if point is not None:
        area_id = area_id_for_point(council=council, lat=point.lat, lng=point.lng)
    elif area_id is not None:
        inside = area_point(council=council, area_id=area_id)
        if inside is None:
            raise InvalidInput(
                {"area": [Problem("That area is not part of this council", code="unknown_area")]},
                code="bad_area",
            )
        point = inside if location_approximate else None
    elif location_approximate:
        point = council_point(council=council)
    cells = h3_cells(point) if point else {}

    workflow = workflow_for_version(version)
    initial = workflow.state(workflow.initial)
    routed_team = team_get(council=council, code=document["routing"]["team"])
    now = clock.now()
    response_due, resolve_due = due_times(
        document["sla"], now, region=region_for_gss(council.gss_code)
    )
    # A signed-in citizen reporting for themselves is the reporter; staff reporting on someone's
    # behalf are not.
    citizen_id = actor.user_id if actor.as_actor().kind == "citizen" else None

    case = Case(
        council=council,
        service=service,
        service_version=version,
        kind=document["kind"],
        state=initial.code,
        is_open=not initial.is_closed,
        is_public=document["privacy"] == "public" and not awaiting_confirmation,
        awaiting_confirmation=awaiting_confirmation,
        values=cleaned,
        title=title or service.name,
        description=description,
        lat=point.lat if point else None,
        lng=point.lng if point else None,
        address=address,
        postcode=postcode,
        location_approximate=location_approximate,
        place_in_words=words[:200],
        h3_r7=cells.get(7),
        h3_r9=cells.get(9),
        h3_r11=cells.get(11),
        area_id=area_id,
        reporter_id=reporter.user_id or citizen_id,
        reporter_name=reporter.name,
        reporter_email=reporter.email,
        reporter_phone=reporter.phone,
        reporter_name_public=reporter.name_public,
        team=routed_team,
        channel=channel,
        created_at=now,
        updated_at=now,
        closed_at=now if initial.is_closed else None,
        response_due_at=response_due,
        resolve_due_at=resolve_due,
        is_test=is_test,
        identity_level=identity_level if identity_level in levels.LEVELS else levels.NONE,
    )
    images = [
        data if isinstance(data, CleanImage) else image_sanitise(data, name=f"Photo {i + 1}")
        for i, data in enumerate(photos or [])
    ]
    return _PreparedCase(case=case, images=images, links=_clean_media_urls(media_urls or []))


def _locked(case: Case, expected_revision: int | None) -> Case:
    """Re-read the case under a row lock; refuse if someone changed it since `expected_revision`."""
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    # Versions never change: share the process's copy, whose workflow is built once, instead
    # of decoding the template document again for every case changed (bulk actions change
    # a thousand in a row).
    fresh.service_version = versions_by_id(ids={fresh.service_version_id})[fresh.service_version_id]
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
    _require(
        policies.can_handle_case(actor, case.council_id), "You cannot change cases of this council"
    )
    message = _clean_text(message, field="message", limit=MAX_MESSAGE)
    with transaction.atomic():
        case = _locked(case, expected_revision)
        _transition_locked(case, to_state=to_state, actor=actor, message=message)
    return case


def _transition_locked(
    case: Case,
    *,
    to_state: str,
    actor: Principal,
    message: str,
    roles: frozenset[str] | None = None,
) -> None:
    """Check and make one transition of a case already locked (and its message cleaned).
    Every check comes before the first write, so a refusal leaves nothing to roll back.
    `roles`: those the actor acts in; by default their staff roles in the case's council (the
    applicant acts as `citizen`, see case_applicant_transition)."""
    workflow = workflow_for_version(case.service_version)
    if to_state not in workflow.states:
        raise InvalidInput(
            {"state": [f"{to_state!r} is not a state of this service"]}, code="unknown_state"
        )
    transition = workflow.transition(case.state, to_state)
    if transition is None:
        raise InvalidInput(
            {
                "state": [
                    f"A case cannot go from {workflow.state(case.state).name!r} to "
                    f"{workflow.state(to_state).name!r}"
                ]
            },
            code="illegal_transition",
        )
    if roles is None:
        roles = policies.effective_roles(actor, case.council_id)
    _require(
        bool(transition.roles & roles),
        f"Your role cannot move a case to {workflow.state(to_state).name!r}",
    )
    from_state = case.state
    target = workflow.state(to_state)
    # The template's words for the new state, unless the officer wrote their own.
    message = message or target.message
    now = clock.now()
    if not case.is_open and not target.is_closed:
        # Reopened: it gets the service's time to close again from now, as a new report
        # would, rather than counting as overdue from the day it was first made.
        _response_due, case.resolve_due_at = due_times(
            case.service_version.document["sla"], now, region=region_for_gss(case.council.gss_code)
        )
    case.state = to_state
    case.is_open = not target.is_closed
    case.closed_at = now if target.is_closed else None
    case.status_notes = message or case.status_notes
    # The council's first response is the council's: an applicant's own move is not one.
    _touch(case, now, responded="citizen" not in roles)
    case.save(
        update_fields=[
            "state",
            "is_open",
            "closed_at",
            "updated_at",
            "revision",
            "responded_at",
            "status_notes",
            "resolve_due_at",
        ]
    )
    append_event(
        events.CaseTransitioned(
            case_id=case.id,
            reference=case.reference,
            from_state=from_state,
            to_state=to_state,
            message=message,
        ),
        council_id=case.council_id,
        stream="case",
        stream_id=case.id,
        actor=actor.as_actor(),
    )


@dataclass(frozen=True)
class TransitionOutcome:
    case_id: int
    reference: str
    done: bool
    reason: str = ""


def cases_transition(
    *, cases: list[tuple[Case, int | None]], to_state: str, actor: Principal, message: str = ""
) -> list[TransitionOutcome]:
    """Move many cases of one council to `to_state`, each checked on its own exactly as
    case_transition checks one (role, workflow, the revision the person saw); refused cases
    are left as they are and reported. All in one transaction that locks the cases in one
    query, which is what makes a thousand take seconds rather than minutes."""
    if not cases:
        return []
    councils = {case.council_id for case, _ in cases}
    if len(councils) != 1:
        raise InvalidInput("Cases of one council at a time")
    council_id = councils.pop()
    if not policies.can_handle_case(actor, council_id):
        return [
            TransitionOutcome(c.id, c.reference, False, "You cannot change cases of this council")
            for c, _ in cases
        ]
    message = _clean_text(message, field="message", limit=MAX_MESSAGE)
    outcomes = []
    with transaction.atomic():
        locked = Case.objects.select_for_update().in_bulk([c.pk for c, _ in cases])
        versions = versions_by_id(ids={c.service_version_id for c in locked.values()})
        for wanted, revision in cases:
            case = locked.get(wanted.pk)
            if case is None:
                outcomes.append(
                    TransitionOutcome(
                        wanted.id, wanted.reference, False, "The case no longer exists"
                    )
                )
                continue
            case.service_version = versions[case.service_version_id]
            if revision is not None and case.revision != revision:
                outcomes.append(
                    TransitionOutcome(
                        case.id,
                        case.reference,
                        False,
                        f"{case.reference} was changed by someone else while you were looking at "
                        "it. Reload it to see the latest version, then try again.",
                    )
                )
                continue
            try:
                _transition_locked(case, to_state=to_state, actor=actor, message=message)
            except DomainError as exc:
                outcomes.append(TransitionOutcome(case.id, case.reference, False, exc.message))
            else:
                outcomes.append(TransitionOutcome(case.id, case.reference, True))
    return outcomes


class Keep(enum.Enum):
    """ "Leave it as it is", for arguments where None means "clear it"."""

    KEEP = "keep"


KEEP = Keep.KEEP


def case_assign(
    *,
    case: Case,
    actor: Principal,
    team: Team | Keep | None = KEEP,
    assignee_id: int | Keep | None = KEEP,
    expected_revision: int | None = None,
) -> Case:
    """Give a case to a team and/or a person of the case's council. None clears either;
    KEEP (the default) leaves it as it is."""
    _require(
        policies.can_assign_case(actor, case.council_id), "You cannot assign cases of this council"
    )
    if isinstance(team, Team) and team.council_id != case.council_id:
        raise InvalidInput({"team": ["That team belongs to another council"]}, code="bad_team")
    if (
        isinstance(assignee_id, int)
        and not Membership.objects.filter(user_id=assignee_id, council_id=case.council_id).exists()
    ):
        raise InvalidInput(
            {"assignee": ["That person is not staff of this council"]}, code="bad_assignee"
        )
    with transaction.atomic():
        case = _locked(case, expected_revision)
        previous_team_id = case.team_id
        if team is not KEEP:
            case.team = team
        if assignee_id is not KEEP:
            case.assignee_id = assignee_id
        _touch(case, clock.now(), responded=False)
        case.save(update_fields=["team", "assignee", "updated_at", "revision"])
        append_event(
            events.CaseAssigned(
                case_id=case.id,
                reference=case.reference,
                team_id=case.team_id,
                assignee_id=case.assignee_id,
                previous_team_id=previous_team_id,
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_post_public_update(
    *, case: Case, actor: Principal, message: str, expected_revision: int | None = None
) -> Case:
    """A message everyone following the case can read, without changing its state."""
    _require(
        policies.can_handle_case(actor, case.council_id), "You cannot update cases of this council"
    )
    message = _clean_text(message, field="message", limit=MAX_MESSAGE)
    if not message:
        raise InvalidInput({"message": ["Enter the update"]}, code="empty")
    with transaction.atomic():
        case = _locked(case, expected_revision)
        case.status_notes = message
        _touch(case, clock.now())
        case.save(update_fields=["updated_at", "revision", "responded_at", "status_notes"])
        append_event(
            events.PublicUpdatePosted(
                case_id=case.id, reference=case.reference, message=message, state=case.state
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_add_internal_note(
    *, case: Case, actor: Principal, note: str, expected_revision: int | None = None
) -> Case:
    """A note only staff of the council can see. Notes never conflict with other changes, but
    a caller that names the revision it saw (an API If-Match) is told when it is stale."""
    _require(
        policies.can_handle_case(actor, case.council_id),
        "You cannot add notes to cases of this council",
    )
    note = _clean_text(note, field="note", limit=MAX_MESSAGE)
    if not note:
        raise InvalidInput({"note": ["Enter the note"]}, code="empty")
    with transaction.atomic():
        case = _locked(case, expected_revision)
        _touch(case, clock.now(), responded=False)
        case.save(update_fields=["updated_at", "revision"])
        append_event(
            events.InternalNoteAdded(case_id=case.id, reference=case.reference, note=note),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_check_citizen_update(*, case: Case, message: str) -> str:
    """Run every check case_add_citizen_update makes, writing nothing (for a client's replay,
    which must be refused exactly when the first post would be); returns the message as kept."""
    message = _clean_text(message, field="description", limit=MAX_MESSAGE)
    if not case.is_public:
        raise PermissionDenied("Updates from the public are only taken on public cases")
    return message


def case_add_citizen_update(
    *, case: Case, actor: Principal, message: str, requested_status: str = ""
) -> tuple[Case, int]:
    """A comment from the public on a public case, optionally asking for a status.

    `requested_status` is a FixMyStreet extended status ("fixed", "open", "reopen"...). When the
    workflow lets citizens move the case to a state with that status, the case moves; otherwise
    the request is recorded with the comment for staff to act on. Returns the case and the
    event id (what Open311 clients receive as the update id).
    """
    message = case_check_citizen_update(case=case, message=message)
    requested_status = (requested_status or "").strip().lower()
    with transaction.atomic():
        case = _locked(case, None)
        if not case.is_public:
            raise PermissionDenied("Updates from the public are only taken on public cases")
        workflow = workflow_for_version(case.service_version)
        wanted = "open" if requested_status in ("open", "reopen") else requested_status
        target = next(
            (
                t.target
                for t in workflow.transitions_from(case.state, {"citizen"})
                if wanted
                and (
                    workflow.state(t.target).fms == wanted
                    or workflow.state(t.target).open311 == wanted
                )
            ),
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
                events.CaseTransitioned(
                    case_id=case.id,
                    reference=case.reference,
                    from_state=from_state,
                    to_state=target,
                    message="",
                ),
                council_id=case.council_id,
                stream="case",
                stream_id=case.id,
                actor=actor.as_actor(),
            )
        record = append_event(
            events.CitizenUpdatePosted(
                case_id=case.id,
                reference=case.reference,
                message=message,
                requested_status=requested_status,
                state=case.state,
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case, record.id


def case_add_citizen_reply(
    *, case: Case, message: str, channel: str, actor: Principal | None = None
) -> Case:
    """A reply to a message about the case (email or SMS), for staff to read on the timeline.

    The caller has already tied the reply to the case (a signed reply address, or the number a
    message was sent to); the reply changes nothing else about the case."""
    message = _clean_text(message, field="message", limit=MAX_MESSAGE)
    if not message:
        raise InvalidInput({"message": ["The reply is empty"]}, code="empty")
    actor = actor or Principal.anonymous()
    with transaction.atomic():
        case = _locked(case, None)
        _touch(case, clock.now(), responded=False)
        case.save(update_fields=["updated_at", "revision"])
        append_event(
            events.CitizenReplyReceived(
                case_id=case.id, reference=case.reference, message=message, channel=channel[:10]
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


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
    _require(
        policies.can_merge_cases(actor, duplicate.council_id), "Only a supervisor can merge cases"
    )
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
            raise InvalidInput(
                f"{original.reference} is itself a duplicate; merge into the case it duplicates",
                code="bad_merge",
            )
        workflow = workflow_for_version(duplicate.service_version)
        target = _duplicate_state(workflow)
        if not duplicate.is_open:
            raise InvalidInput(
                f"{duplicate.reference} is already closed; reopen it to merge it", code="bad_merge"
            )
        from_state = duplicate.state
        now = clock.now()
        closed = workflow.state(target).is_closed
        duplicate.state = target
        duplicate.is_open = not closed
        duplicate.closed_at = now if closed else None
        duplicate.duplicate_of = original
        _touch(duplicate, now)
        duplicate.save(
            update_fields=[
                "state",
                "is_open",
                "closed_at",
                "duplicate_of",
                "updated_at",
                "revision",
                "responded_at",
            ]
        )
        original.support_count += 1 + duplicate.support_count
        _touch(original, now, responded=False)
        original.save(update_fields=["support_count", "updated_at", "revision"])
        actor_ = actor.as_actor()
        append_event(
            events.CaseMergedInto(
                case_id=duplicate.id,
                reference=duplicate.reference,
                original_reference=original.reference,
                from_state=from_state,
                to_state=target,
            ),
            council_id=duplicate.council_id,
            stream="case",
            stream_id=duplicate.id,
            actor=actor_,
        )
        append_event(
            events.DuplicateMerged(
                case_id=original.id,
                reference=original.reference,
                duplicate_reference=duplicate.reference,
            ),
            council_id=original.council_id,
            stream="case",
            stream_id=original.id,
            actor=actor_,
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
        .values("service_version_id")
        .distinct()
    ):
        document = version.document
        cutoff = now - dt.timedelta(days=document["retention"]["days_after_close"])
        ids = list(
            Case.objects.filter(
                service_version=version,
                is_open=False,
                closed_at__lt=cutoff,
                anonymised_at__isnull=True,
            ).values_list("id", flat=True)[: limit - count]
        )
        for case_id in ids:
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                _strip_personal_data(case, document)
                case.anonymised_at = now
                case.save()
                append_event(
                    events.CaseAnonymised(case_id=case.id, reference=case.reference),
                    council_id=case.council_id,
                    stream="case",
                    stream_id=case.id,
                    actor=system,
                )
            count += 1
        if count >= limit:
            break
    return count


def _strip_personal_data(case: Case, document: dict[str, Any]) -> None:
    """Everything an application holds is about a person (its location is a home); a report's
    location is a street, but its private fields and its reporter are personal."""
    case.reporter = None
    case.reporter_name = case.reporter_email = case.reporter_phone = ""
    personal = {
        f["code"]
        for f in document["fields"]
        if document["kind"] == "application" or f.get("private")
    }
    case.values = {k: v for k, v in case.values.items() if k not in personal}
    if case.kind == "application":
        case.description = case.address = case.postcode = case.status_notes = ""
        case.place_in_words = ""
        case.lat = case.lng = case.h3_r7 = case.h3_r9 = case.h3_r11 = None
        for attachment in case.attachments.all():
            attachment.file.delete(save=False)
            attachment.delete()
        case.media_count = 0


def case_confirm_reporter(*, case_id: int) -> Case:
    """The reporter followed the link sent to their email address: the report goes public (when
    its template makes reports public). Confirming again changes nothing."""
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("service_version").get(id=case_id)
        if not case.awaiting_confirmation:
            return case
        case.awaiting_confirmation = False
        case.is_public = (
            case.service_version.document["privacy"] == "public" and case.anonymised_at is None
        )
        case.save(update_fields=["awaiting_confirmation", "is_public"])
        append_event(
            events.CaseReporterConfirmed(case_id=case.id, reference=case.reference),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=Actor.system("Reporter's email confirmation"),
        )
    return case


def supporter_digest(*, user_id: int | None = None, email: str = "") -> str:
    """Who supports, as a digest: a signed-in user by id, anyone else by email address."""
    who = f"user:{user_id}" if user_id is not None else f"email:{email.strip().lower()}"
    return hashlib.sha256(who.encode()).hexdigest()


def case_support(*, case: Case, actor: Principal, supporter: str, confirmed: bool) -> Case:
    """Add one person's support to an open public report ("I have this problem too").

    Each `supporter` (supporter_digest) counts once per case, and only when `confirmed`: a
    signed-in user is; an email address is once its owner follows the emailed link
    (case_support_confirm), so support cannot be stuffed from fresh sessions (ADR 134).
    Only the count, a digest and an event without personal data are kept. Following the case
    is the interface's call to messaging, since cases never import messaging.
    """
    now = clock.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(id=case.id)
        if not (locked.is_public and locked.is_open) or locked.kind != "report":
            raise InvalidInput(
                {"case": ["Only open public reports can be supported"]}, code="not_supportable"
            )
        row, _created = CaseSupport.objects.select_for_update().get_or_create(
            case_id=locked.id, supporter=supporter, defaults={"created_at": now}
        )
        if not confirmed or row.counted_at is not None:
            return locked
        row.counted_at = now
        row.save(update_fields=["counted_at"])
        locked.support_count += 1
        locked.save(update_fields=["support_count"])
        append_event(
            events.CaseSupported(
                case_id=locked.id, reference=locked.reference, support_count=locked.support_count
            ),
            council_id=locked.council_id,
            stream="case",
            stream_id=locked.id,
            actor=actor.as_actor(),
        )
    return locked


def case_support_confirm(*, case_id: int, email: str) -> None:
    """The owner of `email` has proved it (by a follow link): count the support they gave
    `case_id` with it, if they gave any and the report is still open."""
    supporter = supporter_digest(email=email)
    if not CaseSupport.objects.filter(
        case_id=case_id, supporter=supporter, counted_at__isnull=True
    ).exists():
        return
    case = Case.objects.get(id=case_id)
    # Closed since: support for a closed report no longer counts.
    with contextlib.suppress(InvalidInput):
        case_support(case=case, actor=Principal.anonymous(), supporter=supporter, confirmed=True)


def cases_link_to_citizen(*, user_id: int, email: str, actor: Principal) -> int:
    """Give a citizen's account the cases they made without signing in, with the address they
    have just proved is theirs (by the one-time sign-in link), so they can track their
    applications from any device and see them in "My requests". Returns how many."""
    if not email:
        return 0
    with transaction.atomic():
        found = list(
            Case.objects.select_for_update()
            .filter(
                reporter__isnull=True,
                reporter_email=email.strip().lower(),
                anonymised_at__isnull=True,
            )
            .values_list("id", "reference", "council_id")
        )
        if not found:
            return 0
        Case.objects.filter(id__in=[case_id for case_id, _, _ in found]).update(reporter_id=user_id)
        for case_id, reference, council_id in found:
            append_event(
                events.CaseReporterLinked(case_id=case_id, reference=reference),
                council_id=council_id,
                stream="case",
                stream_id=case_id,
                actor=actor.as_actor(),
            )
    return len(found)


# Supporting documents for applications (the citizen web's uploads).


@dataclass(frozen=True)
class Document:
    """A checked supporting document: a metadata-free image or a PDF (see portal uploads).
    `name`: the file's own name as its owner chose it, where the caller keeps it."""

    data: bytes
    content_type: str
    extension: str
    name: str = ""


def file_name_clean(raw: str) -> str:
    """A file's own name fit to show: no folders, no control or invisible characters, at most
    120 characters; "" when nothing is left. It is never used to store or find the file."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:120]


def case_create_with_documents(*, documents: list[Document], **kwargs: Unpack[NewCase]) -> Case:
    """case_create, plus private supporting documents attached in the same transaction: an
    application is never stored without the documents its applicant sent."""
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(
            {
                "documents": [
                    Problem(
                        "at most %(max)s documents", code="too_many", params={"max": MAX_DOCUMENTS}
                    )
                ]
            }
        )
    _documents_check(documents)
    with transaction.atomic():
        case = case_create(**kwargs)
        if documents:
            _documents_attach(case, documents, now=case.created_at, stem=f"{case.reference}-doc")
            append_event(
                events.CaseDocumentsAdded(
                    case_id=case.id, reference=case.reference, count=len(documents)
                ),
                council_id=case.council_id,
                stream="case",
                stream_id=case.id,
                actor=kwargs["actor"].as_actor(),
            )
    return case


def _documents_check(documents: list[Document]) -> None:
    """What every stored supporting document must be (the portal's upload check has made
    sure of the content; this keeps any other caller to the same limits)."""
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(
            {
                "documents": [
                    Problem(
                        "at most %(max)s documents", code="too_many", params={"max": MAX_DOCUMENTS}
                    )
                ]
            }
        )
    for document in documents:
        if len(document.data) > MAX_DOCUMENT_BYTES or document.content_type not in (
            "application/pdf",
            "image/jpeg",
            "image/png",
        ):
            raise InvalidInput(
                {
                    "documents": [
                        Problem(
                            "a document is too large or of the wrong kind", code="invalid_document"
                        )
                    ]
                }
            )


def _documents_attach(case: Case, documents: list[Document], *, now, stem: str) -> None:
    """Store checked documents as the case's private attachments, under names made here
    (`stem`-N.ext) and keeping the sender's own file name, cleaned, to show."""
    for i, document in enumerate(documents):
        attachment = Attachment(
            case=case,
            content_type=document.content_type,
            original_name=file_name_clean(document.name),
            is_public=False,
            created_at=now,
        )
        attachment.file.save(
            f"{stem}-{i + 1}.{document.extension}", ContentFile(document.data), save=False
        )
        attachment.save()


# The applicant's own moves (ADR 100): the workflow's `citizen` transitions, and replies to a
# request for more information. Who they are is cases.policies.can_act_as_applicant.


def _applicant_principal(actor: Principal) -> Principal:
    # Recorded in the audit trail as the applicant, whatever else the account may be.
    return Principal(user_id=actor.user_id, label="Applicant")


def case_applicant_transition(
    *,
    case: Case,
    actor: Principal,
    holds_reference: bool,
    to_state: str,
    expected_revision: int | None = None,
) -> Case:
    """The applicant takes one of the moves the template gives the `citizen` role (Withdraw).
    PermissionDenied for anyone but the applicant; InvalidInput when the move is not one
    from the case's current state; Conflict when the case changed since `expected_revision`
    (the page the applicant confirmed on was stale)."""
    _require(
        case_policies.can_act_as_applicant(actor, case, holds_reference=holds_reference),
        "Only the applicant can do this",
    )
    with transaction.atomic():
        case = _locked(case, expected_revision)
        _transition_locked(
            case,
            to_state=to_state,
            actor=_applicant_principal(actor),
            message="",
            roles=frozenset({"citizen"}),
        )
    return case


def case_applicant_reply(
    *,
    case: Case,
    actor: Principal,
    holds_reference: bool,
    message: str,
    documents: list[Document],
    expected_revision: int | None = None,
) -> Case:
    """The applicant answers a request for more information, with text, documents or both.

    Only in a state the workflow has the applicant answer (Workflow.reply_transition); the
    case then moves along that transition. The reply and its documents stay private (the
    documents like the application's own; the reply shown to the applicant and to staff)."""
    _require(
        case_policies.can_act_as_applicant(actor, case, holds_reference=holds_reference),
        "Only the applicant can do this",
    )
    message = _clean_text(message, field="message", limit=MAX_MESSAGE)
    if not message and not documents:
        raise InvalidInput(
            {"message": [Problem("enter a reply or add a document", code="required")]}
        )
    _documents_check(documents)
    applicant = _applicant_principal(actor)
    with transaction.atomic():
        case = _locked(case, expected_revision)
        if case.is_public:
            raise PermissionDenied("Replies with documents are taken on private cases only")
        workflow = workflow_for_version(case.service_version)
        move = workflow.reply_transition(case.state)
        if move is None:
            raise InvalidInput(
                {
                    "message": [
                        Problem("the council is not waiting for a reply", code="not_waiting")
                    ]
                },
                code="not_waiting",
            )
        now = clock.now()
        _documents_attach(
            case, documents, now=now, stem=f"{case.reference}-reply-{now:%Y%m%d%H%M%S}"
        )
        append_event(
            events.ApplicantReplied(
                case_id=case.id,
                reference=case.reference,
                message=message,
                documents=tuple(
                    file_name_clean(d.name) or f"Document {i + 1}" for i, d in enumerate(documents)
                ),
                state=case.state,
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=applicant.as_actor(),
        )
        _transition_locked(
            case,
            to_state=move.target,
            actor=applicant,
            message="",
            roles=frozenset({"citizen"}),
        )
    return case


PRIORITIES = (1, 2, 3, 4)  # 1 urgent .. 4 low


def case_set_priority(
    *, case: Case, actor: Principal, priority: int, expected_revision: int | None = None
) -> Case:
    """Set how urgent a case is, 1 (urgent) to 4 (low)."""
    _require(
        policies.can_handle_case(actor, case.council_id), "You cannot change cases of this council"
    )
    if priority not in PRIORITIES:
        raise InvalidInput(
            {"priority": ["Choose a priority from 1 (urgent) to 4 (low)"]}, code="bad_priority"
        )
    with transaction.atomic():
        case = _locked(case, expected_revision)
        if case.priority == priority:
            return case
        previous = case.priority
        case.priority = priority
        _touch(case, clock.now(), responded=False)
        case.save(update_fields=["priority", "updated_at", "revision"])
        append_event(
            events.CasePrioritySet(
                case_id=case.id, reference=case.reference, priority=priority, previous=previous
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return case


def case_attach_file(
    *, case: Case, actor: Principal, data: bytes, name: str, is_public: bool = False
) -> Attachment:
    """Attach a photo (stripped of metadata, like citizens' photos) or a PDF document.

    Public attachments must be photos of a public case: documents may hold personal data.
    Attaching never conflicts with other changes (like notes).
    """
    _require(
        policies.can_handle_case(actor, case.council_id),
        "You cannot add files to cases of this council",
    )
    raw_name = name or ""
    name = clean_text((name or "file").replace("/", "_"))[:80] or "file"
    if data[:5] == b"%PDF-":
        if len(data) > MAX_DOCUMENT_BYTES:
            raise InvalidInput(
                {
                    "file": [
                        Problem(
                            "%(name)s is larger than %(mb)s MB",
                            code="file_too_large",
                            params={"name": name, "mb": MAX_DOCUMENT_BYTES // (1024 * 1024)},
                        )
                    ]
                },
                code="too_large",
            )
        if is_public:
            raise InvalidInput(
                {"file": ["Only photos can be shown to the public; attach documents as internal"]},
                code="bad_file",
            )
        content, content_type, extension, width, height = data, "application/pdf", "pdf", None, None
    else:
        try:
            image = image_sanitise(data, name=name)
        except InvalidInput as exc:
            raise InvalidInput(
                {
                    "file": [
                        f"{name} must be a photo (JPEG, PNG, WebP) or a PDF "
                        f"document: {exc.message.split(': ', 1)[-1]}"
                    ]
                },
                code="bad_file",
            ) from exc
        content, content_type, extension = image.data, image.content_type, image.extension
        width, height = image.width, image.height
    with transaction.atomic():
        case = _locked(case, None)
        if is_public and not case.is_public:
            raise InvalidInput(
                {"file": ["This case is private: its files stay internal"]}, code="bad_file"
            )
        now = clock.now()
        attachment = Attachment(
            case=case,
            content_type=content_type,
            original_name=file_name_clean(raw_name),
            width=width,
            height=height,
            is_public=is_public,
            created_at=now,
        )
        attachment.file.save(
            f"{case.reference}-staff-{now:%Y%m%d%H%M%S}.{extension}",
            ContentFile(content),
            save=False,
        )
        attachment.save()
        case.media_count = min(case.media_count + 1, 32767)
        _touch(case, now, responded=False)
        case.save(update_fields=["media_count", "updated_at", "revision"])
        append_event(
            events.AttachmentAdded(
                case_id=case.id,
                reference=case.reference,
                attachment_id=attachment.id,
                content_type=content_type,
                is_public=is_public,
            ),
            council_id=case.council_id,
            stream="case",
            stream_id=case.id,
            actor=actor.as_actor(),
        )
    return attachment


def case_attach_upload(
    *, case: Case, actor: Principal, upload: File | None, is_public: bool = False
) -> Attachment:
    """Attach an uploaded file (a staff form's, a REST API client's): refused before it is
    read when there is none or it is larger than any file case_attach_file accepts."""
    if upload is None:
        raise InvalidInput({"file": ["Choose a file to attach"]})
    if upload.size is None or upload.size > MAX_ATTACHMENT_UPLOAD_BYTES:
        raise InvalidInput(
            {
                "file": [
                    f"The file is larger than {MAX_ATTACHMENT_UPLOAD_BYTES // (1024 * 1024)} MB"
                ]
            },
            code="too_large",
        )
    return case_attach_file(
        case=case, actor=actor, data=upload.read(), name=upload.name or "", is_public=is_public
    )


def case_link(*, case: Case, other: Case, actor: Principal) -> None:
    """Mark two cases of the same council as related (both keep their own state)."""
    _require(
        policies.can_handle_case(actor, case.council_id), "You cannot change cases of this council"
    )
    if other.pk == case.pk:
        raise InvalidInput({"related": ["A case cannot be related to itself"]}, code="bad_link")
    if other.council_id != case.council_id or not policies.can_view_case(actor, other.council_id):
        raise InvalidInput(
            {"related": [f"No case {other.reference} in this council"]}, code="bad_link"
        )
    first, second = sorted([case, other], key=lambda c: c.pk)
    with transaction.atomic():
        locked = {c.pk: _locked(c, None) for c in (first, second)}
        if CaseLink.objects.filter(first_id=first.pk, second_id=second.pk).exists():
            raise InvalidInput(
                {"related": [f"{case.reference} and {other.reference} are already linked"]},
                code="bad_link",
            )
        now = clock.now()
        CaseLink.objects.create(first_id=first.pk, second_id=second.pk, created_at=now)
        for this, that in ((case, other), (other, case)):
            row = locked[this.pk]
            _touch(row, now, responded=False)
            row.save(update_fields=["updated_at", "revision"])
            append_event(
                events.CasesLinked(
                    case_id=this.id, reference=this.reference, other_reference=that.reference
                ),
                council_id=this.council_id,
                stream="case",
                stream_id=this.id,
                actor=actor.as_actor(),
            )
