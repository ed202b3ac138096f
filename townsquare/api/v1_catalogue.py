"""REST API v1: services' template versions and the service builder (ADR 152). What the
staff builder does, as the key's principal, through its services and selectors: versions
(versions_of, service_version), validation (council_template_problems, the problems the
builder shows), import (draft_from_yaml and draft_from_service, as the builder's import and
copy) and publishing (draft_publish). All of it is the builder's, so all of it needs the
admin scope, as the builder needs a council admin."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Path, Router, Schema
from pydantic import model_validator

from townsquare.api import store
from townsquare.api.http import ApiProblem, expected_revision, key_of, principal, revision_etag
from townsquare.api.idempotency import idempotent_create
from townsquare.api.v1 import ADMIN, ERRORS, IDEMPOTENCY_KEY, Input, Time, api
from townsquare.catalogue.builder import (
    council_template_problems,
    draft_changes_own_service,
    draft_from_service,
    draft_from_yaml,
    draft_get,
    draft_problems,
    draft_publish,
    draft_target,
    versions_of,
)
from townsquare.catalogue.documents import (
    MAX_TEMPLATE_YAML,
    TemplateFileError,
    parse_template_yaml,
    template_checked,
)
from townsquare.catalogue.models import ServiceDraft, ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.schema import TemplateProblem
from townsquare.catalogue.selectors import (
    service_drafts_of_council,
    service_of_council_by_code,
    service_version,
    services_of_other_councils,
)
from townsquare.core.errors import NotFound
from townsquare.councils.selectors import council_get_by_id

router = Router()

SERVICE_CODE = Path(..., max_length=50, description="The service's code, e.g. pothole")
NUMBER = Path(..., ge=1, le=2**31, description="The version's number")
DRAFT_ID = Path(..., ge=1, le=2**53, description="The draft's id")
PUBLISHES_AS = Field(
    description="new_service, or new_version of the council's service with the same code"
)

# Declared so the document says the route honours it; the route reads the header itself.
DRAFT_IF_MATCH = Header(
    "",
    alias="If-Match",
    max_length=100,
    description="The draft's ETag as you last read it: publishing is refused (412) if the "
    "draft changed since. Leave out to publish it whatever its revision.",
)


# -- versions ---------------------------------------------------------------------------------


class VersionSummaryOut(Schema):
    number: int
    created_at: Time
    created_by: str
    is_current: bool = Field(description="The version new cases are made under")


class VersionOut(VersionSummaryOut):
    service_code: str
    document: dict[str, Any] = Field(description="The template, as the builder exports it")


def _service(request: HttpRequest, code: str) -> ServiceTemplate:
    return service_of_council_by_code(council_id=key_of(request).council_id, code=code.strip())


def _version_summary(service: ServiceTemplate, version: ServiceTemplateVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "created_at": version.created_at,
        "created_by": version.created_by_label,
        "is_current": version.id == service.current_version_id,
    }


def _version_out(service: ServiceTemplate, version: ServiceTemplateVersion) -> dict[str, Any]:
    return {
        **_version_summary(service, version),
        "service_code": service.code,
        "document": version.document,
    }


@router.get(
    "/services/{service_code}/versions",
    auth=ADMIN,
    response={200: list[VersionSummaryOut], **ERRORS},
    summary="A service's template versions",
    tags=["services"],
    operation_id="service_versions_list",
)
def service_versions(request: HttpRequest, service_code: str = SERVICE_CODE) -> Any:
    """Newest first, as the builder's service page lists them. Open cases keep the version
    they were made under."""
    service = _service(request, service_code)
    return [_version_summary(service, v) for v in versions_of(service=service)]


@router.get(
    "/services/{service_code}/versions/{number}",
    auth=ADMIN,
    response={200: VersionOut, 304: None, **ERRORS},
    summary="One template version with its document",
    tags=["services"],
    operation_id="service_version_get",
)
def service_version_get(
    request: HttpRequest, service_code: str = SERVICE_CODE, number: int = NUMBER
) -> Any:
    """The version's template document (questions, workflow, time limits, routing,
    messages, translations), as the builder exports it in YAML. Versions never change."""
    service = _service(request, service_code)
    return _version_out(service, service_version(service=service, number=number))


# -- validating and importing templates ----------------------------------------------------------


class TemplateIn(Input):
    """A template: as a JSON object (`document`) or as the YAML text the builder exports and
    imports (`yaml`). Send one of them."""

    document: dict[str, Any] | None = Field(None, description="The template as JSON")
    yaml: str | None = Field(
        None, max_length=MAX_TEMPLATE_YAML, description="The template as YAML text"
    )

    @model_validator(mode="after")
    def _one_form(self) -> TemplateIn:
        if (self.document is None) == (self.yaml is None):
            raise ValueError("Send the template as either document or yaml")
        return self


def _as_errors(problems: list[TemplateProblem], *, from_yaml: bool) -> dict[str, list[str]]:
    """The builder's problems, by where they are in the template ("fields[2].label"); the
    whole template's under "document", YAML that cannot be read under "yaml"."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        if from_yaml and p.reason.startswith("not valid YAML"):
            errors.setdefault("yaml", []).append(f"{p.path}: {p.reason}" if p.path else p.reason)
        else:
            errors.setdefault(p.path or "document", []).append(p.reason)
    return errors


