"""The report journey's map data, place search, photos, nearby reports and support, email
confirmation over real SMTP, size limits and the browse page (HTTP through Django's client)."""

from __future__ import annotations

import io
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.citizen_mailbox import outbox_refuses  # noqa: F401 (a fixture)
from tests.factories import make_staff
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Attachment, Case
from townsquare.cases.services import Reporter, case_create, case_transition
from townsquare.core.models import Event
from townsquare.councils.services import places_import_csv
from townsquare.geo.points import Point
from townsquare.messaging.models import Message, Status

pytestmark = pytest.mark.django_db

FORM = "/report/testshire/pothole/"
BBOX = "-2,51,-1,52"


def _answers(**overrides):
    answers = {
        "lat": "51.5",
        "lng": "-1.75",
        "place": "By the postbox",
        "field-depth": "deep",
        "phone": "01632 960 001",
    }
    answers.update(overrides)
    return answers


def _report(council, point=(51.5, -1.75), **kwargs):
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=council,
        point=Point(*point),
        address="Somewhere",
        values={"depth": "deep"},
        reporter=Reporter(phone="01632960001"),
        channel="web",
        **kwargs,
    )


# Map data.


def test_map_counts_reports_per_cell_zoomed_out_and_draws_them_zoomed_in(client, council):
    for i in range(4):
        _report(council, (51.5 + i * 0.0001, -1.75))
    _report(council, (51.2, -1.2))
    hidden = _report(council, (51.5, -1.75), awaiting_confirmation=True)
    zoomed_out = client.get(f"/map/reports.geojson?bbox={BBOX}&zoom=9")
    assert zoomed_out.status_code == 200 and zoomed_out["Content-Type"] == "application/geo+json"
    # Five reports are few enough to draw one by one, even zoomed out.
    data = zoomed_out.json()
    assert not data["aggregated"] and len(data["features"]) == 5
    assert hidden.reference not in json.dumps(data)
    feature = data["features"][0]
    assert set(feature["properties"]) == {"reference", "service", "open", "approximate", "url"}
    assert feature["properties"]["url"].startswith("/track/")


def test_map_aggregates_many_reports_by_h3_cell(client, council, settings, monkeypatch):
    from townsquare.portal import maps

    monkeypatch.setattr(maps, "FEW_ENOUGH_TO_DRAW", 2)
    for i in range(4):
        _report(council, (51.5 + i * 0.0001, -1.75))
    _report(council, (51.2, -1.2))
    data = client.get(f"/map/reports.geojson?bbox={BBOX}&zoom=11").json()
    assert data["aggregated"]
    assert sorted(f["properties"]["count"] for f in data["features"]) == [1, 4]
    # Filters: status and category.
    case = Case.objects.filter(lat=51.2).get()
    _user, agent = make_staff(council, "agent")
    case_transition(case=case, actor=agent, to_state="fixed", message="Fixed")
    data = client.get(
        f"/map/reports.geojson?bbox={BBOX}&zoom=11&council=testshire&status=open"
    ).json()
    assert [f["properties"]["count"] for f in data["features"]] == [4]
    data = client.get(
        f"/map/reports.geojson?bbox={BBOX}&zoom=11&council=testshire&service=litter"
    ).json()
    assert data["features"] == []


# Boxes from the whole world to a street; bbox and zoom are the client's and need not match.
_VIEWS = {
    "world": "-180,-85,180,85",
    "continent": "-25,35,40,70",
    "country": "-8,49.8,2,59",
    "city": "-2,51,-1,52",
    "street": "-1.752,51.499,-1.748,51.501",
}


