"""Open311 contract: POST requests.{fmt} (create), tokens/{token}.{fmt}, and the create-side
decisions of OPEN311.md (attributes, locations, api_key, jurisdictions, FixMyStreet posts,
idempotency, UTF-8)."""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from tests.factories import template
from tests.open311_support import (
    DATETIME,
    FORMATS,
    NOWHERE_POINT,
    OTH_REFERENCE,
    OTHERTON_POINT,
    TST_REFERENCE,
    UNICODE_TEXT,
    api_key_for,
    assert_error,
    create,
    created_id,
    get,
    ok,
    post_form,
    post_multipart,
    pothole_form,
    tiny_png,
    xml_root,
)
from townsquare.accounts.models import ApiKey
from townsquare.accounts.services import api_key_revoke
from townsquare.cases.models import Case
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_key(council):
    return api_key_for(council)


@pytest.fixture
def otherton_key(other_council):
    return api_key_for(other_council)


def the_case(service_request_id: str) -> Case:
    return Case.objects.get(reference=service_request_id)


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_png(), content_type="image/png")


# ---- the happy path, both encodings and formats ----------------------------------------------


def test_create_form_urlencoded_json_returns_one_service_request_id(client, council, api_key):
    response = create(client, api_key, "json")
    data = ok(response, "json", (200, 201))
    assert isinstance(data, list) and len(data) == 1, "a one-element list, no root wrapper"
    service_request_id = data[0]["service_request_id"]
    assert isinstance(service_request_id, str), "ids are always strings"
    assert TST_REFERENCE.match(service_request_id), "the id is the case reference"
    case = the_case(service_request_id)
    assert case.council_id == council.id
    assert case.channel == "open311"
    assert case.values == {"depth": "deep"}
    assert case.description.startswith("A deep pothole")
    assert case.reporter_email == "sam@example.org"


def test_create_xml_returns_service_requests_request(client, council, api_key):
    response = create(client, api_key, "xml")
    assert response.status_code in (200, 201)
    root = xml_root(response)
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 1
    assert TST_REFERENCE.match(requests[0].findtext("service_request_id"))