def _invalid(problems: list[TemplateProblem], *, from_yaml: bool) -> ApiProblem:
    return ApiProblem(
        422,
        "invalid_template",
        "The template has problems: each is listed under where it is in the template.",
        errors=_as_errors(problems, from_yaml=from_yaml),
    )


def _checked(template: TemplateIn) -> dict[str, Any]:
    """The template, read and checked as the builder's import checks an uploaded file."""
    try:
        if template.yaml is not None:
            return parse_template_yaml(template.yaml, source="the template")
        return template_checked(template.document, source="the template")
    except TemplateFileError as exc:
        raise _invalid(exc.problems, from_yaml=template.yaml is not None) from None


class ValidationOut(Schema):
    valid: Literal[True]
    code: str
    name: str
    publishes_as: Literal["new_service", "new_version"] = PUBLISHES_AS


@router.post(
    "/templates/validate",
    auth=ADMIN,
    response={200: ValidationOut, **ERRORS},
    summary="Validate a template",
    tags=["services"],
    operation_id="template_validate",
)
def template_validate(request: HttpRequest, payload: TemplateIn) -> Any:
    """Check a template as the builder does before it imports or publishes one: the
    template's rules, then the council's own facts (the team it routes to must exist). A
    template with problems is a 422 `invalid_template` whose `errors` name each problem's
    place in the template, with the builder's words. Nothing is saved."""
    document = _checked(payload)
    council = council_get_by_id(council_id=key_of(request).council_id)
    # Imported, a template with the code of one of the council's services changes that
    # service (draft_from_yaml): judged the same way here.
    problems = council_template_problems(
        council=council, document=document, changes_own_service=True
    )
    if problems:
        raise _invalid(problems, from_yaml=False)
    return {
        "valid": True,
        "code": document["code"],
        "name": document["name"],
        "publishes_as": _publishes_as(council.id, document["code"]),
    }


def _publishes_as(council_id: int, code: str) -> str:
    try:
        service_of_council_by_code(council_id=council_id, code=code)
    except NotFound:
        return "new_service"
    return "new_version"


# -- drafts: import and publish ----------------------------------------------------------------


class CopyFromIn(Input):
    council: str | None = Field(
        None, max_length=100, description="Another council's slug; leave out for your own"
    )
    service_code: str = Field(max_length=50)


class DraftIn(TemplateIn):
    """A template to import (`document` or `yaml`), or a published service to copy
    (`copy_from`): your own, to change it, or another council's active one. Send one."""

    copy_from: CopyFromIn | None = None

    @model_validator(mode="after")
    def _one_form(self) -> DraftIn:
        given = [x for x in (self.document, self.yaml, self.copy_from) if x is not None]
        if len(given) != 1:
            raise ValueError("Send one of document, yaml or copy_from")
        return self


class DraftOut(Schema):
    id: int
    code: str
    name: str
    source: str = Field(description='Where it started: "import", "service:<council>/<code>"')
    revision: int = Field(description="Bumped by every save; its ETag names it")
    created_at: Time
    updated_at: Time
    updated_by: str
    publishes_as: Literal["new_service", "new_version"] = PUBLISHES_AS
    problems: dict[str, list[str]] = Field(
        description="What stops it from being published, by place in the template (the "
        "builder's words); empty when it can be published"
    )
    document: dict[str, Any]


def _draft_out(draft: ServiceDraft) -> dict[str, Any]:
    document = draft.document
    return {
        "id": draft.id,
        "code": str(document.get("code", "")),
        "name": str(document.get("name", "")),
        "source": draft.source,
        "revision": draft.revision,
        "created_at": draft.created_at,
        "updated_at": draft.updated_at,
        "updated_by": draft.updated_by_label,
        "publishes_as": "new_version" if draft_changes_own_service(draft) else "new_service",
        "problems": _as_errors(draft_problems(draft), from_yaml=False),
        "document": document,
    }


def _draft_response(request: HttpRequest, draft: ServiceDraft, *, status: int) -> HttpResponse:
    response = api.create_response(
        request, DraftOut(**_draft_out(draft)).model_dump(), status=status
    )
    response["ETag"] = revision_etag(draft.revision, response)
    return response