@pytest.mark.parametrize("view", sorted(_VIEWS))
def test_every_map_box_and_zoom_costs_bounded_work(
    client, council, monkeypatch, django_assert_max_num_queries, view
):
    """The default world view once listed 3.5 million H3 cells (4 to 22 s): whatever the box
    and zoom, at most a few thousand cells are listed and a few queries run (ADR 115)."""
    from townsquare.cases import selectors
    from townsquare.portal import maps

    monkeypatch.setattr(maps, "FEW_ENOUGH_TO_DRAW", 1)
    for i in range(3):
        _report(council, (51.5 + i * 0.0001, -1.75))
    listed = []
    covering = selectors.h3_cells_covering_bbox

    def counting(*args):
        cells = covering(*args)
        listed.append(len(cells))
        return cells

    monkeypatch.setattr(selectors, "h3_cells_covering_bbox", counting)
    for zoom in range(0, 23):
        listed.clear()
        with django_assert_max_num_queries(4):
            response = client.get(f"/map/reports.geojson?bbox={_VIEWS[view]}&zoom={zoom}")
        assert response.status_code == 200
        assert sum(listed) <= 2500, (zoom, listed)
        data = response.json()
        counted = sum(f["properties"].get("count", 1) for f in data["features"])
        assert counted == 3, zoom


