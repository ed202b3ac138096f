"""Photos keep their pixels and nothing else; hostile files get a clear refusal."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from PIL import Image

from townsquare.accounts.services import api_key_create
from townsquare.cases.media import image_sanitise
from townsquare.cases.models import Attachment, Case
from townsquare.core.actors import Actor
from townsquare.core.errors import InvalidInput


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (51.0, 27.0, 16.0), 3: "W", 4: (2.0, 35.0, 16.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"secret comment")
    return out.getvalue()


def test_metadata_and_gps_are_gone_pixels_kept():
    original = jpeg_with_gps()
    assert b"PhoneMaker" in original
    clean = image_sanitise(original)
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size == (64, 48)
        assert not image.getexif()
        assert "comment" not in image.info and "exif" not in image.info
    assert b"PhoneMaker" not in clean.data and b"secret comment" not in clean.data


def test_large_photos_are_shrunk():
    clean = image_sanitise(jpeg_with_gps(size=(4000, 3000)))
    assert max(clean.width, clean.height) == 2048


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not an image at all", "not an image we can read"),
        (jpeg_with_gps()[:200], "not an image we can read"),
        (b"x" * (21 * 1024 * 1024), "larger than 20 MB"),
    ],
)
def test_broken_and_oversized_files_are_refused_clearly(data, reason):
    with pytest.raises(InvalidInput) as info:
        image_sanitise(data)
    assert reason in info.value.errors["media"][0]


@pytest.mark.django_db(transaction=True)
def test_photos_sent_to_a_batch_service_reach_the_case(client, council, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    _, raw = api_key_create(council_id=council.id, name="App", actor=Actor.system())
    photo = io.BytesIO(jpeg_with_gps())
    photo.name = "photo.jpg"
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": raw,
            "service_code": "school_transport",
            "lat": "51.5",
            "long": "-1.5",
            "attribute[child_name]": "Sam",
            "attribute[sen]": "no",
            "media": photo,
        },
    )
    assert response.status_code == 200, response.content
    call_command("worker", "--batch", verbosity=0)
    case = Case.objects.get()
    attachment = Attachment.objects.get(case=case)
    assert b"PhoneMaker" not in attachment.file.read()
    assert case.media_count == 1
    assert not list((tmp_path / "pending").iterdir())
