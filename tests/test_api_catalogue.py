"""REST API v1: template versions and the service builder (ADR 152): validation answers the
builder's problems per place in the template, import and copy make the builder's drafts, and
publishing makes the next version, with If-Match and idempotency."""

from __future__ import annotations

import copy

import yaml

from tests.factories import REPORT_TEMPLATE
from tests.test_api_v1 import client_for, is_problem, key_for
from townsquare.catalogue.builder import draft_from_service
from townsquare.catalogue.models import ServiceDraft
from townsquare.catalogue.schema import template_problems
from townsquare.catalogue.selectors import service_get
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

JSON = "application/json"


def _admin(council):
    return client_for(key_for(council, scopes=["admin"]))


def test_versions_and_a_versions_document(council):
    api = _admin(council)
    versions = api.get("/api/v1/services/pothole/versions").json()
    assert [(v["number"], v["is_current"]) for v in versions] == [(1, True)]
    assert versions[0]["created_at"].endswith("Z")
    one = api.get("/api/v1/services/pothole/versions/1")
    assert one.json()["document"]["code"] == "pothole" and one["ETag"]
    is_problem(api.get("/api/v1/services/pothole/versions/9"), 404)
    is_problem(api.get("/api/v1/services/no-such/versions"), 404)


def test_validate_answers_the_builders_problems_per_field(council):
    api = _admin(council)
    fine = api.post("/api/v1/templates/validate", {"document": REPORT_TEMPLATE}, content_type=JSON)
    assert fine.json() == {
        "valid": True,
        "code": "pothole",
        "name": "Pothole",
        "publishes_as": "new_version",
    }
    broken = copy.deepcopy(REPORT_TEMPLATE)
    broken["fields"][0]["datatype"] = "nope"
    del broken["name"]
    answer = is_problem(
        api.post("/api/v1/templates/validate", {"document": broken}, content_type=JSON), 422
    )
    assert answer["code"] == "invalid_template"
    # The builder's words, by where they are.
    expected = {p.path or "document": [p.reason] for p in template_problems(broken)}
    assert answer["errors"] == expected and "fields[0].datatype" in expected
    no_team = {**copy.deepcopy(REPORT_TEMPLATE), "code": "new_one"}
    no_team["routing"] = {**no_team["routing"], "team": "gardens"}
    answer = is_problem(
        api.post("/api/v1/templates/validate", {"document": no_team}, content_type=JSON), 422
    )
    assert answer["errors"] == {"routing.team": ["Testshire Council has no team 'gardens'"]}
    bad_yaml = is_problem(
        api.post("/api/v1/templates/validate", {"yaml": "code: [unclosed"}, content_type=JSON),
        422,
    )
    assert "not valid YAML" in bad_yaml["errors"]["yaml"][0]
    is_problem(api.post("/api/v1/templates/validate", {}, content_type=JSON), 422)


def test_import_a_template_then_publish_it_with_if_match(council):
    api = _admin(council)
    changed = {**copy.deepcopy(REPORT_TEMPLATE), "description": "A hole in the road, deep."}
    made = api.post("/api/v1/service-drafts", {"yaml": yaml.safe_dump(changed)}, content_type=JSON)
    assert made.status_code == 201, made.content
    draft = made.json()
    assert draft["problems"] == {} and draft["publishes_as"] == "new_version"
    assert api.get(made["Location"]).json()["revision"] == draft["revision"]
    is_problem(api.post(f"{made['Location']}/publish", HTTP_IF_MATCH='"99-0123456789abcdef"'), 412)
    published = api.post(f"{made['Location']}/publish", HTTP_IF_MATCH=made["ETag"])
    assert published.status_code == 201, published.content
    assert published.json()["number"] == 2 and published.json()["is_current"]
    assert service_get(council=council, code="pothole").current_version.number == 2
    assert not ServiceDraft.objects.filter(id=draft["id"]).exists()


def test_an_invalid_import_is_refused_and_a_problem_draft_will_not_publish(council):
    api = _admin(council)
    broken = {**copy.deepcopy(REPORT_TEMPLATE), "kind": "nonsense"}
    answer = is_problem(
        api.post("/api/v1/service-drafts", {"document": broken}, content_type=JSON), 422
    )
    assert "kind" in answer["errors"] and not ServiceDraft.objects.exists()
    # A draft the builder saved with problems (drafts may be invalid while worked on).
    draft = draft_from_service(
        council=council,
        service_id=service_get(council=council, code="pothole").id,
        actor=_principal(council),
    )
    ServiceDraft.objects.filter(id=draft.id).update(
        document={**draft.document, "routing": {**draft.document["routing"], "team": "x"}}
    )
    assert api.get(f"/api/v1/service-drafts/{draft.id}").json()["problems"] == {
        "routing.team": ["Testshire Council has no team 'x'"]
    }
    refused = is_problem(api.post(f"/api/v1/service-drafts/{draft.id}/publish"), 422)
    assert refused["code"] == "invalid_template"


def test_copy_another_councils_service_and_publish_idempotently(council, other_council):
    template_publish(
        council=other_council,
        document={**copy.deepcopy(REPORT_TEMPLATE), "code": "gully", "name": "Blocked gully"},
        actor=Actor.system("tests"),
    )
    api = _admin(council)
    # Copying a service the council has already would clash with its code: the builder says.
    clash = api.post(
        "/api/v1/service-drafts",
        {"copy_from": {"council": "otherton", "service_code": "pothole"}},
        content_type=JSON,
    ).json()
    assert clash["publishes_as"] == "new_service" and "code" in clash["problems"]
    copied = api.post(
        "/api/v1/service-drafts",
        {"copy_from": {"council": "otherton", "service_code": "gully"}},
        content_type=JSON,
    )
    assert copied.status_code == 201, copied.content
    assert copied.json()["source"] == "service:otherton/gully"
    url = f"{copied['Location']}/publish"
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="release-7")
    again = api.post(url, HTTP_IDEMPOTENCY_KEY="release-7")
    assert first.status_code == again.status_code
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert first.status_code == 201 and first.json()["service_code"] == "gully"
    missing = api.post(
        "/api/v1/service-drafts",
        {"copy_from": {"council": "otherton", "service_code": "nothing"}},
        content_type=JSON,
    )
    is_problem(missing, 404)


def test_another_councils_drafts_are_not_found(council, other_council):
    draft = draft_from_service(
        council=council,
        service_id=service_get(council=council, code="pothole").id,
        actor=_principal(council),
    )
    stranger = _admin(other_council)
    is_problem(stranger.get(f"/api/v1/service-drafts/{draft.id}"), 404)
    is_problem(stranger.post(f"/api/v1/service-drafts/{draft.id}/publish"), 404)
    assert stranger.get("/api/v1/service-drafts").json() == []


def _principal(council):
    from townsquare.accounts.principal import Principal

    return Principal(user_id=None, label="tests", roles={council.id: "council_admin"})


def test_a_draft_keeps_no_character_a_store_cannot_hold(council):
    # PostgreSQL's jsonb cannot hold NUL: a 500 there before. Drafts keep texts as published
    # templates do (ADR 70).
    api = _admin(council)
    changed = {**copy.deepcopy(REPORT_TEMPLATE), "description": "A hole\u0000 in the road."}
    made = api.post("/api/v1/service-drafts", {"document": changed}, content_type=JSON)
    assert made.status_code == 201, made.content
    assert ServiceDraft.objects.get().document["description"] == "A hole in the road."
