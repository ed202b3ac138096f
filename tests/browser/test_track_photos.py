"""A public report's photo shows on its track page in a real browser (the image loads, it is
not a broken link), while a private photo of that report and any photo of a private case answer
404 to the public (issue 12); axe-core checks the pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests import factories
from tests.browser.support import assert_accessible
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Attachment
from townsquare.cases.services import Reporter, case_attach_file, case_create
from townsquare.geo.points import Point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def test_a_public_photo_loads_on_the_track_page_and_private_ones_are_404(
    page, town, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    _user, agent = factories.make_staff(town, "agent")
    report = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=town,
        point=Point(51.5, -1.75),
        address="Outside 4 Mill Lane",
        values={"depth": "deep"},
        reporter=Reporter(phone="01632960001"),
    )
    shown = case_attach_file(
        case=report, actor=agent, data=_jpeg(), name="hole.jpg", is_public=True
    )
    hidden = case_attach_file(case=report, actor=agent, data=_jpeg(), name="plate.jpg")
    application = case_create(
        service_code="school_transport",
        actor=Principal.anonymous(),
        council=town,
        values={"child_name": "Sam", "sen": "no"},
    )
    private_case_photo = case_attach_file(case=application, actor=agent, data=_jpeg(), name="a.jpg")
    # Even marked public, a private case's photo is never served.
    Attachment.objects.filter(id=private_case_photo.id).update(is_public=True)

    page.goto(f"/track/{report.reference}")
    photo = page.get_by_role("img", name="Photo 1 of the problem")
    expect(photo).to_be_visible()
    expect(photo).to_have_attribute("src", f"/track/{report.reference}/photos/{shown.id}")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    assert photo.evaluate("img => img.naturalWidth") == 640
    assert page.locator(f"img[src$='/photos/{hidden.id}']").count() == 0
    assert_accessible(page)

    for url in (
        f"/track/{report.reference}/photos/{hidden.id}",
        f"/track/{application.reference}/photos/{private_case_photo.id}",
        # A photo is only found under its own case's reference.
        f"/track/{application.reference}/photos/{shown.id}",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        assert response.headers["content-type"].startswith("text/html"), url
    assert_accessible(page)
