"""Signed tokens for links in emails: unsubscribe, confirm, and the reply address of a case.

Signed with the deployment's SECRET_KEY, so they cannot be forged or guessed, and need no table."""

from __future__ import annotations

from django.core import signing

_SALTS = {
    "unsubscribe": "townsquare.messaging.unsubscribe",
    "confirm": "townsquare.messaging.confirm",
    "reply": "townsquare.messaging.reply",
}


def _signer(purpose: str) -> signing.Signer:
    # The signature separator is "." so tokens sit in URLs and email local parts unchanged.
    return signing.Signer(salt=_SALTS[purpose], sep=".")


def make(purpose: str, object_id: int) -> str:
    return _signer(purpose).sign(format(object_id, "x"))


def read(purpose: str, token: str) -> int | None:
    """The id a token was made for, or None when it is malformed or was not signed by us."""
    try:
        value = signing.Signer(salt=_SALTS[purpose], sep=".").unsign(token.strip()[:200])
        return int(value, 16)
    except (signing.BadSignature, ValueError):
        return None
