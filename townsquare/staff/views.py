from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from townsquare.staff.access import staff_render, staff_view


@require_safe
@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    notice = request.session.pop("staff.recovery_notice", None)
    return staff_render(request, "staff/home.html", {"recovery_notice": notice})
