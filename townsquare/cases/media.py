"""Photos from the public: decoded, checked, shrunk and re-encoded so nothing but pixels is kept.

Re-encoding from decoded pixels drops every metadata block (EXIF with GPS position, XMP, IPTC,
comments, ICC profiles) instead of trying to list and remove them one by one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from townsquare.cases.limits import MAX_PHOTO_BYTES
from townsquare.core.errors import InvalidInput, Problem

# The old name of the limit (cases.limits decides it); kept for code that still imports it.
MAX_UPLOAD_BYTES = MAX_PHOTO_BYTES
MAX_PIXELS = 40_000_000  # refuses decompression bombs before decoding them
LONGEST_SIDE = 2048
# HEIF is what iPhones take (.heic); Pillow reads it through pillow-heif's libheif (ADR 54).
ACCEPTED = {"JPEG", "PNG", "WEBP", "GIF", "MPO", "HEIF"}

Image.MAX_IMAGE_PIXELS = MAX_PIXELS
register_heif_opener()


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def image_sanitise(data: bytes, *, name: str = "photo") -> CleanImage:
    """Return a metadata-free JPEG (or PNG, for images with transparency) of at most 2048 px.

    Refuses on "media" with `file_too_large` {name, mb}, `image_format` {name},
    `too_many_pixels` {name} or `unreadable_image` {name}."""
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(
            {
                "media": [
                    Problem(
                        "%(name)s is larger than %(mb)s MB",
                        code="file_too_large",
                        params={"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
                    )
                ]
            },
            code="too_large",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED:
                raise InvalidInput(
                    {
                        "media": [
                            Problem(
                                "%(name)s must be a JPEG, PNG, HEIC or WebP image",
                                code="image_format",
                                params={"name": name},
                            )
                        ]
                    },
                    code="bad_image",
                )
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(
                    {
                        "media": [
                            Problem(
                                "%(name)s has too many pixels",
                                code="too_many_pixels",
                                params={"name": name},
                            )
                        ]
                    },
                    code="bad_image",
                )
            image.load()
            image = ImageOps.exif_transpose(image)  # type: ignore[assignment]
            image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
            keep_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
            out = io.BytesIO()
            if keep_alpha:
                clean = Image.new("RGBA", image.size)
                clean.paste(image.convert("RGBA"))
                clean.save(out, format="PNG", optimize=True)
                return CleanImage(out.getvalue(), "image/png", "png", *clean.size)
            clean = Image.new("RGB", image.size)
            clean.paste(image.convert("RGB"))
            clean.save(out, format="JPEG", quality=85, optimize=True)
            return CleanImage(out.getvalue(), "image/jpeg", "jpg", *clean.size)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(
            {
                "media": [
                    Problem(
                        "%(name)s is not an image we can read",
                        code="unreadable_image",
                        params={"name": name},
                    )
                ]
            },
            code="bad_image",
        ) from None
