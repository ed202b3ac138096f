"""Photos attached to the report form, kept across the form's round trips.

A file input cannot be filled in again by the server, so when the form comes back (an error,
or reports nearby to consider) the photos already chosen would be lost. Each photo is cleaned
at once (resized, every metadata block dropped: cases/media.py) and kept in storage under a
random name; the form carries a signed token for it, and case_create gets the cleaned image.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.cases.limits import MAX_PHOTO_BYTES, MAX_PHOTOS
from townsquare.cases.media import CleanImage, image_sanitise
from townsquare.core.errors import InvalidInput
from townsquare.portal.error_messages import input_text

log = logging.getLogger(__name__)

PENDING_DIR = "pending-photos"
_SALT = "townsquare.portal.photos"
_KEEP = dt.timedelta(days=1)


def photos_per_form() -> int:
    """How many photos the report form offers: the domain's limit, or as many of the largest
    photos as fit in one form post (REPORT_MAX_UPLOAD_BYTES), if fewer (3 by default). A
    form that offered more would end in the "too large" page instead of an error by the
    photos."""
    return max(1, min(MAX_PHOTOS, settings.REPORT_MAX_UPLOAD_BYTES // MAX_PHOTO_BYTES))


@dataclass(frozen=True)
class PendingPhoto:
    token: str
    image: CleanImage


def pending_photos_from(request: HttpRequest) -> tuple[list[PendingPhoto], dict[str, str]]:
    """The photos kept from earlier round trips plus those uploaded now, and an error for the
    "photos" input when one is refused (the others are kept)."""
    limit = photos_per_form()
    kept: list[PendingPhoto] = []
    for token in request.POST.getlist("photo_token")[:limit]:
        photo = _load(token)
        if photo is not None:
            kept.append(photo)
    errors: dict[str, str] = {}
    uploads = [f for f in request.FILES.getlist("photos") if f.size or f.name]
    if len(kept) + len(uploads) > limit:
        errors["photos"] = _("Add up to %(max)d photos") % {"max": limit}
        uploads = uploads[: max(0, limit - len(kept))]
    for upload in uploads:
        name = (upload.name or _("Photo"))[:80]
        try:
            # One byte past the limit is enough for the domain to refuse a photo too large.
            image = image_sanitise(upload.read(MAX_PHOTO_BYTES + 1), name=name)
        except InvalidInput as exc:
            problem = exc.first("media")
            if problem is not None:
                errors.setdefault("photos", input_text("media", problem))
            continue
        kept.append(_store(image))
    return kept, errors


def pending_photos_discard(photos: list[PendingPhoto]) -> None:
    """Delete the kept copies once the case holds its own."""
    for photo in photos:
        with contextlib.suppress(signing.BadSignature, OSError, KeyError):
            default_storage.delete(signing.loads(photo.token, salt=_SALT)["n"])


def _store(image: CleanImage) -> PendingPhoto:
    _purge_old()
    name = default_storage.save(
        f"{PENDING_DIR}/{secrets.token_hex(16)}.{image.extension}", ContentFile(image.data)
    )
    token = signing.dumps(
        {
            "n": name,
            "t": image.content_type,
            "e": image.extension,
            "w": image.width,
            "h": image.height,
        },
        salt=_SALT,
    )
    return PendingPhoto(token=token, image=image)


def _load(token: str) -> PendingPhoto | None:
    try:
        meta = signing.loads(token, salt=_SALT, max_age=_KEEP)
        with default_storage.open(meta["n"], "rb") as file:
            data = file.read()
    except (signing.BadSignature, OSError, KeyError, TypeError):
        return None
    return PendingPhoto(
        token=token, image=CleanImage(data, meta["t"], meta["e"], meta["w"], meta["h"])
    )


def _purge_old() -> None:
    """Forget photos of forms never sent (cheap: one listing of a small folder)."""
    try:
        _dirs, files = default_storage.listdir(PENDING_DIR)
    except (FileNotFoundError, OSError):
        return
    cutoff = timezone.now() - _KEEP
    for name in files:
        path = f"{PENDING_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except OSError as exc:
            log.warning("Could not purge %s: %s", path, exc)
