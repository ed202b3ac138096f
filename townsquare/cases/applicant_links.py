"""The key in the track link emailed to an applicant (ADR 100): holding it is proof of being the
applicant, as the browser that sent the application is, so the link opens the application from
any device without signing in.

Signed with the deployment's SECRET_KEY (no table, nothing to guess): the key names one case and
works only on that case's track page. It does not expire on its own, since an application can
take months; it stops working when retention removes who made the case
(cases.policies.is_applicant), and all of them stop when SECRET_KEY is rotated.
"""

from __future__ import annotations

from django.core import signing

_SALT = "townsquare.cases.applicant-link"


def _signer() -> signing.Signer:
    # "." keeps the key unchanged in a URL's query string.
    return signing.Signer(salt=_SALT, sep=".")


def applicant_link_key(*, case_id: int) -> str:
    return _signer().sign(format(case_id, "x"))


def case_id_for_applicant_link_key(key: str) -> int | None:
    """The case a key was made for, or None when it is malformed or was not signed by us."""
    try:
        return int(_signer().unsign(key.strip()[:100]), 16)
    except (signing.BadSignature, ValueError):
        return None
