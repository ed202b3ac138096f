"""The Townsquare REST API, version 1 (ADR 121): django-ninja over the same services,
selectors and policies as the staff web. A route parses, calls one service or selector as
the key's principal (accounts.selectors.principal_for_api_key), and renders; every rule,
every permission and every refusal is the domain's."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import re
from typing import Annotated, Any, Literal

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, NinjaAPI, Path, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.responses import Status
from pydantic import (
    AwareDatetime,
    BeforeValidator,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from townsquare.accounts import policies
from townsquare.accounts.models import Scope
from townsquare.accounts.principal import Principal
from townsquare.api import store
from townsquare.api.http import (
    PROBLEM_JSON,
    ApiProblem,
    KeyAuth,
    expected_revision,
    key_of,
    principal,
    problem,
    problem_from,
    revision_etag,
)
from townsquare.api.idempotency import idempotent_create
from townsquare.cases import queues
from townsquare.cases.models import Case, Channel
from townsquare.cases.selectors import case_get_for_user, case_timeline, case_view_for
from townsquare.cases.services import (
    KEEP,
    Reporter,
    case_add_internal_note,
    case_assign,
    case_create,
    case_post_public_update,
    case_transition,
)
from townsquare.catalogue.selectors import services_of_council, workflow_for_version
from townsquare.core import clock
from townsquare.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from townsquare.core.models import Event
from townsquare.core.replicas import reads_may_lag
from townsquare.councils.selectors import council_get_by_id, team_of_council
from townsquare.geo.points import Point
from townsquare.messaging.selectors import endpoint_get, endpoints_for_council
from townsquare.messaging.services import webhook_endpoint_add, webhook_secret_rotate

log = logging.getLogger(__name__)


def operations(api: NinjaAPI) -> list[tuple[str, Operation]]:
    """(path, operation) of every route, on this module's router and the others added."""
    return [
        (prefix + path, op)
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        for op in view.operations
    ]


def operation_scopes(api: NinjaAPI) -> dict[str, str]:
    """operation id -> the scope its key needs (from each route's KeyAuth)."""
    return {
        str(op.operation_id): str(auth.scope)
        for _path, op in operations(api)
        for auth in op.auth_callbacks
        if isinstance(auth, KeyAuth)
    }


# OpenAPI links (ADR 160): what a client can do next with an answer, which schemathesis'
# stateful phase follows too. They name the case only: a link that also filled If-Match
# from the ETag made schemathesis' scenarios depend on the server's state (Hypothesis
# refuses that as flaky), and If-Match is declared on each change for clients to send.
_THE_CASE = {"path.reference": "$response.body#/reference"}
_THE_CASE_AS_SEEN = _THE_CASE
_CHANGES = {
    "MoveOn": ("case_transition", _THE_CASE_AS_SEEN),
    "AddNote": ("case_note", _THE_CASE_AS_SEEN),
    "Assign": ("case_assign", _THE_CASE_AS_SEEN),
    "PostUpdate": ("case_public_update", _THE_CASE_AS_SEEN),
}
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("case_create", "201"): {"GetCase": ("case_get", _THE_CASE), **_CHANGES},
    ("case_get", "200"): _CHANGES,
    **{(operation, "200"): _CHANGES for operation, _ in _CHANGES.values()},
    ("webhook_register", "201"): {
        "RotateSecret": ("webhook_rotate_secret", {"path.endpoint_id": "$response.body#/id"})
    },
}


