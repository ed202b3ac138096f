"""Following a public request: the seam to the messaging app, which owns subscriptions.

messaging.services.case_follow / case_unfollow and messaging.selectors.followed_case_ids are
the contract between the two apps. Where messaging is not installed, following is not offered:
the track page hides its button and My requests lists only the person's own requests.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import get_language

from townsquare.core.ratelimit import limit_email


class NotQueued(Exception):
    """The confirmation email could not be queued (messaging's MessageNotQueued): nothing was
    kept, and the person may try again."""


def available() -> bool:
    return apps.is_installed("townsquare.messaging")


def follow(*, case, user=None, email: str | None = None) -> bool:
    """Follow `case`; True when following now, False when an emailed link must confirm it.
    NotQueued when that link cannot be sent."""
    from townsquare.messaging.services import MessageNotQueued, case_follow

    if user is None and email:
        limit_email(email)  # a confirmation link goes to the address typed (ADR 133)
    try:
        subscription = case_follow(
            case=case, user=user, email=email, language=(get_language() or "en")[:2]
        )
    except MessageNotQueued as exc:
        raise NotQueued from exc
    return subscription.confirmed_at is not None


def unfollow(*, case, user=None, email: str | None = None) -> None:
    from townsquare.messaging.services import case_unfollow

    case_unfollow(case=case, user=user, email=email)


def followed_ids(*, user) -> frozenset[int]:
    if not available():
        return frozenset()
    from townsquare.messaging.selectors import followed_case_ids

    return frozenset(followed_case_ids(user=user))
