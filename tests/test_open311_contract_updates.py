"""Open311 contract: mySociety's servicerequestupdates.{fmt}, GET (FixMyStreet polls a 2-hour
window, XML only) and POST (FixMyStreet sends citizens' updates, idempotent on update_id)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.open311_support import (
    DATETIME,
    FMS_STATUSES,
    FORMATS,
    UNICODE_TEXT,
    api_key_for,
    assert_error,
    get,
    now_s,
    ok,
    post_form,
    post_multipart,
    seed_case,
    tiny_png,
    w3c,
    xml_root,
)
from townsquare.cases.services import (
    case_add_internal_note,
    case_assign,
    case_post_public_update,
    case_transition,
)
from townsquare.core.models import Event

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
UPDATE_FIELDS = {"update_id", "service_request_id", "status", "updated_datetime", "description"}


@pytest.fixture
def api_key(council):
    return api_key_for(council)


@pytest.fixture
def case(council):
    return seed_case(council)


def window(**params):
    """The 2-hour window FixMyStreet polls, around now."""
    now = now_s()
    return {"start_date": w3c(now - HOUR), "end_date": w3c(now + HOUR), **params}


def fetch_updates(client, fmt="xml", **params):
    data = ok(get(client, "servicerequestupdates", fmt, **window(**params)), fmt)
    assert isinstance(data, list), data
    return data


def with_text(updates, text):
    return [u for u in updates if text in u.get("description", "")]


# ---- GET ------------------------------------------------------------------------------------


def test_updates_xml_after_a_transition_and_a_public_update(client, council, agent, case):
    case_transition(case=case, to_state="in_progress", actor=agent, message="Crew booked")
    case_post_public_update(case=case, actor=agent, message="Arriving Tuesday")
    response = get(client, "servicerequestupdates", "xml", **window())
    root = xml_root(response)
    assert root.tag == "service_request_updates"
    assert all(child.tag == "request_update" for child in root)
    updates = ok(response, "xml")
    [transition] = with_text(updates, "Crew booked")
    [public] = with_text(updates, "Arriving Tuesday")
    for update in (transition, public):
        assert set(update) >= UPDATE_FIELDS
        assert update["update_id"].strip(), "FixMyStreet skips items without update_id"
        assert update["service_request_id"] == case.reference
        assert DATETIME.match(update["updated_datetime"])
        assert update["status"] in FMS_STATUSES and update["status"] == update["status"].lower()
        assert update.get("media_url", "x"), "media_url omitted, never empty"
    assert transition["status"] == "in_progress"
    assert public["status"] == "in_progress", "a message keeps the case's current status"
    assert transition["update_id"] != public["update_id"]


def test_updates_json(client, council, agent, case):
    case_transition(case=case, to_state="fixed", actor=agent, message="Filled in")
    [update] = with_text(fetch_updates(client, "json"), "Filled in")
    assert update["status"] == "fixed"
    assert isinstance(update["update_id"], str), "ids are always strings"
    assert update["service_request_id"] == case.reference


@pytest.mark.parametrize(
    ("to_state", "role", "status"),
    [
        ("in_progress", "agent", "in_progress"),
        ("fixed", "agent", "fixed"),
        ("duplicate", "supervisor", "duplicate"),
        ("rejected", "supervisor", "not_councils_responsibility"),
    ],
)
def test_update_status_is_the_extended_status_of_the_new_state(
    client, council, agent, supervisor, case, to_state, role, status
):
    actor = {"agent": agent, "supervisor": supervisor}[role]
    case_transition(case=case, to_state=to_state, actor=actor, message=f"Now {to_state}")
    [update] = with_text(fetch_updates(client), f"Now {to_state}")
    assert update["status"] == status


def test_update_ids_are_stable_between_polls(client, council, agent, case):
    case_post_public_update(case=case, actor=agent, message="First")
    case_post_public_update(case=case, actor=agent, message="Second")
    first_poll = [u["update_id"] for u in fetch_updates(client)]
    second_poll = [u["update_id"] for u in fetch_updates(client)]
    assert sorted(first_poll) == sorted(second_poll)
    assert len(set(first_poll)) == len(first_poll), "update_id is unique"


def test_internal_notes_and_assignments_are_not_updates(client, council, agent, case):
    case_add_internal_note(case=case, actor=agent, note="SECRET remark")
    case_assign(case=case, actor=agent, team=council.teams.get(code="education"))
    response = get(client, "servicerequestupdates", "xml", **window())
    assert b"SECRET" not in response.content
    assert b"education" not in response.content.lower()


def test_updates_of_private_cases_are_not_published(client, council, agent):
    private = seed_case(council, service_code="school_transport")
    case_post_public_update(case=private, actor=agent, message="About the child")
    response = get(client, "servicerequestupdates", "xml", **window())
    assert private.reference.encode() not in response.content
    assert b"About the child" not in response.content


def test_updates_outside_the_window_are_left_out(client, council, agent, case):
    case_post_public_update(case=case, actor=agent, message="Just now")
    now = now_s()
    earlier = ok(
        get(
            client,
            "servicerequestupdates",
            "xml",
            start_date=w3c(now - 3 * HOUR),
            end_date=w3c(now - HOUR),
        ),
        "xml",
    )
    assert not with_text(earlier, "Just now")


def test_updates_jurisdiction_filter(client, council, other_council, agent, case):
    case_post_public_update(case=case, actor=agent, message="Testshire news")
    other = fetch_updates(client, "xml", jurisdiction_id="otherton.gov.uk")
    assert not with_text(other, "Testshire news")
    mine = fetch_updates(client, "xml", jurisdiction_id="testshire.gov.uk")
    assert with_text(mine, "Testshire news")


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_unknown_jurisdiction_is_404(client, council, fmt):
    response = get(client, "servicerequestupdates", fmt, **window(jurisdiction_id="nope.gov"))
    assert_error(response, fmt, 404)


def test_updates_utf8_round_trips(client, council, agent, case):
    case_post_public_update(case=case, actor=agent, message=UNICODE_TEXT)
    assert with_text(fetch_updates(client, "xml"), UNICODE_TEXT)
    assert with_text(fetch_updates(client, "json"), UNICODE_TEXT)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-01-01T09:00:00"},
        {"start_date": "yesterday"},
        {"end_date": "2026-01-01"},
        {"start_date": "2026-01-02T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
    ],
    ids=["no-zone", "garbage", "date-only", "start-after-end"],
)
def test_updates_bad_dates_are_400(client, council, fmt, params):
    assert_error(get(client, "servicerequestupdates", fmt, **params), fmt, 400)


# ---- POST ------------------------------------------------------------------------------------


def update_form(api_key, case, **overrides):
    form = {
        "api_key": api_key,
        "service_request_id": case.reference,
        "update_id": "fms-update-1",
        "status": "OPEN",
        "updated_datetime": w3c(now_s()),
        "description": "It is still there",
        "first_name": "Sam",
        "last_name": "Smith",
        "email": "sam@example.org",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def post_update(client, api_key, case, fmt="json", **overrides):
    return post_form(client, "servicerequestupdates", fmt, update_form(api_key, case, **overrides))


def posted_update_id(response, fmt="json"):
    data = ok(response, fmt, (200, 201))
    assert isinstance(data, list) and len(data) == 1, data
    update_id = data[0]["update_id"]
    assert isinstance(update_id, str) and update_id.strip()
    return update_id


def case_events(case):
    return Event.objects.filter(stream="case", stream_id=case.id).count()


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_update_returns_update_id(client, council, api_key, case, fmt):
    response = post_update(client, api_key, case, fmt)
    posted_update_id(response, fmt)
    if fmt == "xml":
        root = xml_root(response)
        assert root.tag == "service_request_updates"
        assert root.find("request_update/update_id") is not None


def test_post_update_is_idempotent_on_update_id(client, council, api_key, case):
    first = posted_update_id(post_update(client, api_key, case))
    events = case_events(case)
    again = posted_update_id(post_update(client, api_key, case))
    assert again == first
    assert case_events(case) == events, "a retry changes nothing"


def test_post_updates_with_different_ids_are_both_kept(client, council, api_key, case):
    first = posted_update_id(post_update(client, api_key, case, update_id="a"))
    events = case_events(case)
    second = posted_update_id(
        post_update(client, api_key, case, update_id="b", description="And now it is bigger")
    )
    assert first != second
    assert case_events(case) > events


@pytest.mark.parametrize("status", sorted(s.upper() for s in FMS_STATUSES))
def test_post_update_accepts_every_upper_case_extended_status(
    client, council, api_key, case, status
):
    posted_update_id(post_update(client, api_key, case, status=status, update_id=status))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("status", ["BANANA", "FIXED - COUNCIL", "fixed council"])
def test_post_update_unknown_status_is_400(client, council, api_key, case, fmt, status):
    assert_error(
        post_update(client, api_key, case, fmt, status=status), fmt, 400, mentions="status"
    )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("missing", ["update_id", "service_request_id", "status"])
@pytest.mark.parametrize("value", [None, ""], ids=["absent", "empty"])
def test_post_update_missing_required_parameter_is_400(
    client, council, api_key, case, fmt, missing, value
):
    # OPEN311.md lists these outside the optional ones; an empty value counts as absent.
    assert_error(
        post_update(client, api_key, case, fmt, **{missing: value}), fmt, 400, mentions=missing
    )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("updated", ["2026-01-01T09:00:00", "last week"])
def test_post_update_bad_updated_datetime_is_400(client, council, api_key, case, fmt, updated):
    assert_error(
        post_update(client, api_key, case, fmt, updated_datetime=updated),
        fmt,
        400,
        mentions="updated_datetime",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_update_unknown_request_is_404(client, council, api_key, case, fmt):
    response = post_update(client, api_key, case, fmt, service_request_id="TST-26-999999")
    assert_error(response, fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "", "not-a-key"], ids=["missing", "empty", "bad"])
def test_post_update_missing_or_bad_key_is_403(client, council, case, fmt, key):
    events = case_events(case)
    assert_error(post_update(client, key, case, fmt), fmt, 403)
    assert case_events(case) == events


def test_post_update_with_another_councils_key_is_refused(client, council, other_council, case):
    events = case_events(case)
    response = post_update(client, api_key_for(other_council), case)
    assert response.status_code in (403, 404), response.content
    assert case_events(case) == events


def test_post_update_with_all_optional_fields_and_a_photo(client, council, api_key, case):
    form = update_form(
        api_key,
        case,
        title="Mr",
        phone="01234 567890",
        media_url="https://fms.example/1.jpg",
        email_alerts_requested="TRUE",
        public_anonymity_required="FALSE",
        **{"attribute[x]": "y"},
        description=UNICODE_TEXT,
        media=SimpleUploadedFile("photo.png", tiny_png(), content_type="image/png"),
    )
    posted_update_id(post_multipart(client, "servicerequestupdates", "json", form))


def test_post_update_offset_datetime_is_accepted(client, council, api_key, case):
    moment = now_s().astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat()
    posted_update_id(post_update(client, api_key, case, updated_datetime=moment))