class ApiV1(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The generated document, with each operation's scope (`x-scope`) and errors
        declared as problem details (RFC 9457), as they are sent."""
        schema = super().get_openapi_schema(**kwargs)
        scopes = operation_scopes(self)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                scope = scopes.get(operation.get("operationId", ""))
                if scope:
                    operation["x-scope"] = scope
                    operation["description"] = (
                        f"{operation.get('description', '')}\n\nKey scope: `{scope}`."
                    ).strip()
                for status, response in operation.get("responses", {}).items():
                    links = LINKS.get((operation.get("operationId", ""), str(status)))
                    if links:
                        response["links"] = {
                            name: {"operationId": target, "parameters": parameters}
                            for name, (target, parameters) in links.items()
                        }
                    if int(status) >= 400 and "content" in response:
                        response["content"] = {PROBLEM_JSON: response["content"].popitem()[1]}
        return schema


api = ApiV1(
    title="Townsquare API",
    version="1",
    description=(
        "A council's cases, services and webhooks, for its back-office systems. Every call "
        "sends `Authorization: Bearer <key>`, a key a council admin creates in the staff web "
        "(Council settings, API keys). Errors are problem details (RFC 9457); times are RFC "
        "3339. See docs/api/README.md for examples and docs/api/CHANGELOG.md for changes."
    ),
    urls_namespace="api-v1",
)

READ = KeyAuth(Scope.READ_PUBLIC)
WRITE = KeyAuth(Scope.WRITE_CASES)
ADMIN = KeyAuth(Scope.ADMIN)


# -- errors -----------------------------------------------------------------------------------


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: dict[str, list[str]] | None = None


ERRORS: dict[int, Any] = {
    s: ProblemOut for s in (400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 429)
}


@api.exception_handler(ApiProblem)
def _api_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_from(exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        401,
        "unauthenticated",
        "Send a valid key as Authorization: Bearer <key>. A council admin creates keys in "
        "the staff web.",
        headers={"WWW-Authenticate": 'Bearer realm="townsquare"'},
    )


@api.exception_handler(ValidationError)
def _invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # ("query", "limit") or ("body", "payload", "to_state"): the part the client named.
        loc = [str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path")]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        errors.setdefault(".".join(loc) or "request", []).append(str(error.get("msg", "")))
    return problem(422, "invalid_request", "The request does not match the API.", errors=errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, "bad_request", str(exc.message))


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return problem(404, exc.code, exc.message)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(403, exc.code, exc.message)


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    # Only an If-Match makes the services compare revisions: the precondition failed.
    return problem(412, "precondition_failed", exc.message)


@api.exception_handler(InvalidInput)
def _invalid(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    errors = {("request" if k == "__all__" else k): list(v) for k, v in exc.errors.items()}
    return problem(422, exc.code, exc.message, errors=errors)


@api.exception_handler(DomainError)
def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem(422, exc.code, exc.message)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(413, "too_large", "The request body is too large.")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return problem(400, "bad_request", "The request cannot be read.")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("REST API call failed: %s %s", request.method, request.path)
    return problem(500, "internal_error", "Something went wrong on our side; it was logged.")


# -- cases ------------------------------------------------------------------------------------


class Input(Schema):
    """A request body: a JSON object, never another JSON value (ninja would read a list as an
    object with none of the fields, and every field of some bodies is optional)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        # ninja hands its schemas the parsed body wrapped in a DjangoGetter.
        if not isinstance(getattr(value, "_obj", value), dict):
            raise ValueError("Send a JSON object")
        return value


class CaseSummaryOut(Schema):
    reference: str
    title: str
    service_code: str
    service_name: str
    state: str
    state_name: str
    is_open: bool
    area_id: int | None
    team_id: int | None
    assignee_id: int | None
    priority: int
    created_at: Time
    updated_at: Time
    due_at: Time | None
    sla: str = Field(description="overdue, due_soon, on_track, or closed")
    address: str
    support_count: int
    revision: int
    is_duplicate: bool


class CasePageOut(Schema):
    items: list[CaseSummaryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: Any) -> Any:
    # pydantic would also take a number of seconds ("0.5"): the document says RFC 3339.
    if value is not None and not (isinstance(value, str) and _RFC3339.match(value)):
        raise ValueError("Give a time as RFC 3339, e.g. 2026-12-01T09:00:00Z")
    return value


Rfc3339 = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


def _rfc3339_text(moment: dt.datetime) -> str:
    # One form for every time sent (ADR 159): UTC, "Z", always six decimals, so times sort
    # and compare as text, and `updated_at` passed back as `updated_after` loses nothing.
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Time = Annotated[
    dt.datetime,
    PlainSerializer(_rfc3339_text, return_type=str),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-12-01T09:00:00.000000Z"]}
    ),
]


class CaseSearch(Schema):
    status: Literal["open", "closed", "all"] = "open"
    service: str | None = Field(None, max_length=50, description="A service code")
    overdue: bool | None = Field(None, description="Only cases past their due time")
    assigned: bool | None = Field(None, description="Only assigned (true) or unassigned cases")
    team: int | None = Field(None, ge=1, le=2**53, description="A team id")
    ward: int | None = Field(None, ge=1, le=2**53, description="An area (ward) id")
    updated_after: Rfc3339 | None = Field(None, description="RFC 3339")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


