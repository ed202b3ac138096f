"""My requests: a signed-in person's reports, applications (sent and saved) and the reports
they follow or supported, in one place, newest first, paged."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from townsquare.accounts.identity import resident_provider
from townsquare.accounts.selectors import linked_identity_issuers
from townsquare.cases.selectors import citizen_cases
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.portal import drafts, following, oidc_views

PAGE_SIZE = 20
KINDS = {"report", "application", "following"}


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("portal:sign_in"))
    show = request.GET.get("show", "")
    show = show if show in KINDS else ""
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    followed = following.followed_ids(user=request.user)
    listing, total = citizen_cases(
        user_id=request.user.pk,
        case_ids=followed if show in ("", "following") else frozenset(),
        kind=show if show in ("report", "application") else "",
        only_followed=show == "following",
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    rows = []
    for row in listing.rows:
        version = listing.versions[row["service_version_id"]]
        rows.append(
            {
                "reference": row["reference"],
                "kind": row["kind"],
                "is_mine": row["is_mine"],
                "service_name": listing.services[row["service_id"]].display_name,
                "council_name": listing.councils[row["council_id"]].name,
                "status_name": workflow_for_version(version, language=get_language())
                .state(row["state"])
                .name,
                "is_open": row["is_open"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "place": row["address"],
            }
        )
    pages = max(1, -(-total // PAGE_SIZE))
    saved = (
        drafts.drafts_for_user(user=request.user)
        if page == 1 and show in ("", "application")
        else []
    )
    return render(
        request,
        "account/my_requests.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": pages,
            "show": show,
            "saved": [_saved(d) for d in saved],
            "page_links": _page_links(page, pages),
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < pages else None,
            "can_follow": following.available(),
            **_one_login(request),
        },
    )


def _one_login(request: HttpRequest) -> dict:
    """Whether the person's GOV.UK One Login signs in to this account, or may be linked."""
    provider = resident_provider() if oidc_views.one_login_offered() else None
    if provider is None:
        return {}
    return {
        "one_login": provider.label,
        "one_login_linked": provider.issuer in linked_identity_issuers(user_id=request.user.pk),
    }


def _saved(draft) -> dict:
    from townsquare.portal.drafts import flow_for

    service, _flow = flow_for(draft)
    return {
        "key": draft.key,
        "service_name": service.display_name,
        "council_name": draft.council.name,
        "updated_at": draft.updated_at,
        "expires_at": draft.expires_at,
    }


def _page_links(page: int, pages: int) -> list[int | None]:
    """Page numbers to link, with None for a gap: 1 … 4 5 6 … 20."""
    wanted = {1, pages, page - 1, page, page + 1}
    shown: list[int | None] = []
    for number in range(1, pages + 1):
        if number in wanted:
            if shown and shown[-1] is not None and number - shown[-1] > 1:
                shown.append(None)
            shown.append(number)
    return shown