def test_created_request_reads_back_the_same(client, council, api_key):
    service_request_id = created_id(create(client, api_key))
    [item] = ok(get(client, f"requests/{service_request_id}", "json"), "json")
    assert item["service_request_id"] == service_request_id
    assert item["service_code"] == "pothole"
    assert item["status"] == "open"
    assert item["description"].startswith("A deep pothole")
    assert (item["lat"], item["long"]) == (51.5, -1.5)
    assert DATETIME.match(item["requested_datetime"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_multipart_with_photo_parts(client, council, api_key, fmt):
    form = pothole_form(
        api_key, media=png("media.png"), photo1=png("one.png"), photo2=png("two.png")
    )
    service_request_id = created_id(post_multipart(client, "requests", fmt, form), fmt)
    [item] = ok(get(client, f"requests/{service_request_id}", "json"), "json")
    # The photo is known now, so media_url is given (and points somewhere a client can fetch).
    assert item["media_url"].startswith(("http://", "https://")), item


def test_create_multipart_without_files(client, council, api_key):
    form = pothole_form(api_key)
    assert TST_REFERENCE.match(created_id(post_multipart(client, "requests", "json", form)))


def test_create_accepts_repeated_media_url(client, council, api_key):
    media = ["https://fms.example.org/photo/1.jpeg", "https://fms.example.org/photo/2.jpeg"]
    service_request_id = created_id(create(client, api_key, media_url=media))
    [item] = ok(get(client, f"requests/{service_request_id}", "json"), "json")
    assert item["media_url"] == media[0]


def test_post_works_without_a_csrf_token(council, api_key):
    """Real clients (FixMyStreet, apps) never send Django's CSRF token."""
    strict = Client(enforce_csrf_checks=True)
    assert TST_REFERENCE.match(created_id(create(strict, api_key)))


def test_test_key_creates_a_test_case(client, council):
    # The discovery's "test" endpoint is served with test keys; their cases are marked as tests.
    raw = api_key_for(council, test_mode=True, name="FixMyStreet staging")
    assert the_case(created_id(create(client, raw))).is_test is True


def test_optional_person_fields_are_kept(client, council, api_key):
    service_request_id = created_id(
        create(
            client,
            api_key,
            first_name="Sam",
            last_name="Smith",
            phone="01234 567890",
            email="Sam.Smith@Example.org",
            device_id="device-1",
            account_id="acct-7",
        )
    )
    case = the_case(service_request_id)
    assert case.reporter_name == "Sam Smith"
    assert case.reporter_email == "sam.smith@example.org"
    assert case.reporter_phone == "01234567890"


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_email_is_400(client, council, api_key, fmt):
    assert_error(create(client, api_key, fmt, email="not-an-email"), fmt, 400, mentions="email")


# ---- attributes ------------------------------------------------------------------------------


def test_multivaluelist_as_repeated_bracket_keys(client, council, api_key):
    response = create(client, api_key, **{"attribute[hazards][]": ["cyclists", "cars"]})
    assert the_case(created_id(response)).values["hazards"] == ["cyclists", "cars"]


def test_multivaluelist_single_value_without_brackets(client, council, api_key):
    response = create(client, api_key, **{"attribute[hazards]": "cars"})
    assert the_case(created_id(response)).values["hazards"] == ["cars"]


def test_number_and_datetime_attributes(client, council, api_key):
    response = create(
        client,
        api_key,
        **{"attribute[width_cm]": "250", "attribute[seen_at]": "2026-03-01T09:30:00+01:00"},
    )
    values = the_case(created_id(response)).values
    assert values["width_cm"] == 250
    assert values["seen_at"] == "2026-03-01T08:30:00Z"


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_required_attribute_is_400_naming_it(client, council, api_key, fmt):
    response = create(client, api_key, fmt, **{"attribute[depth]": None})
    assert_error(response, fmt, 400, mentions="depth required")
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_required_attribute_is_400(client, council, api_key, fmt):
    assert_error(
        create(client, api_key, fmt, **{"attribute[depth]": ""}),
        fmt,
        400,
        mentions="depth required",
    )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "attributes",
    [
        {"attribute[depth]": "bottomless"},
        {"attribute[hazards][]": ["cyclists", "tanks"]},
        {"attribute[hazards]": "tanks"},
    ],
    ids=["singlevaluelist", "multivaluelist-bracketed", "multivaluelist-plain"],
)
def test_value_outside_the_list_is_400(client, council, api_key, fmt, attributes):
    assert_error(create(client, api_key, fmt, **attributes), fmt, 400)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "attributes",
    [
        {"attribute[depth]": ["deep", "shallow"]},
        {"attribute[depth][]": ["deep", "shallow"]},
    ],
    ids=["repeated", "bracketed"],
)
def test_several_values_for_a_singlevaluelist_is_400(client, council, api_key, fmt, attributes):
    form = {**attributes}
    if "attribute[depth][]" in form:
        form["attribute[depth]"] = None
    assert_error(create(client, api_key, fmt, **form), fmt, 400, mentions="depth")
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("width", ["abc", "5000", "0", "-3", "nan", "inf", "1e400"])
def test_bad_number_attribute_is_400(client, council, api_key, fmt, width):
    assert_error(
        create(client, api_key, fmt, **{"attribute[width_cm]": width}),
        fmt,
        400,
        mentions="width_cm",
    )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seen_at", ["2026-03-01T09:30:00", "yesterday"])
def test_bad_datetime_attribute_is_400(client, council, api_key, fmt, seen_at):
    assert_error(
        create(client, api_key, fmt, **{"attribute[seen_at]": seen_at}),
        fmt,
        400,
        mentions="seen_at",
    )


