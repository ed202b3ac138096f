"""Saved queue views: state of the staff web alone (staff.models.SavedView), read and written
only here, so the staff views hold no queries (tests/test_architecture.py)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError

from townsquare.staff.models import SavedView

MAX_SAVED_VIEWS = 20


def saved_views_of(*, user_id: int, council_id: int) -> list[SavedView]:
    """A person's saved views in one council, by name."""
    return list(SavedView.objects.filter(user_id=user_id, council_id=council_id))


def saved_view_save(*, user_id: int, council_id: int, name: str, query: dict[str, Any]) -> str:
    """Save (or replace) the view called `name`. Returns "" when saved, else why not: "limit"
    (they have MAX_SAVED_VIEWS already) or "name" (taken meanwhile by a concurrent save)."""
    if SavedView.objects.filter(user_id=user_id, council_id=council_id).count() >= MAX_SAVED_VIEWS:
        return "limit"
    try:
        SavedView.objects.update_or_create(
            user_id=user_id, council_id=council_id, name=name, defaults={"query": query}
        )
    except IntegrityError:
        return "name"
    return ""


def saved_view_delete(*, user_id: int, council_id: int, view_id: int) -> bool:
    """Delete one of the person's saved views; False when they have no such view here."""
    deleted, _ = SavedView.objects.filter(
        id=view_id, user_id=user_id, council_id=council_id
    ).delete()
    return deleted > 0