def _copied_service_id(request: HttpRequest, copy_from: CopyFromIn) -> int:
    """The published service to copy, as the builder's "copy" offers them: the council's own
    (to change it) or another council's active ones."""
    council_id = key_of(request).council_id
    code = copy_from.service_code.strip()
    if copy_from.council is None:
        return service_of_council_by_code(council_id=council_id, code=code).id
    for service in services_of_other_councils(council_id=council_id):
        if service.council.slug == copy_from.council and service.code == code:
            return service.id
    raise NotFound("No such published service")


@router.get(
    "/service-drafts",
    auth=ADMIN,
    response={200: list[DraftOut], **ERRORS},
    summary="The council's drafts in the service builder",
    tags=["services"],
    operation_id="service_drafts_list",
)
def service_drafts(request: HttpRequest) -> Any:
    """Most recently changed first, with what stops each from being published."""
    return [_draft_out(d) for d in service_drafts_of_council(council_id=key_of(request).council_id)]


@router.post(
    "/service-drafts",
    auth=ADMIN,
    response={201: DraftOut, **ERRORS},
    summary="Import a template as a draft",
    tags=["services"],
    operation_id="service_draft_import",
)
def service_draft_import(
    request: HttpRequest, payload: DraftIn, idempotency_key: str = IDEMPOTENCY_KEY
) -> HttpResponse:
    """A new draft in the service builder, as its import and copy make one: from a template
    (refused, problem by problem, as a 422 `invalid_template` unless it is a valid one; one
    with the code of one of the council's services is a change to that service), or a copy
    of a published service. Publish it with `/service-drafts/<id>/publish`, or finish it in
    the staff builder. Send an `Idempotency-Key` header: a retry gets the first draft."""
    council = council_get_by_id(council_id=key_of(request).council_id)
    who = principal(request)

    def make() -> HttpResponse:
        if payload.copy_from is not None:
            draft = draft_from_service(
                council=council,
                service_id=_copied_service_id(request, payload.copy_from),
                actor=who,
            )
        else:
            draft = draft_from_yaml(council=council, document=_checked(payload), actor=who)
        response = _draft_response(request, draft, status=201)
        response["Location"] = f"/api/v1/service-drafts/{draft.id}"
        return response

    request_print = store.fingerprint(method="POST", path=request.path, body=request.body)
    return idempotent_create(request, request_print=request_print, create=make)


def _draft(request: HttpRequest, draft_id: int) -> ServiceDraft:
    council = council_get_by_id(council_id=key_of(request).council_id)
    return draft_get(council=council, draft_id=draft_id, actor=principal(request))


@router.get(
    "/service-drafts/{draft_id}",
    auth=ADMIN,
    response={200: DraftOut, 304: None, **ERRORS},
    summary="One draft, with what stops it from being published",
    tags=["services"],
    operation_id="service_draft_get",
)
def service_draft_get(request: HttpRequest, draft_id: int = DRAFT_ID) -> HttpResponse:
    """Its `ETag` names its revision: send it as `If-Match` when publishing, to publish the
    draft as you read it (412 if someone saved it since)."""
    return _draft_response(request, _draft(request, draft_id), status=200)


@router.post(
    "/service-drafts/{draft_id}/publish",
    auth=ADMIN,
    response={200: VersionOut, 201: VersionOut, **ERRORS},
    summary="Publish a draft as a template version",
    tags=["services"],
    operation_id="service_draft_publish",
)
def service_draft_publish(
    request: HttpRequest,
    draft_id: int = DRAFT_ID,
    if_match: str = DRAFT_IF_MATCH,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> HttpResponse:
    """Publish the draft as the service's next version (a new service when no service of
    the council has its code), as the builder's Publish does; the draft is removed. New
    cases use the new version; open cases keep theirs. A draft with problems is a 422
    `invalid_template` naming them. 201 with the new version; 200 with the current one when
    the draft is the same as it (nothing new is published). Send an `Idempotency-Key`
    header: a retry gets the first answer, not a 404 for the draft it removed."""

    def publish() -> HttpResponse:
        draft = _draft(request, draft_id)
        target = draft_target(draft) if draft_changes_own_service(draft) else None
        before = target.current_version_id if target else None
        version = draft_publish(
            draft=draft, actor=principal(request), expected_revision=expected_revision(request)
        )
        service = version.template
        response = api.create_response(
            request,
            VersionOut(**_version_out(service, version)).model_dump(),
            status=200 if version.id == before else 201,
        )
        response["Location"] = f"/api/v1/services/{service.code}/versions/{version.number}"
        return response

    request_print = store.fingerprint(
        method="POST",
        path=request.path,
        body=request.headers.get("If-Match", "").encode(),
    )
    return idempotent_create(request, request_print=request_print, create=publish)


api.add_router("", router)