def _cursor_encode(after: tuple[dt.datetime, int]) -> str:
    raw = json.dumps([after[0].isoformat(), after[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, last_id = json.loads(raw)
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
        return moment, last_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiProblem(
            400,
            "bad_cursor",
            "The cursor is not one this API gave: pass next_cursor as it came.",
        ) from None


def _service_ids(council_id: int, code: str | None) -> tuple[int, ...] | None:
    """Ids of the service with `code` (an unknown code matches no case: empty, not an error,
    as a queue filtered on a retired service is)."""
    if code is None:
        return None
    return tuple(s.id for s in services_of_council(council_id=council_id) if s.code == code) or (0,)


@api.get(
    "/cases",
    auth=READ,
    response={200: CasePageOut, **ERRORS},
    summary="Search cases",
    tags=["cases"],
    operation_id="cases_search",
)
def cases_search(request: HttpRequest, filters: Query[CaseSearch]) -> Any:
    """The council's cases in the order they last changed, oldest change first, a page at a
    time: follow `next_cursor` until it is null. `updated_after` makes a feed: keep the last
    `updated_at` you saw and ask again later."""
    key = key_of(request)
    after = _cursor_decode(filters.cursor) if filters.cursor else None
    queue = queues.QueueFilter(
        status=filters.status,
        service_ids=_service_ids(key.council_id, filters.service) or (),
        area_ids=(filters.ward,) if filters.ward else (),
        team_ids=(filters.team,) if filters.team else (),
        sla={None: "", True: "overdue", False: "not_overdue"}[filters.overdue],
        assigned={None: "", True: "others", False: "unassigned"}[filters.assigned],
    )
    # A search may be a moment behind (ADR 231): from a replica when one is configured.
    with reads_may_lag():
        found = queues.queue_after(
            principal=principal(request),
            council_id=key.council_id,
            queue=queue,
            now=clock.now(),
            updated_after=filters.updated_after,
            after=after,
            limit=filters.limit,
        )
    return {
        "items": [
            {name: getattr(row, name) for name in CaseSummaryOut.model_fields} for row in found.rows
        ],
        "next_cursor": _cursor_encode(found.next_after) if found.next_after else None,
    }


class ReporterOut(Schema):
    name: str
    name_public: bool
    email: str | None = Field(description="null when withheld from this key")
    phone: str | None = Field(description="null when withheld from this key")


class AnswerOut(Schema):
    code: str
    label: str
    value: str | None = Field(description="null when private and withheld from this key")
    private: bool


class TimelineEntryOut(Schema):
    id: int
    kind: str
    at: Time
    visibility: str
    actor_kind: str
    actor: str
    message: str
    from_state: str | None = None
    to_state: str | None = None


class TransitionOut(Schema):
    to_state: str
    name: str


class CaseOut(Schema):
    reference: str
    kind: str
    service_code: str
    service_name: str
    state: str
    state_name: str
    is_open: bool
    is_public: bool
    title: str
    description: str
    status_notes: str
    channel: str
    created_at: Time
    updated_at: Time
    responded_at: Time | None
    closed_at: Time | None
    response_due_at: Time | None
    resolve_due_at: Time | None
    priority: int
    team_id: int | None
    team_name: str
    assignee_id: int | None
    lat: float | None
    lng: float | None
    address: str
    postcode: str
    area_id: int | None
    area_name: str
    support_count: int
    duplicate_of_reference: str
    revision: int
    identity_level: str = Field(
        description="How sure the council is who applied, reached at sign-in: none, "
        "authenticated (signed in with two factors) or P2 (identity checked, GOV.UK One Login)"
    )
    reporter: ReporterOut | None = Field(
        description="null when this key may not read personal data, or it was anonymised"
    )
    answers: list[AnswerOut]
    timeline: list[TimelineEntryOut] = Field(
        description="Oldest first. Keys that read personal data see internal entries too."
    )
    transitions: list[TransitionOut] = Field(
        description="The states this key may move the case to now (empty without write_cases)"
    )


def _timeline_entry(event: Event, who: Principal) -> dict[str, Any]:
    payload = event.payload or {}
    actor = event.actor_label
    if event.actor_kind in ("citizen", "anonymous") and not who.sees_personal_data:
        actor = "Member of the public"
    return {
        "id": event.id,
        "kind": event.kind,
        "at": event.created_at,
        "visibility": event.visibility,
        "actor_kind": event.actor_kind,
        "actor": actor,
        "message": str(payload.get("message") or payload.get("note") or ""),
        "from_state": payload.get("from_state"),
        "to_state": payload.get("to_state"),
    }


def _case_out(case: Case, who: Principal, *, writes: bool) -> dict[str, Any]:
    view = case_view_for(case=case, principal=who)
    # Keys that may not read personal data get the public timeline: internal notes are
    # where officers write what residents told them.
    events = case_timeline(case=case, principal=who if who.sees_personal_data else None)
    out = {
        name: getattr(view, name)
        for name in CaseOut.model_fields
        if name not in ("reporter", "answers", "timeline", "transitions")
    }
    out["reporter"] = (
        {
            "name": view.reporter.name,
            "name_public": view.reporter.name_public,
            "email": view.reporter.email,
            "phone": view.reporter.phone,
        }
        if view.reporter
        else None
    )
    out["answers"] = [
        {"code": a.code, "label": a.label, "value": a.value, "private": a.private}
        for a in view.answers
    ]
    out["timeline"] = [_timeline_entry(e, who) for e in events]
    # What the staff case page offers the same role (staff.casework), for keys that write.
    moves = (
        workflow_for_version(case.service_version).transitions_from(
            case.state, policies.effective_roles(who, case.council_id)
        )
        if writes
        else []
    )
    out["transitions"] = [{"to_state": t.target, "name": t.name} for t in moves]
    return out


def _case_response(
    request: HttpRequest, case: Case, *, status: int = 200, fresh: bool = False
) -> HttpResponse:
    """The case as this key sees it. A case a service changed is read again (with its team
    and area as they are now); one just read (`fresh`) is not."""
    who = principal(request)
    if not fresh:
        case = case_get_for_user(principal=who, reference=case.reference)
    writes = key_of(request).has_scope(Scope.WRITE_CASES)
    response = api.create_response(
        request, CaseOut(**_case_out(case, who, writes=writes)).model_dump(), status=status
    )
    response["ETag"] = revision_etag(case.revision, response)
    return response


def _case(request: HttpRequest, reference: str) -> Case:
    return case_get_for_user(principal=principal(request), reference=reference.strip().upper())


REFERENCE = Path(..., max_length=40, description="The case's reference, e.g. BRS-26-1234")
# Declared so the document says which routes honour them; api.http reads them.
IF_MATCH = Header(
    "",
    alias="If-Match",
    max_length=100,
    description="The case's ETag as you last read it: the change is refused (412) if the case "
    "changed since. Leave out to change it whatever its revision.",
)
IDEMPOTENCY_KEY = Header(
    "",
    alias="Idempotency-Key",
    max_length=255,
    description="Any unique string: a retry with the same key and body gets the first answer "
    "instead of making a second one; the same key with another body is a 422.",
)


def _case_to_change(request: HttpRequest, reference: str) -> Case:
    """The case a change names. A test key changes only test cases (ADR 158): a change to a
    real one would message its reporter or show on the public site."""
    case = _case(request, reference)
    if key_of(request).test_mode and not case.is_test:
        raise ApiProblem(
            403,
            "test_key_real_case",
            "A test key changes only the cases it created: use a live or team key for this case.",
        )
    return case


ENDPOINT_ID = Path(..., ge=1, le=2**53, description="The webhook's id")


@api.get(
    "/cases/{reference}",
    auth=READ,
    response={200: CaseOut, 304: None, **ERRORS},
    summary="One case with its timeline",
    tags=["cases"],
    operation_id="case_get",
)
def case_get(request: HttpRequest, reference: str = REFERENCE) -> HttpResponse:
    """The case as this key may see it. Its `ETag` names its revision: send it back as
    `If-Match` on a change to be sure nobody changed the case since (412 otherwise), or as
    `If-None-Match` to be told 304 when nothing changed."""
    return _case_response(request, _case(request, reference), fresh=True)


class ReporterIn(Input):
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)


class CaseIn(Input):
    service_code: str = Field(max_length=50)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=300)
    postcode: str = Field("", max_length=10)
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=10000)
    values: dict[str, Any] = Field(default_factory=dict)
    reporter: ReporterIn | None = None
    channel: Literal["staff", "phone", "email", "app", "web"] = Field(
        "staff", description="How the council received it"
    )


