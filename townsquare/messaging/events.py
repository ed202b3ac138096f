"""Messaging's own changes, for the audit trail (staff actions on endpoints and dead letters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from townsquare.core.eventlog import DomainEvent
from townsquare.core.models import Visibility


@dataclass(frozen=True)
class WebhookEndpointChanged(DomainEvent):
    kind: ClassVar[str] = "messaging.webhook_endpoint"
    visibility: ClassVar[str] = Visibility.INTERNAL
    endpoint_id: int
    action: str  # added, secret_rotated, disabled, enabled
    url: str
    event_types: list[str]


@dataclass(frozen=True)
class MessageRetried(DomainEvent):
    kind: ClassVar[str] = "messaging.message_retried"
    visibility: ClassVar[str] = Visibility.INTERNAL
    message_id: int
    channel: str


@dataclass(frozen=True)
class DeadLettersRetried(DomainEvent):
    """Staff sent a council's dead letters again in one go (each also has MessageRetried);
    `link_not_kept`: dead letters left alone because their link is no longer kept."""

    kind: ClassVar[str] = "messaging.dead_letters_retried"
    visibility: ClassVar[str] = Visibility.INTERNAL
    retried: int
    link_not_kept: int


@dataclass(frozen=True)
class MessageTemplateChanged(DomainEvent):
    kind: ClassVar[str] = "messaging.template_changed"
    visibility: ClassVar[str] = Visibility.INTERNAL
    key: str
    service_code: str
    language: str
    action: str  # saved, reset
