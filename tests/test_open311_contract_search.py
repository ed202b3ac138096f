"""Open311 contract: GET requests.{fmt} (search, with its extensions) and requests/{id}.{fmt},
and the output decisions of OPEN311.md (fields, datetimes, numbers, unknown values)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.factories import template
from tests.open311_support import (
    DATETIME,
    FORMATS,
    TESTSHIRE_POINT,
    UNICODE_TEXT,
    assert_error,
    body,
    clone_cases,
    get,
    ids,
    now_s,
    ok,
    seed_case,
    w3c,
    xml_root,
)
from townsquare.cases.models import Case
from townsquare.cases.services import (
    case_add_internal_note,
    case_post_public_update,
    case_transition,
)
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
}
OPTIONAL_FIELDS = {"expected_datetime", "media_url", "account_id"}


@pytest.fixture
def now():
    return now_s()


def search(client, fmt="json", **params):
    data = ok(get(client, "requests", fmt, **params), fmt)
    assert isinstance(data, list), data
    return data


def found(client, fmt="json", **params) -> set[str]:
    return set(ids(search(client, fmt, **params)))


# ---- the fields of a request -----------------------------------------------------------------


def test_request_json_fields_and_types(client, council, now):
    case = seed_case(
        council, at=now - DAY, address="4 Mill Lane", postcode="TS1 1AA", description="Deep hole"
    )
    [item] = search(client, "json")
    assert set(item) >= REQUEST_FIELDS
    assert set(item) - REQUEST_FIELDS <= OPTIONAL_FIELDS, set(item) - REQUEST_FIELDS
    assert item["service_request_id"] == case.reference
    assert item["status"] == "open"
    assert item["service_code"] == "pothole" and item["service_name"] == "Pothole"
    assert item["description"] == "Deep hole"
    assert item["address"] == "4 Mill Lane"
    assert item["zipcode"] == "TS1 1AA"
    assert item["requested_datetime"] == w3c(now - DAY)
    assert item["updated_datetime"] == w3c(now - DAY)
    assert (item["lat"], item["long"]) == TESTSHIRE_POINT
    for key in REQUEST_FIELDS - {"lat", "long"}:
        assert isinstance(item[key], str), (key, item[key])
    for key, value in item.items():
        assert value is not None, f"{key} is null: unknown values are '' or omitted"


def test_request_xml_fields(client, council, now):
    seed_case(council, at=now - DAY, address="4 Mill Lane", postcode="TS1 1AA")
    root = xml_root(get(client, "requests", "xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    tags = {child.tag for child in request}
    assert tags >= REQUEST_FIELDS
    assert request.findtext("status") == "open"
    assert request.findtext("zipcode") == "TS1 1AA"
    assert float(request.findtext("lat")) == 51.5 and "." in request.findtext("lat")
    assert float(request.findtext("long")) == -1.5 and "." in request.findtext("long")
    assert DATETIME.match(request.findtext("requested_datetime"))
    assert DATETIME.match(request.findtext("updated_datetime"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_values_are_empty_strings_or_omitted(client, council, now, fmt):
    seed_case(council, at=now - DAY, address="", postcode="")
    [item] = search(client, fmt)
    assert item["zipcode"] == "", "zipcode is a string, '' when unknown"
    assert item["address"].strip(), "address is never empty"
    assert "media_url" not in item, "media_url is omitted when unknown"
    assert "account_id" not in item, "account_id is omitted when unknown"
    if "expected_datetime" in item:  # omitted when unknown; when known, a proper datetime
        assert DATETIME.match(item["expected_datetime"]), item["expected_datetime"]
    assert DATETIME.match(item["updated_datetime"]), "updated_datetime is always present"
    for key in ("status_notes", "agency_responsible", "service_notice", "address_id"):
        assert isinstance(item[key], str)


def test_xml_has_no_empty_elements_for_omitted_values(client, council, now):
    seed_case(council, at=now - DAY)
    request = xml_root(get(client, "requests", "xml")).find("request")
    for tag in ("media_url", "expected_datetime", "account_id"):
        element = request.find(tag)
        assert element is None or (element.text or "").strip(), f"<{tag}> given but empty"


def test_whole_number_coordinates_still_have_a_decimal_point(client, council, now):
    case = seed_case(council, at=now - DAY)
    Case.objects.filter(pk=case.pk).update(lat=52.0, lng=-1.0)
    response = get(client, "requests", "json")
    [item] = body(response, "json")
    assert isinstance(item["lat"], float) and isinstance(item["long"], float), item
    request = xml_root(get(client, "requests", "xml")).find("request")
    assert float(request.findtext("lat")) == 52.0 and "." in request.findtext("lat")
    assert float(request.findtext("long")) == -1.0 and "." in request.findtext("long")


def test_datetimes_are_utc_seconds_with_z(client, council):
    # Created in British Summer Time, with microseconds: printed in UTC without a fraction.
    moment = dt.datetime(2026, 7, 1, 13, 45, 30, 123456, tzinfo=dt.UTC)
    case = seed_case(council, at=moment)
    [item] = search(client, service_request_id=case.reference)
    assert item["requested_datetime"] == "2026-07-01T13:45:30Z"
    assert item["updated_datetime"] == "2026-07-01T13:45:30Z"


@pytest.mark.parametrize("fmt", FORMATS)
def test_closed_case_has_status_closed(client, council, agent, now, fmt):
    case = seed_case(council)
    case_transition(case=case, to_state="fixed", actor=agent, message="Filled in")
    [item] = search(client, fmt)
    assert item["status"] == "closed"


@pytest.mark.parametrize("fmt", FORMATS)
def test_utf8_comes_back_identical(client, council, now, fmt):
    seed_case(council, at=now - DAY, description=UNICODE_TEXT, address=UNICODE_TEXT)
    [item] = search(client, fmt)
    assert item["description"] == UNICODE_TEXT
    assert item["address"] == UNICODE_TEXT


def test_json_has_no_root_wrapper_and_arrays_even_with_one_element(client, council, now):
    seed_case(council, at=now - DAY)
    data = json.loads(get(client, "requests", "json").content)
    assert isinstance(data, list) and len(data) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_results_is_an_empty_list(client, council, fmt):
    response = get(client, "requests", fmt)
    assert ok(response, fmt) == []
    if fmt == "xml":
        assert xml_root(response).tag == "service_requests"


# ---- one request -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_is_a_list_of_exactly_one(client, council, now, fmt):
    case = seed_case(council, at=now - DAY)
    seed_case(council, at=now - DAY)
    data = ok(get(client, f"requests/{case.reference}", fmt), fmt)
    assert isinstance(data, list) and len(data) == 1
    assert data[0]["service_request_id"] == case.reference


def test_one_request_is_found_whatever_its_age(client, council, now):
    case = seed_case(council, at=now - 400 * DAY)
    [item] = ok(get(client, f"requests/{case.reference}", "json"), "json")
    assert item["service_request_id"] == case.reference


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("request_id", ["TST-26-999999", "nonsense", "1"])
def test_one_unknown_request_is_404(client, council, fmt, request_id):
    assert_error(get(client, f"requests/{request_id}", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_private_request_is_404(client, council, fmt):
    case = seed_case(council, service_code="school_transport")
    assert_error(get(client, f"requests/{case.reference}", fmt), fmt, 404)


# ---- service_request_id, service_code, status ------------------------------------------------


def test_private_cases_never_appear_in_search(client, council, now):
    public = seed_case(council, at=now - DAY)
    private = seed_case(council, service_code="school_transport")
    assert found(client) == {public.reference}
    assert found(client, service_request_id=f"{public.reference},{private.reference}") == {
        public.reference
    }
    response = get(client, "requests", "json", service_code="school_transport")
    if response.status_code == 200:
        assert body(response, "json") == []
    else:
        assert_error(response, "json", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_id_list_overrides_every_other_filter(client, council, now, fmt):
    old = seed_case(council, at=now - 400 * DAY)
    recent = seed_case(council, at=now - DAY)
    seed_case(council, at=now - DAY)
    wanted = {old.reference, recent.reference}
    params = dict(
        service_code="graffiti",
        status="closed",
        start_date=w3c(now + 10 * DAY),
        end_date=w3c(now + 20 * DAY),
        lat="51.9",
        long="-1.9",
        radius="10",
        bbox="-1.99,51.9,-1.98,51.91",
        updated_after=w3c(now + DAY),
    )
    assert (
        found(client, fmt, service_request_id=f"{old.reference},{recent.reference}", **params)
        == wanted
    )
    assert (
        found(client, fmt, service_request_id=f"{old.reference}, {recent.reference}, TST-26-999999")
        == wanted
    )


def test_service_request_id_for_a_single_id(client, council, now):
    case = seed_case(council, at=now - DAY)
    seed_case(council, at=now - DAY)
    assert found(client, service_request_id=case.reference) == {case.reference}


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_code_comma_list(client, council, now, fmt):
    template_publish(
        council=council, document=template(code="graffiti", name="Graffiti"), actor=Actor.system()
    )
    template_publish(
        council=council, document=template(code="bins", name="Bins"), actor=Actor.system()
    )
    pothole = seed_case(council, at=now - DAY)
    graffiti = seed_case(council, at=now - DAY, service_code="graffiti")
    bins = seed_case(council, at=now - DAY, service_code="bins")
    assert found(client, fmt, service_code="pothole") == {pothole.reference}
    assert found(client, fmt, service_code="graffiti,pothole") == {
        pothole.reference,
        graffiti.reference,
    }
    assert found(client, fmt, service_code="") == {
        pothole.reference,
        graffiti.reference,
        bins.reference,
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_filter(client, council, agent, now, fmt):
    open_case = seed_case(council)
    closed_case = seed_case(council)
    case_transition(case=closed_case, to_state="fixed", actor=agent)
    everything = {open_case.reference, closed_case.reference}
    assert found(client, fmt, status="open") == {open_case.reference}
    assert found(client, fmt, status="closed") == {closed_case.reference}
    assert found(client, fmt, status="open,closed") == everything
    assert found(client, fmt, status="") == everything, "status= behaves as absent"
    assert found(client, fmt) == everything


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("status", ["pending", "OPENED", "open,bogus"])
def test_unknown_status_is_400(client, council, fmt, status):
    assert_error(get(client, "requests", fmt, status=status), fmt, 400, mentions="status")


# ---- date windows ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_start_date_is_inclusive_and_end_date_exclusive(client, council, now, fmt):
    moment = now - 5 * DAY
    case = seed_case(council, at=moment)
    assert found(client, fmt, start_date=w3c(moment), end_date=w3c(now)) == {case.reference}
    assert found(client, fmt, start_date=w3c(moment - DAY), end_date=w3c(moment)) == set()
    one_second = dt.timedelta(seconds=1)
    assert found(client, fmt, start_date=w3c(moment - DAY), end_date=w3c(moment + one_second)) == {
        case.reference
    }
    assert found(client, fmt, start_date=w3c(moment + one_second), end_date=w3c(now)) == set()


def w3c_forms(moment: dt.datetime) -> dict[str, str]:
    """One instant written four W3C ways."""
    return {
        "Z": w3c(moment),  # ...T09:00:00Z
        "offset": moment.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat(),
        "fraction": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "negative-offset": moment.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat(),
    }


@pytest.mark.parametrize("form", ["Z", "offset", "fraction", "negative-offset"])
def test_any_w3c_datetime_with_a_zone_is_accepted(client, council, now, form):
    moment = now - 5 * DAY
    case = seed_case(council, at=moment)
    start = w3c_forms(moment)[form]
    # The same instant however it is written: the inclusive start finds the case.
    assert found(client, start_date=start, end_date=w3c(now)) == {case.reference}


def test_only_start_date_gives_a_90_day_window_from_it(client, council, now):
    start = now - 200 * DAY
    inside = seed_case(council, at=start + 10 * DAY)
    seed_case(council, at=start + 91 * DAY)
    seed_case(council, at=now - DAY)
    assert found(client, start_date=w3c(start)) == {inside.reference}


def test_only_end_date_gives_a_90_day_window_before_it(client, council, now):
    end = now - 100 * DAY
    inside = seed_case(council, at=end - 10 * DAY)
    seed_case(council, at=end - 91 * DAY)
    seed_case(council, at=now - DAY)
    assert found(client, end_date=w3c(end)) == {inside.reference}


def test_no_dates_means_the_last_90_days(client, council, now):
    recent = seed_case(council, at=now - 89 * DAY)
    seed_case(council, at=now - 91 * DAY)
    assert found(client) == {recent.reference}
    assert found(client, start_date="", end_date="") == {recent.reference}


@pytest.mark.parametrize("fmt", FORMATS)
def test_start_after_end_is_400(client, council, now, fmt):
    response = get(client, "requests", fmt, start_date=w3c(now - DAY), end_date=w3c(now - 2 * DAY))
    assert_error(response, fmt, 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_window_over_90_days_is_400_pointing_to_paging_and_bulk_export(client, council, now, fmt):
    response = get(client, "requests", fmt, start_date=w3c(now - 91 * DAY), end_date=w3c(now))
    assert_error(response, fmt, 400, mentions=["90", "pag", "export"])


def test_window_of_exactly_90_days_is_accepted(client, council, now):
    assert found(client, start_date=w3c(now - 90 * DAY), end_date=w3c(now)) == set()


BAD_DATES = {
    "no-zone": "2026-01-01T09:00:00",
    "date-only": "2026-01-01",  # a date has no zone either
    "garbage": "yesterday",
    "impossible": "2026-02-30T09:00:00Z",
    "hour-25": "2026-01-01T25:00:00Z",
    "slashes": "01/02/2026",
    "epoch": "1767258000",
    "huge-year": "99999999-01-01T00:00:00Z",
    "control-characters": "2026-01-01T09:00:00Z\x00\x07",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["start_date", "end_date", "updated_after", "updated_before"])
@pytest.mark.parametrize("raw", BAD_DATES.values(), ids=BAD_DATES.keys())
def test_bad_dates_are_400(client, council, fmt, name, raw):
    assert_error(get(client, "requests", fmt, **{name: raw}), fmt, 400, mentions=name)


# ---- updated_after / updated_before ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_updated_after_and_updated_before(client, council, now, fmt):
    stale = seed_case(council, at=now - 10 * DAY, updated=now - 9 * DAY)
    fresh = seed_case(council, at=now - 10 * DAY, updated=now - DAY)
    assert found(client, fmt, updated_after=w3c(now - 5 * DAY)) == {fresh.reference}
    assert found(client, fmt, updated_before=w3c(now - 5 * DAY)) == {stale.reference}
    assert found(client, fmt, updated_after=w3c(now - 20 * DAY), updated_before=w3c(now)) == {
        stale.reference,
        fresh.reference,
    }


# ---- pagination ------------------------------------------------------------------------------


def test_pages_split_the_results_without_overlap(client, council, now):
    cases = {seed_case(council, at=now - n * DAY).reference for n in range(1, 6)}
    pages = [ids(search(client, page=str(n), page_size="2")) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert set().union(*pages) == cases


def test_result_count_header_when_given_is_the_total(client, council, now):
    for n in range(1, 4):
        seed_case(council, at=now - n * DAY)
    response = get(client, "requests", "json", page="1", page_size="2")
    assert len(body(response, "json")) == 2
    if response.has_header("X-Result-Count"):
        assert response["X-Result-Count"] == "3"
    if response.has_header("Link"):  # optional next-page link: following it gives the rest
        target = response["Link"].split(">", 1)[0].lstrip("<")
        assert 'rel="next"' in response["Link"]
        assert len(body(client.get(target), "json")) == 1


def test_page_size_defaults_to_100_and_unpaged_search_gives_up_to_1000(client, council, now):
    case = seed_case(council, at=now - DAY)
    clone_cases(case, 100)
    assert len(search(client, page="1")) == 100, "page_size defaults to 100"
    assert len(search(client, page="2")) == 1
    # Reading: a classic GeoReport client never pages, and the spec promises it up to 1000
    # results, so without page/page_size nothing is cut at 100.
    assert len(search(client)) == 101


@pytest.mark.slow
def test_never_more_than_1000_results(client, council, now):
    case = seed_case(council, at=now - DAY)
    clone_cases(case, 1000)
    assert len(search(client)) == 1000
    assert len(search(client, page="1", page_size="1000")) == 1000
    assert len(search(client, page="2", page_size="1000")) == 1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page": "99999999999999999999999999"},
        {"page_size": "0"},
        {"page_size": "-5"},
        {"page_size": "1001"},
        {"page_size": "ten"},
        {"page_size": "1e3"},
    ],
    ids=lambda p: "{}={}".format(*next(iter(p.items()))),
)
def test_invalid_paging_is_400(client, council, fmt, params):
    assert_error(get(client, "requests", fmt, **params), fmt, 400, mentions=next(iter(params)))


def test_page_size_1000_is_allowed(client, council):
    assert search(client, page="1", page_size="1000") == []


# ---- extensions=true -------------------------------------------------------------------------


def test_extensions_add_extended_attributes_and_public_notes(client, council, agent, now):
    case = seed_case(council)
    case_transition(case=case, to_state="in_progress", actor=agent, message="Crew booked")
    case_post_public_update(case=case, actor=agent, message="Arriving Tuesday")
    case_add_internal_note(case=case, actor=agent, note="SECRET internal remark")

    [plain] = search(client)
    assert "notes" not in plain and "extended_attributes" not in plain

    response = get(client, "requests", "json", extensions="true")
    [item] = body(response, "json")
    assert isinstance(item["extended_attributes"], dict)
    assert isinstance(item["notes"], list) and item["notes"]
    history = json.dumps(item["notes"], ensure_ascii=False)
    assert "Crew booked" in history and "Arriving Tuesday" in history
    assert b"SECRET" not in response.content, "internal notes are never public"


def test_extensions_in_xml(client, council, agent, now):
    case = seed_case(council)
    case_post_public_update(case=case, actor=agent, message=f"Update {UNICODE_TEXT}")
    response = get(client, "requests", "xml", extensions="true")
    request = xml_root(response).find("request")
    assert request.find("extended_attributes") is not None
    notes = request.find("notes")
    assert notes is not None and len(notes) >= 1
    assert all(note.tag == "note" for note in notes)
    assert f"Update {UNICODE_TEXT}" in response.content.decode("utf-8")


def test_extensions_on_one_request(client, council, agent):
    case = seed_case(council)
    case_post_public_update(case=case, actor=agent, message="On our list")
    [item] = ok(get(client, f"requests/{case.reference}", "json", extensions="true"), "json")
    assert "On our list" in json.dumps(item["notes"])


# ---- area filters ----------------------------------------------------------------------------


@pytest.fixture
def two_places(council, now):
    near = seed_case(council, at=now - DAY, point=(51.5, -1.5))
    far = seed_case(council, at=now - DAY, point=(51.5, -1.9))  # about 28 km west
    return near, far


@pytest.mark.parametrize("fmt", FORMATS)
def test_lat_long_radius_filter(client, two_places, fmt):
    near, far = two_places
    assert found(client, fmt, lat="51.5001", long="-1.5001", radius="1000") == {near.reference}
    assert found(client, fmt, lat="51.5", long="-1.7", radius="40000") == {
        near.reference,
        far.reference,
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"radius": "1000"},
        {"lat": "51.5", "radius": "1000"},
        {"long": "-1.5", "radius": "1000"},
        {"lat": "51.5", "long": "-1.5", "radius": "-5"},
        {"lat": "51.5", "long": "-1.5", "radius": "far"},
        {"lat": "north", "long": "-1.5", "radius": "100"},
        {"lat": "95", "long": "-1.5", "radius": "100"},
        {"lat": "51.5", "long": "-1.5", "radius": "1e400"},
    ],
    ids=["radius-only", "no-long", "no-lat", "negative", "text", "lat-text", "lat-95", "huge"],
)
def test_bad_radius_filter_is_400(client, council, fmt, params):
    assert_error(get(client, "requests", fmt, **params), fmt, 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_bbox_filter(client, two_places, fmt):
    # Reading: bbox is min_long,min_lat,max_long,max_lat (GeoJSON / OGC order).
    near, far = two_places
    assert found(client, fmt, bbox="-1.6,51.4,-1.4,51.6") == {near.reference}
    assert found(client, fmt, bbox="-2,51,-1,52") == {near.reference, far.reference}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "bbox",
    ["-1.6,51.4,-1.4", "a,b,c,d", "-1.4,51.4,-1.6,51.6", "-1.6,51.4,-1.4,51.6,9", "-200,51,-1,52"],
)
def test_bad_bbox_is_400(client, council, fmt, bbox):
    assert_error(get(client, "requests", fmt, bbox=bbox), fmt, 400, mentions="bbox")


# ---- jurisdictions ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_jurisdiction(client, council, other_council, now, fmt):
    mine = seed_case(council, at=now - DAY)
    theirs = seed_case(other_council, at=now - DAY)
    assert found(client, fmt, jurisdiction_id="testshire.gov.uk") == {mine.reference}
    assert found(client, fmt, jurisdiction_id="otherton.gov.uk") == {theirs.reference}
    everyone = {mine.reference, theirs.reference}
    assert found(client, fmt) == everyone, "no jurisdiction: all public councils"
    assert found(client, fmt, jurisdiction_id="") == everyone, "empty behaves as absent"


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_unknown_jurisdiction_is_404(client, council, fmt):
    assert_error(get(client, "requests", fmt, jurisdiction_id="nowhere.gov.uk"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_unknown_jurisdiction_is_404(client, council, fmt):
    case = seed_case(council)
    response = get(client, f"requests/{case.reference}", fmt, jurisdiction_id="nowhere.gov.uk")
    assert_error(response, fmt, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_updated_after_alone_finds_old_requests_changed_recently(client, council, now, fmt):
    old = seed_case(council, at=now - dt.timedelta(days=200), updated=now - dt.timedelta(hours=1))
    stale = seed_case(council, at=now - dt.timedelta(days=200))
    since = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found(client, fmt, updated_after=since) == {old.reference}
    # With a date window, both apply: the old case is outside the window.
    start = (now - dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found(client, fmt, updated_after=since, start_date=start) == set()
    assert stale.reference in found(client, fmt, updated_before=since)
