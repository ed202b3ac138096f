"""Writes the Open311 adapter makes: creating requests (idempotently, or via a token for batch
services) and taking updates from clients. Case rules stay in cases.services."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from townsquare.accounts.models import ApiKey
from townsquare.accounts.principal import Principal
from townsquare.cases.media import CleanImage, image_sanitise
from townsquare.cases.models import Case, Channel
from townsquare.cases.selectors import case_has_event
from townsquare.cases.services import (
    PreparedCase,
    Reporter,
    case_add_citizen_update,
    case_add_internal_note,
    case_check,
    case_check_citizen_update,
    case_create_prepared,
    case_prepare,
)
from townsquare.core import clock
from townsquare.core.errors import DomainError, InvalidInput, NotFound
from townsquare.councils.models import Council
from townsquare.geo.points import Point
from townsquare.open311.models import ClientRequestKey, ClientUpdate, PendingRequest
from townsquare.open311.tasks import create_pending_request


@dataclass
class NewRequest:
    """A validated Open311 create, in the terms of case_create (JSON-friendly, for batch)."""

    service_code: str
    lat: float | None
    lng: float | None
    area_id: int | None
    address: str
    description: str
    values: dict[str, Any]
    reporter: dict[str, Any]
    media_urls: list[str] = field(default_factory=list)
    # A `phone` that is not a phone number, kept for staff instead of refusing the report.
    phone_as_given: str = ""

    def _arguments(
        self, council: Council, key: ApiKey, photos: list[bytes] | None
    ) -> dict[str, Any]:
        return {
            "service_code": self.service_code,
            "actor": client_principal(key),
            "council": council,
            "point": Point(self.lat, self.lng) if self.lat is not None else None,
            "area_id": self.area_id,
            "address": self.address,
            "description": self.description,
            "values": self.values,
            "reporter": Reporter(**self.reporter),
            "channel": Channel.OPEN311,
            "is_test": key.test_mode,
            "photos": photos,
            "media_urls": self.media_urls,
        }

    def check(self, *, council: Council, key: ApiKey) -> None:
        case_check(**self._arguments(council, key, None))

    def create(self, *, council: Council, key: ApiKey, photos: list[bytes] | None = None) -> Case:
        """Create the case; call inside a transaction, so the case never exists without the
        note of the phone as given."""
        return self.create_prepared(self.prepare(council=council, key=key, photos=photos), key=key)

    def prepare(
        self, *, council: Council, key: ApiKey, photos: list[bytes] | None = None
    ) -> PreparedCase:
        """Checks and computations before any write (outside the transaction: ADR 222)."""
        return case_prepare(**self._arguments(council, key, photos))

    def create_prepared(self, prepared: PreparedCase, *, key: ApiKey) -> Case:
        case = case_create_prepared(prepared, actor=client_principal(key))
        if self.phone_as_given:
            case_add_internal_note(
                case=case,
                actor=Principal.system(client_principal(key).label),
                note="The client sent this as the reporter's phone, but it is not a phone "
                f"number, so it is not used to contact them: {self.phone_as_given}",
            )
        return case


@dataclass(frozen=True)
class CreateOutcome:
    case: Case | None = None
    token: str | None = None


def client_principal(key: ApiKey) -> Principal:
    """Client systems act as members of the public: what they send is what a resident reported.
    The audit trail names the client system."""
    return Principal(
        user_id=None, label=f"Open311 client: {key.name} (key {key.prefix})", is_api_client=True
    )


def _key_hash(key: ApiKey, client_key: str) -> str:
    # Per client system: two clients of one council may well use the same ids.
    return hashlib.sha256(f"{key.id}:{client_key}".encode()).hexdigest()


def request_create(
    *,
    council: Council,
    key: ApiKey,
    new: NewRequest,
    service_type: str,
    photos: list[bytes],
    client_key: str = "",
) -> CreateOutcome:
    """Create (realtime, blackbox) or queue (batch) a request; with `client_key`, a retry of the
    same request returns the first outcome instead of creating another case."""
    if client_key:
        previous = _previous_outcome(key, client_key)
        if previous is not None:
            return previous
    # Decoding photos is slow: done before any transaction, so no writer waits on it.
    images = [image_sanitise(data, name=f"Photo {n}") for n, data in enumerate(photos, 1)]
    try:
        if service_type == "batch":
            # Refused now, not later by the worker, where no one would hear of it.
            new.check(council=council, key=key)
            token = uuid.uuid4().hex
            stored = [_store_pending_photo(token, i, image) for i, image in enumerate(images)]
        else:
            prepared = new.prepare(council=council, key=key, photos=images)
        with transaction.atomic():
            if service_type == "batch":
                pending = PendingRequest.objects.create(
                    token=token,
                    council=council,
                    api_key=key,
                    payload=asdict(new) | {"photos": stored},
                    created_at=clock.now(),
                )
                # The queue is a table in this database: the task exists exactly when the
                # request does.
                create_pending_request.enqueue(pending.token)
                outcome = CreateOutcome(token=pending.token)
            else:
                outcome = CreateOutcome(case=new.create_prepared(prepared, key=key))
                pending = None
            if client_key:
                ClientRequestKey.objects.create(
                    council=council,
                    key_hash=_key_hash(key, client_key),
                    case=outcome.case,
                    pending=pending,
                    created_at=clock.now(),
                )
        return outcome
    except IntegrityError:
        # The same key raced us: the other request won, and its outcome is the answer.
        previous = _previous_outcome(key, client_key) if client_key else None
        if previous is None:
            raise
        return previous


def _store_pending_photo(token: str, index: int, image: CleanImage) -> dict[str, Any]:
    path = default_storage.save(
        f"pending/{token}-{index}.{image.extension}", ContentFile(image.data)
    )
    return {
        "path": path,
        "content_type": image.content_type,
        "extension": image.extension,
        "width": image.width,
        "height": image.height,
    }


def _load_pending_photo(stored: dict[str, Any]) -> CleanImage:
    with default_storage.open(stored["path"], "rb") as handle:
        data = handle.read()
    return CleanImage(
        data, stored["content_type"], stored["extension"], stored["width"], stored["height"]
    )


def _previous_outcome(key: ApiKey, client_key: str) -> CreateOutcome | None:
    record = (
        ClientRequestKey.objects.select_related("case", "pending")
        .filter(council_id=key.council_id, key_hash=_key_hash(key, client_key))
        .first()
    )
    if record is None:
        return None
    return CreateOutcome(case=record.case, token=record.pending.token if record.pending else None)


def pending_request_process(*, token: str) -> Case | None:
    """Create the case for a batch request. Idempotent: a processed token is left alone."""
    with transaction.atomic():
        pending = (
            PendingRequest.objects.select_for_update(of=("self",))
            .select_related("council", "api_key")
            .filter(token=token)
            .first()
        )
        if pending is None or pending.case_id or pending.error:
            return pending.case if pending else None
        payload = dict(pending.payload)
        stored = payload.pop("photos", [])
        try:
            if pending.api_key is None:
                raise DomainError("The client's api_key was deleted before the request ran")
            with transaction.atomic():
                case = NewRequest(**payload).create(
                    council=pending.council,
                    key=pending.api_key,
                    photos=[_load_pending_photo(s) for s in stored],
                )
        except DomainError as exc:
            pending.error, case = exc.message, None
        pending.case = case
        # Personal data now lives (and is retained) with the case only, or nowhere.
        pending.payload = {}
        pending.save(update_fields=["case", "payload", "error"])
        for item in stored:  # the case holds its own copies now
            transaction.on_commit(lambda path=item["path"]: default_storage.delete(path))
        return case


def pending_request_get(*, token: str, council_ids: frozenset[int] | None) -> PendingRequest:
    qs = PendingRequest.objects.select_related("case").filter(token=token)
    if council_ids is not None:
        qs = qs.filter(council_id__in=council_ids)
    pending = qs.first()
    if pending is None:
        raise NotFound(f"No token {token!r}")
    return pending


def client_update_post(
    *, council: Council, key: ApiKey, case: Case, client_update_id: str, message: str, status: str
) -> int:
    """Record a client's update on a case once; returns our update id (an event id).

    A replay is checked exactly as the first post was, so an update refused as new is refused
    as a replay too, and only then answered with the first post's id."""
    case_check_citizen_update(case=case, message=message)
    # Scoped to the client system: two clients of one council may use the same ids.
    client_update_id = f"{key.id}:{client_update_id}"
    existing = ClientUpdate.objects.filter(
        council=council, client_update_id=client_update_id
    ).first()
    if existing:
        if not case_has_event(case=case, event_id=existing.event_id):
            raise InvalidInput(
                {"update_id": ["was already used for another request"]}, code="update_id_reused"
            )
        return existing.event_id
    try:
        with transaction.atomic():
            _, event_id = case_add_citizen_update(
                case=case, actor=client_principal(key), message=message, requested_status=status
            )
            ClientUpdate.objects.create(
                council=council,
                client_update_id=client_update_id,
                event_id=event_id,
                created_at=clock.now(),
            )
            return event_id
    except IntegrityError:
        return ClientUpdate.objects.get(council=council, client_update_id=client_update_id).event_id
