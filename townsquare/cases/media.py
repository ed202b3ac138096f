"""Photos from the public: decoded, checked, shrunk and re-encoded so nothing but pixels is kept.

Re-encoding from decoded pixels drops every metadata block (EXIF with GPS position, XMP, IPTC,
comments, ICC profiles) instead of trying to list and remove them one by one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from townsquare.core.errors import InvalidInput

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
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
    """Return a metadata-free JPEG (or PNG, for images with transparency) of at most 2048 px."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput({"media": [f"{name} is larger than 20 MB"]}, code="too_large")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED:
                raise InvalidInput({"media": [f"{name} must be a JPEG, PNG, HEIC or WebP image"]},
                                   code="bad_image")
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput({"media": [f"{name} has too many pixels"]}, code="bad_image")
            image.load()
            image = ImageOps.exif_transpose(image)
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
        raise InvalidInput({"media": [f"{name} is not an image we can read"]},
                           code="bad_image") from None