def test_unknown_attributes_are_ignored_and_logged(client, council, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    response = create(
        client, api_key, **{"attribute[colour]": "red", "attribute[size][]": ["big", "huge"]}
    )
    assert the_case(created_id(response)).values == {"depth": "deep"}
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "colour" in logged, "unknown attributes are logged"


# ---- locations -------------------------------------------------------------------------------

BAD_LOCATIONS = {
    "missing": {"lat": None, "long": None},
    "empty": {"lat": "", "long": ""},
    "lat-only": {"long": None},
    "long-only": {"lat": None},
    "lat-not-a-number": {"lat": "fifty-one"},
    "long-not-a-number": {"long": "west"},
    "lat-comma-decimal": {"lat": "51,5"},
    "lat-over-90": {"lat": "91"},
    "lat-under-minus-90": {"lat": "-90.5"},
    "long-over-180": {"long": "181"},
    "lat-nan": {"lat": "NaN"},
    "long-infinite": {"long": "-Infinity"},
    "lat-huge": {"lat": "1e309"},
    "outside-every-council": {"lat": str(NOWHERE_POINT[0]), "long": str(NOWHERE_POINT[1])},
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("location", BAD_LOCATIONS.values(), ids=BAD_LOCATIONS.keys())
def test_bad_location_is_400(client, council, api_key, fmt, location):
    description = assert_error(create(client, api_key, fmt, **location), fmt, 400)
    assert len(description) > 10, "a clear description"
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_point_outside_the_named_jurisdiction_is_400(client, council, other_council, api_key, fmt):
    response = create(
        client,
        api_key,
        fmt,
        jurisdiction_id="testshire.gov.uk",
        lat=str(OTHERTON_POINT[0]),
        long=str(OTHERTON_POINT[1]),
    )
    assert_error(response, fmt, 400)


def test_address_string_alone_is_a_location(client, council, api_key):
    response = create(
        client,
        api_key,
        lat=None,
        long=None,
        jurisdiction_id="testshire.gov.uk",
        address_string="Outside 4 Mill Lane, Testshire",
    )
    service_request_id = created_id(response)
    [item] = ok(get(client, f"requests/{service_request_id}", "json"), "json")
    assert item["address"] == "Outside 4 Mill Lane, Testshire"


def test_fixmystreet_not_pinpointed_address_id_is_accepted(client, council, api_key):
    response = create(
        client, api_key, address_id="#NOTPINPOINTED#", address_string="Near the church"
    )
    assert TST_REFERENCE.match(created_id(response))


def test_six_decimal_coordinates_are_kept(client, council, api_key):
    service_request_id = created_id(create(client, api_key, lat="51.512345", long="-1.498765"))
    case = the_case(service_request_id)
    assert (round(case.lat, 6), round(case.lng, 6)) == (51.512345, -1.498765)


# ---- description -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_description_over_4000_characters_is_400(client, council, api_key, fmt):
    assert_error(
        create(client, api_key, fmt, description="x" * 4001), fmt, 400, mentions="description"
    )


def test_description_of_4000_characters_is_accepted(client, council, api_key):
    service_request_id = created_id(create(client, api_key, description="x" * 4000))
    assert len(the_case(service_request_id).description) == 4000


# ---- api_key ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "key",
    [None, "", "not-a-key", "ts_" + "x" * 43, "k" * 10_000],
    ids=["missing", "empty", "garbage", "unknown", "huge"],
)
def test_missing_or_bad_api_key_is_403(client, council, fmt, key):
    response = post_form(client, "requests", fmt, pothole_form(key))
    assert_error(response, fmt, 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_revoked_api_key_is_403(client, council, api_key, fmt):
    api_key_revoke(key=ApiKey.objects.get(council=council), actor=Actor.system())
    assert_error(create(client, api_key, fmt), fmt, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_key_is_checked_before_anything_else(client, council, fmt):
    response = post_form(client, "requests", fmt, {"service_code": "no_such_thing"})
    assert_error(response, fmt, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_key_of_another_council_is_403(client, council, other_council, api_key, fmt):
    # A Testshire key cannot create cases in Otherton.
    response = create(
        client,
        api_key,
        fmt,
        jurisdiction_id="otherton.gov.uk",
        lat=str(OTHERTON_POINT[0]),
        long=str(OTHERTON_POINT[1]),
    )
    assert_error(response, fmt, 403)
    assert not Case.objects.exists()


# ---- service_code ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404(client, council, api_key, fmt):
    assert_error(create(client, api_key, fmt, service_code="no_such_service"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_service_code_is_400(client, council, api_key, fmt):
    assert_error(create(client, api_key, fmt, service_code=None), fmt, 400, mentions="service_code")


# ---- jurisdictions ---------------------------------------------------------------------------


def test_jurisdiction_id_selects_the_council(client, council, other_council, otherton_key):
    response = create(
        client,
        otherton_key,
        jurisdiction_id="otherton.gov.uk",
        lat=str(OTHERTON_POINT[0]),
        long=str(OTHERTON_POINT[1]),
    )
    assert OTH_REFERENCE.match(created_id(response))


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_jurisdiction_is_404(client, council, api_key, fmt):
    assert_error(create(client, api_key, fmt, jurisdiction_id="nowhere.gov.uk"), fmt, 404)


def test_empty_jurisdiction_behaves_as_absent(client, council, other_council, otherton_key):
    response = create(
        client,
        otherton_key,
        jurisdiction_id="",
        lat=str(OTHERTON_POINT[0]),
        long=str(OTHERTON_POINT[1]),
    )
    assert OTH_REFERENCE.match(created_id(response))


def test_location_decides_the_council_without_jurisdiction(
    client, council, other_council, api_key, otherton_key
):
    assert TST_REFERENCE.match(created_id(create(client, api_key)))
    response = create(client, otherton_key, lat=str(OTHERTON_POINT[0]), long=str(OTHERTON_POINT[1]))
    assert OTH_REFERENCE.match(created_id(response))


# ---- FixMyStreet as a client -----------------------------------------------------------------

FMS_DESCRIPTION = (
    "title: Deep pothole on Mill Lane\n\n"
    "detail: It has been there for weeks. Cyclists swerve round it.\n\n"
    "url: https://www.fixmystreet.com/report/{id}\n\n"
    "Submitted via FixMyStreet\n"
)


def fixmystreet_form(api_key: str, report_id: int = 123, **overrides) -> dict:
    form = {
        "api_key": api_key,
        "jurisdiction_id": "testshire.gov.uk",
        "service_code": "pothole",
        "lat": "51.501234",
        "long": "-1.498765",
        "address_string": "Mill Lane, Testshire",
        "address_id": "#NOTPINPOINTED#",
        "email": "citizen@example.org",
        "first_name": "Sam",
        "last_name": "Smith",
        "description": FMS_DESCRIPTION.format(id=report_id),
        "media_url": [
            f"https://www.fixmystreet.com/photo/{report_id}.0.full.jpeg",
            f"https://www.fixmystreet.com/photo/{report_id}.1.full.jpeg",
        ],
        "deviceid": "fms-device-42",
        "attribute[depth]": "deep",
        "attribute[uprn]": "100012345678",
        "attribute[title]": "Deep pothole on Mill Lane",
        "attribute[description]": "It has been there for weeks.",
        "attribute[report_url]": f"https://www.fixmystreet.com/report/{report_id}",
        "attribute[external_id]": str(report_id),
        "attribute[easting]": "445678",
        "attribute[northing]": "212345",
        "attribute[closest_address]": "4 Mill Lane",
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize("fmt", FORMATS)
def test_fixmystreet_style_post_is_accepted(client, council, api_key, fmt):
    response = post_form(client, "requests", fmt, fixmystreet_form(api_key))
    case = the_case(created_id(response, fmt))
    assert "Cyclists swerve round it." in case.description
    assert case.values == {"depth": "deep"}, "FixMyStreet's extra attributes are ignored"
    assert (round(case.lat, 6), round(case.lng, 6)) == (51.501234, -1.498765)


def test_fixmystreet_report_url_retry_creates_no_second_case(client, council, api_key):
    first = created_id(post_form(client, "requests", "json", fixmystreet_form(api_key)))
    again = created_id(post_form(client, "requests", "json", fixmystreet_form(api_key)))
    assert again == first
    assert Case.objects.count() == 1


def test_different_fixmystreet_reports_are_different_cases(client, council, api_key):
    first = created_id(post_form(client, "requests", "json", fixmystreet_form(api_key, 1)))
    second = created_id(post_form(client, "requests", "json", fixmystreet_form(api_key, 2)))
    assert first != second
    assert Case.objects.count() == 2


# ---- idempotency -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_idempotency_key_retry_returns_the_same_case(client, council, api_key, fmt):
    form = pothole_form(api_key)
    first = created_id(
        post_form(client, "requests", fmt, form, headers={"Idempotency-Key": "retry-1"}), fmt
    )
    again = created_id(
        post_form(client, "requests", fmt, form, headers={"Idempotency-Key": "retry-1"}), fmt
    )
    assert again == first
    assert Case.objects.count() == 1


def test_different_idempotency_keys_create_different_cases(client, council, api_key):
    form = pothole_form(api_key)
    first = created_id(
        post_form(client, "requests", "json", form, headers={"Idempotency-Key": "a"})
    )
    second = created_id(
        post_form(client, "requests", "json", form, headers={"Idempotency-Key": "b"})
    )
    assert first != second
    assert Case.objects.count() == 2


def test_without_idempotency_key_each_post_is_a_new_case(client, council, api_key):
    assert created_id(create(client, api_key)) != created_id(create(client, api_key))


# ---- UTF-8 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("post_fmt", FORMATS)
def test_utf8_round_trips_in_json_and_xml(client, council, api_key, post_fmt):
    text = f"{UNICODE_TEXT} by the 🚲 rack"
    service_request_id = created_id(
        create(client, api_key, post_fmt, description=text, address_string=UNICODE_TEXT), post_fmt
    )
    [as_json] = ok(get(client, f"requests/{service_request_id}", "json"), "json")
    assert as_json["description"] == text
    response = get(client, f"requests/{service_request_id}", "xml")
    request = xml_root(response).find("request")
    assert request.findtext("description") == text
    assert as_json["address"] == request.findtext("address") == UNICODE_TEXT


def test_utf8_in_multipart_round_trips(client, council, api_key):
    form = pothole_form(api_key, description=UNICODE_TEXT, media=png())
    service_request_id = created_id(post_multipart(client, "requests", "json", form))
    assert the_case(service_request_id).description == UNICODE_TEXT


# ---- batch and blackbox services, tokens -----------------------------------------------------


def school_transport_form(api_key: str) -> dict:
    # OPEN311.md: every create needs a location, applications too (the family's home here).
    return {
        "api_key": api_key,
        "service_code": "school_transport",
        "jurisdiction_id": "testshire.gov.uk",
        "lat": "51.4",
        "long": "-1.6",
        "attribute[child_name]": "Sam",
        "attribute[sen]": "no",
        "email": "parent@example.org",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_batch_service_returns_a_token_that_resolves_after_the_worker_runs(client, council, fmt):
    api_key = api_key_for(council)
    data = ok(
        post_form(client, "requests", fmt, school_transport_form(api_key)), fmt, (200, 201, 202)
    )
    assert isinstance(data, list) and len(data) == 1
    token = data[0]["token"]
    assert isinstance(token, str) and token.strip()
    assert not data[0].get("service_request_id"), "batch gives a token, not an id"

    call_command("worker", "--batch", verbosity=0)

    [resolved] = ok(get(client, f"tokens/{token}", fmt), fmt)
    assert resolved["token"] == token
    assert TST_REFERENCE.match(resolved["service_request_id"])
    case = the_case(resolved["service_request_id"])
    assert case.kind == "application" and case.values["child_name"] == "Sam"
    # Private: created by POST, but never readable through GET.
    assert_error(get(client, f"requests/{resolved['service_request_id']}", fmt), fmt, 404)


@pytest.mark.django_db(transaction=True)
def test_token_before_the_worker_runs_is_known_without_an_id(client, council):
    api_key = api_key_for(council)
    [created] = ok(
        post_form(client, "requests", "json", school_transport_form(api_key)),
        "json",
        (200, 201, 202),
    )
    [pending] = ok(get(client, f"tokens/{created['token']}", "json"), "json")
    assert pending["token"] == created["token"]
    assert not pending.get("service_request_id")


@pytest.mark.django_db(transaction=True)
def test_batch_service_errors_are_still_reported_at_post_time(client, council):
    # Reading: GeoReport has no way to report an error through a token, so a create that can
    # never succeed must be refused at POST time, batch or not.
    api_key = api_key_for(council)
    form = school_transport_form(api_key)
    del form["attribute[child_name]"]
    assert_error(
        post_form(client, "requests", "json", form), "json", 400, mentions="child_name required"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_blackbox_service_returns_neither_id_nor_token(client, council, api_key, fmt):
    template_publish(
        council=council, document=template(open311={"type": "blackbox"}), actor=Actor.system()
    )
    data = ok(create(client, api_key, fmt), fmt, (200, 201, 202))
    assert isinstance(data, list) and len(data) == 1
    assert not data[0].get("service_request_id") and not data[0].get("token"), data


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("token", ["no-such-token", "0" * 200])
def test_unknown_token_is_404(client, council, fmt, token):
    assert_error(get(client, f"tokens/{token}", fmt), fmt, 404)
