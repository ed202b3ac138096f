"""Secrets kept in the database encrypted (a council's client secret or private key for its
identity provider): a copy of the database alone does not give them away.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) with a key derived from the
deployment's SECRET_KEY by HKDF, so there is no second key to manage. SECRET_KEY_FALLBACKS
still open what older keys sealed, so SECRET_KEY can be rotated the way Django rotates it;
re-saving the setting seals it again with the new key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"townsquare.core.sealed v1"


class Unsealable(Exception):
    """Sealed with a key this deployment no longer has (SECRET_KEY changed without a fallback),
    or not sealed text at all."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> MultiFernet:
    fallbacks = list(getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
    return MultiFernet([_fernet(k) for k in [settings.SECRET_KEY, *fallbacks]])


def seal(text: str) -> str:
    """`text` encrypted and authenticated; "" stays "" (nothing to hide)."""
    if not text:
        return ""
    return _keys().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise Unsealable("A stored secret cannot be opened with this deployment's keys") from exc
