"""Background entry points of the citizen web; safe to run twice."""

from __future__ import annotations

from django_tasks import task

from townsquare.portal.drafts import drafts_purge
from townsquare.portal.signin import sign_in_links_purge


def citizen_state_purge() -> dict[str, int]:
    """Delete expired application drafts (with their files) and old sign-in links (the
    worker's clock runs this every hour)."""
    return {"drafts": drafts_purge(), "sign_in_links": sign_in_links_purge()}


@task()
def purge_citizen_state() -> dict[str, int]:
    return citizen_state_purge()
