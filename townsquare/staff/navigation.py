"""The staff navigation: one entry per area of the staff web.

Other apps' staff pages add their entry here, one line each (keep the list sorted by `order`):

    NavEntry(label=_("Messages"), url_name="staff:messaging_outbox", order=40,
             allowed=policies.can_handle_case),

`allowed(principal, council_id)` is an accounts policy: an entry shows only to people it allows
in the current council. `section` is the first part of the URL path under /staff/ that marks the
entry as the current page (defaults to the start of its URL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.payments import policies as payment_policies


@dataclass(frozen=True)
class NavEntry:
    label: Any
    url_name: str
    order: int = 100
    allowed: Callable[[Principal, int], bool] = policies.is_staff_of
    section: str = ""


NAV: list[NavEntry] = [
    NavEntry(label=_("Home"), url_name="staff:home", order=0, section="/staff/"),
    NavEntry(label=_("Cases"), url_name="staff:queue", order=10),
    NavEntry(
        label=_("Services"),
        url_name="staff:builder",
        order=60,
        allowed=policies.can_manage_services,
    ),
    NavEntry(
        label=_("Council settings"),
        url_name="staff:admin",
        order=70,
        allowed=policies.can_administer_council,
    ),
    NavEntry(
        label=_("Audit"), url_name="staff:audit", order=80, allowed=policies.can_administer_council
    ),
    NavEntry(
        label=_("Messages"),
        url_name="staff_messaging:outbox",
        order=40,
        allowed=policies.can_handle_case,
    ),
    NavEntry(label=_("Dashboard"), url_name="staff:dashboard", order=50),
    NavEntry(
        label=_("Payments"),
        url_name="staff:payments_reconciliation",
        order=55,
        allowed=payment_policies.can_reconcile,
    ),
    NavEntry(label=_("Live queues"), url_name="staff:appointments", order=57),
    NavEntry(label=_("Neighbourhoods"), url_name="staff:neighbourhoods", order=45),
    NavEntry(label=_("Consultations"), url_name="staff:consultations", order=58),
    NavEntry(label=_("Municipedia"), url_name="wiki:index", order=56),
]


def nav_for(*, principal: Principal, council_id: int, path: str) -> list[dict[str, Any]]:
    """The entries `principal` may use in the council, each with its URL and whether it is the
    page being shown (the longest matching section wins)."""
    shown = []
    for entry in sorted(NAV, key=lambda e: e.order):
        if not entry.allowed(principal, council_id):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue  # an entry whose app is not installed here
        shown.append(
            {"label": entry.label, "url": url, "section": entry.section or url, "current": False}
        )
    matches = [e for e in shown if path.startswith(e["section"])]
    if matches:
        max(matches, key=lambda e: len(e["section"]))["current"] = True
    return shown