def test_a_dense_view_at_street_zoom_is_counted_not_drawn(
    client, council, monkeypatch, django_assert_max_num_queries
):
    """A city centre at street zoom once drew 5,000 of its 16,000 reports one by one: at most
    MAP_MAX_POINTS are ever read to draw, and a view holding more is counted per cell, per
    resolution-9 cell while few enough to count one by one, else from the stored counts
    (ADR 118)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from townsquare.cases import selectors
    from townsquare.portal import maps

    monkeypatch.setattr(maps, "MAP_MAX_POINTS", 3)
    monkeypatch.setattr(maps, "FEW_ENOUGH_TO_DRAW", 3)
    for i in range(5):
        _report(council, (51.5 + i * 0.0001, -1.75))
    street = _VIEWS["street"]
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(4):
        data = client.get(f"/map/reports.geojson?bbox={street}&zoom=20").json()
    assert data["aggregated"]
    assert sum(f["properties"]["count"] for f in data["features"]) == 5
    # The probe for single reports stopped after one more than may be drawn.
    assert any("LIMIT 4" in q["sql"] for q in queries.captured_queries)
    assert not any("ORDER BY" in q["sql"] and "LIMIT" in q["sql"] for q in queries.captured_queries)

    monkeypatch.setattr(selectors, "MAP_MAX_COUNTED", 4)
    with CaptureQueriesContext(connection) as queries:
        data = client.get(f"/map/reports.geojson?bbox={street}&zoom=20").json()
    assert data["aggregated"]
    assert [f["properties"]["count"] for f in data["features"]] == [5]
    assert not any("h3_r9" in q["sql"] and "COUNT" in q["sql"] for q in queries.captured_queries)

    # Few enough: drawn one by one, newest first.
    monkeypatch.setattr(maps, "MAP_MAX_POINTS", 5)
    monkeypatch.setattr(maps, "FEW_ENOUGH_TO_DRAW", 5)
    data = client.get(f"/map/reports.geojson?bbox={street}&zoom=20").json()
    assert not data["aggregated"] and len(data["features"]) == 5
    newest = Case.objects.order_by("-created_at", "-id").first()
    assert data["features"][0]["properties"]["reference"] == newest.reference


def test_few_reports_in_a_wide_box_are_drawn_from_their_cells(client, council):
    """Few reports in a continent-wide box are drawn one by one, fetched from the cells that
    counted them rather than by scanning every report."""
    _report(council, (51.5, -1.75))
    _report(council, (51.2, -1.2))
    data = client.get(f"/map/reports.geojson?bbox={_VIEWS['continent']}&zoom=4").json()
    assert not data["aggregated"]
    assert len(data["features"]) == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("bbox=1,2,3", "bbox must be four numbers"),
        ("bbox=3,51,1,52", "west before east"),
        ("bbox=nan,51,1,52", "west before east"),
        (f"bbox={BBOX}&zoom=abc", "zoom must be a whole number"),
        (f"bbox={BBOX}&status=maybe", "Status must be open or closed"),
        (f"bbox={BBOX}&from=yesterday", "From must be a date"),
        (f"bbox={BBOX}&council=nowhere", "There is no council called nowhere"),
    ],
)
def test_bad_map_queries_get_a_clear_400(client, council, query, message):
    response = client.get(f"/map/reports.geojson?{query}")
    assert response.status_code == 400 and message in response.json()["error"]


def test_boundaries_and_wards_as_geojson(client, council):
    response = client.get("/map/testshire/boundaries.geojson")
    data = response.json()
    assert response["Cache-Control"] == "public, max-age=3600"
    assert [f["properties"]["kind"] for f in data["features"]] == ["council", "ward", "ward"]
    assert client.get("/map/nowhere/boundaries.geojson").status_code == 404


def test_places_json_searches_the_gazetteer(client, council):
    places_import_csv(council=council, text="name,lat,lng\nMill Lane,51.5,-1.75\n")
    data = client.get("/places.json?q=mill&council=testshire").json()
    assert [(p["name"], p["kind"]) for p in data["places"]] == [("Mill Lane", "street")]
    assert data["places"][0]["key"].startswith("place:")
    assert client.get("/places.json?q=west").json()["places"][0]["kind"] == "ward"
    assert client.get("/places.json?q=mill&council=nowhere").json()["places"] == []
    assert client.get("/places.json?q=" + "x" * 5000).status_code == 200


class _Geocoder(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(
            [
                {"display_name": "Far Away, Scotland", "lat": "57.1", "lon": "-3.0"},
                {"display_name": "Quarry Hill, Testshire", "lat": "51.6", "lon": "-1.4"},
                {"lat": "x"},
            ]
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_geocoder_is_asked_only_when_configured_and_the_gazetteer_has_nothing(
    client, council, settings
):
    assert client.get("/places.json?q=quarry").json()["places"] == []  # off by default
    server = HTTPServer(("127.0.0.1", 0), _Geocoder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.GEOCODER_URL = f"http://127.0.0.1:{server.server_port}/search"
        places = client.get("/places.json?q=quarry").json()["places"]
        # Only the result inside a council we serve.
        assert [(p["name"], p["kind"], p["council"]["slug"]) for p in places] == [
            ("Quarry Hill, Testshire", "geocoder", "testshire")
        ]
    finally:
        server.shutdown()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.GEOCODER_URL = f"http://127.0.0.1:{closed.getsockname()[1]}/search"
    assert client.get("/places.json?q=quarry").json()["places"] == []  # down: nothing, no 500


# The form: location, photos, nearby reports, support.


def test_a_pin_outside_the_council_is_refused_clearly(client, council):
    response = client.post(FORM, _answers(lat="55.0", lng="-1.5"))
    assert response.status_code == 400
    assert "The pin is outside Testshire Council" in response.content.decode()
    assert 'href="#map"' in response.content.decode()
    response = client.post(FORM, _answers(lat="north", lng="-1.5"))
    assert "The position of the pin could not be read" in response.content.decode()
    response = client.post(FORM, _answers(lat="", lng="", place_key="place:999999"))
    assert "Choose one of the streets or places listed" in response.content.decode()
    assert not Case.objects.exists()


def _jpeg(size=(800, 600), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format="JPEG", **save)
    return out.getvalue()


def _heic_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Ltd"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 10, 200)).save(out, format="HEIF", exif=exif)
    return out.getvalue()


def test_photos_survive_a_round_trip_and_heic_is_stored_as_clean_jpeg(client, council):
    heic = _heic_with_exif()
    assert b"SpyCam" in heic
    # Something else is wrong (no way to reply), so the form comes back with the photo kept.
    response = client.post(
        FORM,
        _answers(
            phone="", photos=[SimpleUploadedFile("IMG_0001.HEIC", heic, content_type="image/heic")]
        ),
    )
    body = response.content.decode()
    assert response.status_code == 400 and "1 photo added." in body
    token = re.search(r'name="photo_token" value="([^"]+)"', body).group(1)

    response = client.post(
        FORM,
        _answers(
            photo_token=token,
            photos=[SimpleUploadedFile("b.jpg", _jpeg(), content_type="image/jpeg")],
        ),
    )
    assert response.status_code == 303
    case = Case.objects.get()
    stored = [a.file.read() for a in Attachment.objects.filter(case=case)]
    assert len(stored) == 2 and case.media_count == 2
    for data in stored:
        assert b"SpyCam" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and not image.getexif()
    # A forged token is ignored, not trusted.
    response = client.post(FORM, _answers(photo_token="forged:token", nearby_checked="yes"))
    assert response.status_code == 303
    assert Case.objects.latest("id").media_count == 0


def test_broken_too_many_and_very_large_photos_get_clear_messages(client, council):
    broken = SimpleUploadedFile("cat.jpg", b"\xff\xd8 not really", content_type="image/jpeg")
    body = client.post(FORM, _answers(photos=[broken])).content.decode()
    assert "cat.jpg is not a photo we can read: choose a JPEG, PNG or HEIC photo" in body
    assert 'href="#photos"' in body

    photos = [SimpleUploadedFile(f"{i}.jpg", _jpeg((50, 50))) for i in range(4)]
    body = client.post(FORM, _answers(photos=photos)).content.decode()
    assert "Add up to 3 photos" in body and "3 photos added." in body

    fifty_mb = SimpleUploadedFile("huge.jpg", b"\xff\xd8" + b"\0" * (50 * 1024 * 1024))
    response = client.post(FORM, _answers(photos=[fifty_mb]))
    assert response.status_code == 400
    assert "huge.jpg is larger than 20 MB: choose a smaller photo" in response.content.decode()
    assert 'value="By the postbox"' in response.content.decode()  # nothing typed is lost
    assert not Case.objects.exists()


def test_a_request_over_the_size_limit_gets_a_page_saying_so(client, council, settings):
    settings.REPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.jpg", b"\0" * (2 * 1024 * 1024))
    response = client.post(FORM, _answers(photos=[big]))
    body = response.content.decode()
    assert response.status_code == 413 and "Your report is too large to send" in body
    assert "larger than 1 MB in total" in body and f'href="{FORM}"' in body
    # A text field beyond Django's DATA_UPLOAD_MAX_MEMORY_SIZE: the same page, not a 400.
    settings.REPORT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024
    response = client.post(FORM, _answers(description="x" * (3 * 1024 * 1024)))
    assert response.status_code == 413
    assert "Your report is too large to send" in response.content.decode()
    assert not Case.objects.exists()


def test_nearby_open_reports_are_offered_before_sending(client, council):
    existing = _report(council, (51.5, -1.75))
    far = _report(council, (51.9, -1.1))
    response = client.post(
        FORM, _answers(lat="51.5005", lng="-1.7502", email="sam@example.org", phone="")
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Has this already been reported?" in body
    assert existing.reference in body and far.reference not in body
    assert 'name="nearby_checked" value="yes"' in body
    assert "None of these: send my report" in body
    assert not Case.objects.exclude(id__in=[existing.id, far.id]).exists()

    response = client.post(FORM, _answers(lat="51.5005", lng="-1.7502", nearby_checked="yes"))
    assert response.status_code == 303 and Case.objects.count() == 3


def test_supporting_a_report_counts_once_and_keeps_no_personal_data(client, council):
    case = _report(council)
    response = client.post(f"/report/support/{case.reference}", {"email": "sam@example.org"})
    assert response.status_code == 303
    assert response["Location"] == f"/report/supported/{case.reference}?following=email"
    page = client.get(response["Location"]).content.decode()
    assert "Your support has been added" in page and "0 people have added support" in page
    assert "Follow the link in it to get an email each time" in page
    assert "Your support is counted when you follow the link" in page
    # The supporter follows the report through messaging (confirmed by messaging's own link),
    # and the support counts once the address is proved (ADR 134).
    from townsquare.messaging import tokens
    from townsquare.messaging.models import Subscription

    follower = Subscription.objects.get(case_id=case.id, kind="follower")
    assert follower.email == "sam@example.org" and follower.confirmed_at is None
    confirm = f"/alerts/confirm/{tokens.make('confirm', follower.pk)}"
    assert client.post(confirm).status_code == 200
    client.post(f"/report/support/{case.reference}", {"email": "Sam@Example.org "})  # again
    client.post(confirm)
    case.refresh_from_db()
    assert case.support_count == 1
    event = Event.objects.get(kind="case.supported")
    assert event.payload == {"case_id": case.id, "reference": case.reference, "support_count": 1}
    assert "sam@example.org" not in json.dumps(event.payload)
    # Signed in: follows at once.
    from townsquare.accounts.services import user_ensure

    signed_in = type(client)()
    signed_in.force_login(user_ensure(email="kim@example.org", full_name="Kim"))
    response = signed_in.post(f"/report/support/{case.reference}")
    assert response["Location"].endswith("?following=user")
    assert Subscription.objects.get(case_id=case.id, user__email="kim@example.org").confirmed_at
    assert client.get(f"/report/support/{case.reference}").status_code == 405
    assert client.post("/report/support/TST-26-999999").status_code == 404
    _user, agent = make_staff(council, "agent")
    case_transition(case=case, actor=agent, to_state="fixed", message="Fixed")
    from django.test import Client

    assert Client().post(f"/report/support/{case.reference}").status_code == 404


# Email confirmation, over a real SMTP exchange.


class _Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    mailbox = _Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.NOTIFY_API_KEY = ""
    # The outbox sends the confirmation as the request commits (ADR 75).
    settings.MESSAGING_DISPATCH = "inline"
    yield mailbox
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_link_is_sent_by_smtp_and_makes_the_report_public(client, council, smtp):
    response = client.post(FORM, _answers(email="Pat@Example.org", phone=""))
    assert response.status_code == 303
    case = Case.objects.get()
    assert case.awaiting_confirmation and not case.is_public
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["pat@example.org"]
    text = envelope.content.decode()
    assert case.reference in text
    link = re.search(r"http://testserver(/report/confirm/[^\s\"<]+)", text).group(1)
    # Hidden everywhere public until confirmed.
    assert client.get(f"/track/{case.reference}").status_code == 404
    assert case.reference not in client.get("/reports/?council=testshire").content.decode()
    assert client.post(f"/report/support/{case.reference}").status_code == 404

    assert client.get(link).status_code == 303
    case.refresh_from_db()
    assert case.is_public and not case.awaiting_confirmation
    assert Event.objects.filter(kind="case.reporter_confirmed", stream_id=case.id).count() == 1
    client.get(link)
    assert Event.objects.filter(kind="case.reporter_confirmed", stream_id=case.id).count() == 1
    assert case.reference in client.get("/reports/?council=testshire").content.decode()


@pytest.mark.django_db(transaction=True)
def test_when_the_mail_server_is_down_the_outbox_keeps_trying(client, council, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed.getsockname()[1]
    settings.MESSAGING_DISPATCH, settings.NOTIFY_API_KEY = "inline", ""
    response = client.post(FORM, _answers(email="pat@example.org", phone=""), follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "We have sent an email to p***@example.org" in body
    message = Message.objects.get(template="report_confirm")
    # Tried at once, refused by the closed port, and waiting for its next try.
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.secret_link.startswith("http://testserver/report/confirm/")
    assert Case.objects.get().awaiting_confirmation


@pytest.mark.usefixtures("outbox_refuses")
def test_when_the_confirmation_cannot_be_queued_the_page_says_so(client, council):
    response = client.post(FORM, _answers(email="pat@example.org", phone=""), follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "We could not send the email to p***@example.org just now" in body
    assert Case.objects.get().awaiting_confirmation  # the council still has the report
    assert not Message.objects.exists()


def test_bad_and_expired_links(client, council, settings):
    assert client.get("/report/confirm/nonsense").status_code == 404
    assert client.get("/report/check-email/nonsense").status_code == 404
    from townsquare.portal.confirmation import confirmation_token

    case = _report(council, awaiting_confirmation=True)
    token = confirmation_token(case.id)
    settings.REPORT_CONFIRM_DAYS = -1
    response = client.get(f"/report/confirm/{token}")
    assert response.status_code == 410 and "This link has expired" in response.content.decode()


def test_a_signed_in_citizen_is_not_asked_to_confirm(client, council):
    from townsquare.accounts.services import user_ensure

    user = user_ensure(email="citizen@example.org", full_name="Cit Izen")
    client.force_login(user)
    form = client.get(FORM).content.decode()
    assert "You are signed in as citizen@example.org" in form
    response = client.post(FORM, _answers(phone="", name="Cit Izen"))
    case = Case.objects.get()
    assert response["Location"] == f"/report/done/{case.reference}"
    assert case.is_public and case.reporter_id == user.id
    assert case.reporter_email == "citizen@example.org"


# Browse.


def test_browse_lists_public_reports_with_filters_and_pages(client, council):
    for i in range(23):
        _report(council, (51.5 + i * 0.0001, -1.75))
    page = client.get("/reports/?council=testshire")
    body = page.content.decode()
    assert page.status_code == 200 and "Reports in Testshire Council" in body
    assert "Showing reports 1 to 20, newest first." in body and 'rel="next"' in body
    body = client.get("/reports/?council=testshire&page=2").content.decode()
    assert "Showing reports 21 to 23" in body and 'rel="prev"' in body
    body = client.get("/reports/?council=testshire&status=closed").content.decode()
    assert "No public reports match" in body
    body = client.get("/reports/?council=testshire&service=pothole&from=2000-01-01").content
    assert b"Showing reports 1 to 20" in body
    bad = client.get("/reports/?council=testshire&from=soon")
    assert bad.status_code == 400 and "From must be a date like" in bad.content.decode()
    missing = client.get("/reports/?q=atlantis")
    assert missing.status_code == 400 and "We cannot find atlantis" in missing.content.decode()
    assert client.get("/reports/?page=999999").status_code == 200


def _counts_by_trigger():
    from townsquare.cases.models import MapCellCount

    return {
        (r.h3_r7, r.council_id, r.service_id, r.is_open): r.n
        for r in MapCellCount.objects.filter(n__gt=0)
    }


def _counts_by_hand():
    from django.db.models import Count

    rows = (
        Case.objects.filter(is_public=True, is_test=False, kind="report", h3_r7__isnull=False)
        .values_list("h3_r7", "council_id", "service_id", "is_open")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(h, c, s, o): n for h, c, s, o, n in rows}


def test_map_cell_counts_follow_every_change(council):
    """The triggers keep the counts equal to counting the cases, whoever writes them."""
    from django.db import connection

    cases = [_report(council, (51.1 + i * 0.1, -1.5)) for i in range(5)]
    waiting = _report(council, (51.5, -1.5), awaiting_confirmation=True)
    _report(council, (51.5, -1.5), is_test=True)
    assert sum(_counts_by_trigger().values()) == 5
    from townsquare.cases.services import case_confirm_reporter

    case_confirm_reporter(case_id=waiting.id)
    _user, agent = make_staff(council, "agent")
    case_transition(case=cases[0], actor=agent, to_state="fixed", message="Done")
    cases[1].delete()
    with connection.cursor() as cursor:  # a writer that knows nothing of the counts
        cursor.execute("UPDATE cases_case SET is_public = %s WHERE id = %s", [False, cases[2].id])
        cursor.execute("UPDATE cases_case SET h3_r7 = h3_r7 + 0 WHERE id = %s", [cases[3].id])
    assert _counts_by_trigger() == _counts_by_hand()
    assert sum(_counts_by_trigger().values()) == 4


def test_hostile_text_in_searches_is_shown_escaped(client, council):
    hostile = "<script>alert(1)</script>"
    for path in (
        f"/reports/?q={hostile}",
        f"/report/testshire/?q={hostile}",
        f"{FORM}?q={hostile}",
    ):
        body = client.get(path).content.decode()
        assert "<script>alert(1)</script>" not in body, path
        assert "&lt;script&gt;" in body, path
    assert client.get("/places.json?q=" + hostile).json()["places"] == []


@pytest.mark.django_db(transaction=True)
def test_a_large_bulk_load_rebuilds_the_counts_instead_of_firing_triggers(council):
    from townsquare.cases.bulk import _secondary_indexes_deferred

    _report(council, (51.2, -1.2))
    with _secondary_indexes_deferred(True):
        for i in range(3):
            _report(council, (51.5 + i * 0.01, -1.5))
        assert sum(_counts_by_trigger().values()) == 1  # triggers off during the load
    assert _counts_by_trigger() == _counts_by_hand() and sum(_counts_by_hand().values()) == 4
    _report(council, (51.7, -1.7))  # and back on afterwards
    assert sum(_counts_by_trigger().values()) == 5


def test_a_pin_on_the_map_needs_no_words_but_no_pin_does(client, council):
    response = client.post(FORM, _answers(lat="", lng="", place=""))
    assert response.status_code == 400
    assert "Describe where the problem is" in response.content.decode()
    response = client.post(FORM, _answers(place="", nearby_checked="yes"))
    assert response.status_code == 303
    case = Case.objects.get()
    assert not case.location_approximate and case.lat == 51.5
