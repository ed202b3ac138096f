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

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.cases.media import MAX_UPLOAD_BYTES, CleanImage, image_sanitise
from townsquare.core.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_PHOTOS = 3
PENDING_DIR = "pending-photos"
_SALT = "townsquare.portal.photos"
_KEEP = dt.timedelta(days=1)


@dataclass(frozen=True)
class PendingPhoto:
    token: str
    image: CleanImage


def pending_photos_from(request: HttpRequest) -> tuple[list[PendingPhoto], dict[str, str]]:
    """The photos kept from earlier round trips plus those uploaded now, and an error for the
    "photos" input when one is refused (the others are kept)."""
    kept: list[PendingPhoto] = []
    for token in request.POST.getlist("photo_token")[:MAX_PHOTOS]:
        photo = _load(token)
        if photo is not None:
            kept.append(photo)
    errors: dict[str, str] = {}
    uploads = [f for f in request.FILES.getlist("photos") if f.size or f.name]
    if len(kept) + len(uploads) > MAX_PHOTOS:
        errors["photos"] = _("Add up to %(count)d photos") % {"count": MAX_PHOTOS}
        uploads = uploads[:max(0, MAX_PHOTOS - len(kept))]
    for upload in uploads:
        name = (upload.name or _("Photo"))[:80]
        if upload.size > MAX_UPLOAD_BYTES:
            errors.setdefault("photos", _("%(name)s is larger than %(mb)d MB: choose a smaller "
                                          "photo") % {"name": name,
                                                      "mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
            continue
        try:
            image = image_sanitise(upload.read(), name=name)
        except InvalidInput:
            errors.setdefault("photos", _("%(name)s is not a photo we can read: choose a JPEG, "
                                          "PNG or HEIC photo") % {"name": name})
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
    name = default_storage.save(f"{PENDING_DIR}/{secrets.token_hex(16)}.{image.extension}",
                                ContentFile(image.data))
    token = signing.dumps({"n": name, "t": image.content_type, "e": image.extension,
                           "w": image.width, "h": image.height}, salt=_SALT)
    return PendingPhoto(token=token, image=image)


def _load(token: str) -> PendingPhoto | None:
    try:
        meta = signing.loads(token, salt=_SALT, max_age=_KEEP)
        with default_storage.open(meta["n"], "rb") as file:
            data = file.read()
    except (signing.BadSignature, OSError, KeyError, TypeError):
        return None
    return PendingPhoto(token=token, image=CleanImage(data, meta["t"], meta["e"], meta["w"],
                                                      meta["h"]))


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
