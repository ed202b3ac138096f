"""Every REST API route refuses a key without its scope, and a key of another council
(ADR 120). The routes are walked from the API itself, so a route added later is checked
without anyone remembering to; a route with no sample body here fails until it has one."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import REPORT_TEMPLATE
from tests.open311_support import tiny_png
from townsquare.accounts.models import Scope
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import api_key_create
from townsquare.api.v1 import api, operation_scopes, operations
from townsquare.cases.services import case_attach_file, case_create
from townsquare.catalogue.builder import draft_from_service
from townsquare.catalogue.selectors import service_get
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.councils.selectors import areas_of_council, teams_of_council
from townsquare.geo.points import Point
from townsquare.messaging.services import webhook_endpoint_add

ALL = [s.value for s in Scope]
# A body each writing route accepts, by operation id.
BODIES = {
    "case_create": {
        "service_code": "pothole",
        "lat": 51.5,
        "lng": -1.5,
        "values": {"depth": "deep"},
    },
    "case_transition": {"to_state": "in_progress"},
    "case_assign": {},
    "case_public_update": {"message": "Crew booked"},
    "case_note": {"note": "Seen"},
    "webhook_register": {"url": "http://127.0.0.1:9/hooks"},
    "webhook_rotate_secret": {},
    # multipart/form-data: a fresh file for every call.
    "case_attachment_upload": lambda: {"file": _png()},
    "template_validate": {"document": REPORT_TEMPLATE},
    "service_draft_import": {"copy_from": {"service_code": "pothole"}},
    "service_draft_publish": {},
}
ONLY_OURS = "testshire_only"


def _png() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", tiny_png(), content_type="image/png")


def _operations() -> list[tuple[str, str, str]]:
    """(operation id, method, path) of every route."""
    return [(str(op.operation_id), op.methods[0], "/api/v1" + path) for path, op in operations(api)]


def _key(council, scopes) -> Client:
    _row, raw = api_key_create(
        council_id=council.id, name="Walker", actor=Actor.system("tests"), scopes=scopes
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


@pytest.fixture
def objects(council, settings, tmp_path):
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    settings.MEDIA_ROOT = tmp_path
    case = case_create(
        council=council,
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )
    admin = Principal(user_id=None, label="tests", roles={council.id: "council_admin"})
    endpoint = webhook_endpoint_add(council=council, url="http://127.0.0.1:9/h", actor=admin)
    # A service and a draft only this council has: another council's key must find neither.
    template_publish(
        council=council, document={**REPORT_TEMPLATE, "code": ONLY_OURS}, actor=admin.as_actor()
    )
    draft = draft_from_service(
        council=council, service_id=service_get(council=council, code=ONLY_OURS).id, actor=admin
    )
    attachment = case_attach_file(
        case=case, actor=admin, data=tiny_png(), name="p.png", is_public=True
    )
    return {
        "reference": case.reference,
        "endpoint_id": endpoint.id,
        "attachment_id": attachment.id,
        "service_code": ONLY_OURS,
        "number": 1,
        "draft_id": draft.id,
        "team_id": teams_of_council(council_id=council.id)[0].id,
        "area_id": areas_of_council(council_id=council.id)[0].id,
    }


def _call(client: Client, method: str, path: str, objects: dict, operation: str):
    url = re.sub(r"\{(\w+)\}", lambda m: str(objects[m[1]]), path)
    if method == "GET":
        return client.get(url)
    body = BODIES[operation]
    if callable(body):
        return client.post(url, body())
    return client.post(url, body, content_type="application/json")


def test_every_route_has_a_scope_and_a_sample_body():
    scopes = operation_scopes(api)
    for operation, method, _path in _operations():
        assert scopes.get(operation) in Scope.values, f"{operation} takes no key scope"
        if method != "GET":
            assert operation in BODIES, f"add a sample body for {operation}"


@pytest.mark.parametrize("operation,method,path", _operations())
def test_a_key_without_the_scope_is_refused(council, objects, operation, method, path):
    needed = operation_scopes(api)[operation]
    without = _key(council, [s for s in ALL if s != needed])
    refused = _call(without, method, path, objects, operation)
    assert refused.status_code == 403, refused.content
    assert refused.json()["code"] == "missing_scope"
    # The same call with the scope is not refused (so the 403 was the scope).
    allowed = _call(_key(council, [needed]), method, path, objects, operation)
    assert allowed.status_code not in (401, 403, 404), allowed.content


@pytest.mark.parametrize("operation,method,path", _operations())
def test_a_key_of_another_council_is_refused(
    council, other_council, objects, operation, method, path
):
    stranger = _key(other_council, ALL)
    answer = _call(stranger, method, path, objects, operation)
    if "{" in path:
        assert answer.status_code == 404, answer.content
    else:
        # Routes without an object act on the key's own council: nothing of ours shows.
        body = (b"".join(answer.streaming_content) if answer.streaming else answer.content).decode()
        assert objects["reference"] not in body
        assert f'"id": {objects["endpoint_id"]},' not in body
        assert "Testshire" not in body