@api.post(
    "/cases",
    auth=WRITE,
    response={201: CaseOut, **ERRORS},
    summary="Create a case",
    tags=["cases"],
    operation_id="case_create",
)
def case_new(
    request: HttpRequest, payload: CaseIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> HttpResponse:
    """Create a case in the key's council. Send an `Idempotency-Key` header (any unique
    string, up to 255 characters): a retry with the same key and body gets the first answer
    instead of a second case; the same key with another body is a 422. A test key's cases are
    marked as tests: nothing is sent about them and nothing of them is public."""
    key = key_of(request)
    who = principal(request)
    point = (
        Point(payload.lat, payload.lng)
        if payload.lat is not None and payload.lng is not None
        else None
    )
    reporter = payload.reporter

    def create() -> HttpResponse:
        case = case_create(
            service_code=payload.service_code,
            actor=who,
            council=council_get_by_id(council_id=key.council_id),
            point=point,
            values=payload.values,
            title=payload.title,
            description=payload.description,
            address=payload.address,
            postcode=payload.postcode,
            reporter=Reporter(name=reporter.name, email=reporter.email, phone=reporter.phone)
            if reporter
            else None,
            channel=Channel(payload.channel),
            is_test=key.test_mode,
        )
        response = _case_response(request, case, status=201)
        response["Location"] = f"/api/v1/cases/{case.reference}"
        return response

    request_print = store.fingerprint(method="POST", path=request.path, body=request.body)
    return idempotent_create(request, request_print=request_print, create=create)


class TransitionIn(Input):
    to_state: str = Field(max_length=50, description="A state code of the case's service")
    message: str = Field("", max_length=5000, description="Shown to the public")


@api.post(
    "/cases/{reference}/transition",
    auth=WRITE,
    response={200: CaseOut, **ERRORS},
    summary="Move a case on",
    tags=["cases"],
    operation_id="case_transition",
)
def case_move(
    request: HttpRequest,
    payload: TransitionIn,
    reference: str = REFERENCE,
    if_match: str = IF_MATCH,
) -> HttpResponse:
    """Move the case along a transition its service's workflow allows (422 otherwise)."""
    case = case_transition(
        case=_case_to_change(request, reference),
        to_state=payload.to_state,
        actor=principal(request),
        message=payload.message,
        expected_revision=expected_revision(request),
    )
    return _case_response(request, case)


class AssignIn(Input):
    team_id: int | None = Field(
        None, ge=1, le=2**53, description="A team of the council; null clears it; leave out to keep"
    )
    assignee_id: int | None = Field(
        None, ge=1, le=2**53, description="A staff member's id; null clears it; leave out to keep"
    )


@api.post(
    "/cases/{reference}/assign",
    auth=WRITE,
    response={200: CaseOut, **ERRORS},
    summary="Assign a case to a team or person",
    tags=["cases"],
    operation_id="case_assign",
)
def case_give(
    request: HttpRequest,
    payload: AssignIn,
    reference: str = REFERENCE,
    if_match: str = IF_MATCH,
) -> HttpResponse:
    case = _case_to_change(request, reference)
    sent = payload.model_fields_set
    team: Any = KEEP
    if "team_id" in sent:
        team = None
        if payload.team_id is not None:
            team = team_of_council(council_id=case.council_id, team_id=payload.team_id)
            if team is None:
                raise InvalidInput(
                    {"team_id": ["Choose one of the council's teams"]}, code="bad_team"
                )
    case = case_assign(
        case=case,
        actor=principal(request),
        team=team,
        assignee_id=payload.assignee_id if "assignee_id" in sent else KEEP,
        expected_revision=expected_revision(request),
    )
    return _case_response(request, case)


class MessageIn(Input):
    message: str = Field(max_length=5000)


@api.post(
    "/cases/{reference}/public-updates",
    auth=WRITE,
    response={200: CaseOut, **ERRORS},
    summary="Post an update the public can read",
    tags=["cases"],
    operation_id="case_public_update",
)
def case_public_update(
    request: HttpRequest,
    payload: MessageIn,
    reference: str = REFERENCE,
    if_match: str = IF_MATCH,
) -> HttpResponse:
    case = case_post_public_update(
        case=_case_to_change(request, reference),
        actor=principal(request),
        message=payload.message,
        expected_revision=expected_revision(request),
    )
    return _case_response(request, case)


class NoteIn(Input):
    note: str = Field(max_length=5000)


@api.post(
    "/cases/{reference}/notes",
    auth=WRITE,
    response={200: CaseOut, **ERRORS},
    summary="Add an internal note",
    tags=["cases"],
    operation_id="case_note",
)
def case_note(
    request: HttpRequest,
    payload: NoteIn,
    reference: str = REFERENCE,
    if_match: str = IF_MATCH,
) -> HttpResponse:
    """A note only the council's staff (and keys that read personal data) can read. Like
    every change it honours If-Match (412 when the case changed since)."""
    case = case_add_internal_note(
        case=_case_to_change(request, reference),
        actor=principal(request),
        note=payload.note,
        expected_revision=expected_revision(request),
    )
    return _case_response(request, case)


# -- services ---------------------------------------------------------------------------------


class ServiceOut(Schema):
    code: str
    name: str
    group: str
    kind: str
    privacy: str
    is_active: bool
    version: int | None


@api.get(
    "/services",
    auth=READ,
    response={200: list[ServiceOut], **ERRORS},
    summary="The council's services",
    tags=["services"],
    operation_id="services_list",
)
def services_list(request: HttpRequest) -> Any:
    return [
        {
            "code": s.code,
            "name": s.name,
            "group": s.group,
            "kind": s.kind,
            "privacy": s.privacy,
            "is_active": s.is_active,
            "version": s.current_version.number if s.current_version else None,
        }
        for s in services_of_council(council_id=key_of(request).council_id)
    ]


# -- webhooks ---------------------------------------------------------------------------------


class WebhookIn(Input):
    url: str = Field(max_length=500, description="https address of your receiver")
    event_types: list[str] = Field(
        default_factory=list, max_length=20, description="Event kinds; empty for every kind"
    )
    description: str = Field("", max_length=200)


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    created_at: Time


class WebhookWithSecretOut(WebhookOut):
    secret: str = Field(description="Verify signatures with it (Standard Webhooks)")


def _webhook(endpoint: Any, *, secret: bool = False) -> dict[str, Any]:
    out = {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "is_active": endpoint.is_active,
        "created_at": endpoint.created_at,
    }
    if secret:
        out["secret"] = endpoint.secret
    return out


@api.get(
    "/webhooks",
    auth=ADMIN,
    response={200: list[WebhookOut], **ERRORS},
    summary="The council's webhook subscriptions",
    tags=["webhooks"],
    operation_id="webhooks_list",
)
def webhooks_list(request: HttpRequest) -> Any:
    return [_webhook(e) for e in endpoints_for_council(council_id=key_of(request).council_id)]


@api.post(
    "/webhooks",
    auth=ADMIN,
    response={201: WebhookWithSecretOut, **ERRORS},
    summary="Register a webhook",
    tags=["webhooks"],
    operation_id="webhook_register",
)
def webhook_register(request: HttpRequest, payload: WebhookIn) -> Any:
    """Changes to the council's cases are posted to `url`, signed per Standard Webhooks with
    the secret in the answer. Internal addresses are refused."""
    endpoint = webhook_endpoint_add(
        council=council_get_by_id(council_id=key_of(request).council_id),
        url=payload.url,
        actor=principal(request),
        event_types=payload.event_types,
        description=payload.description,
    )
    return Status(201, _webhook(endpoint, secret=True))


@api.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    auth=ADMIN,
    response={200: WebhookWithSecretOut, **ERRORS},
    summary="Rotate a webhook's signing secret",
    tags=["webhooks"],
    operation_id="webhook_rotate_secret",
)
def webhook_rotate(request: HttpRequest, endpoint_id: int = ENDPOINT_ID) -> Any:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    endpoint = endpoint_get(
        endpoint_id=endpoint_id, council_ids=frozenset({key_of(request).council_id})
    )
    return _webhook(webhook_secret_rotate(endpoint=endpoint, actor=principal(request)), secret=True)


# Routes in modules of their own add themselves to `api` (each module's last lines).
from townsquare.api import v1_attachments, v1_catalogue, v1_council, v1_events  # noqa: E402, F401
