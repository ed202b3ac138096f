from django.urls import URLPattern, path

from townsquare.api import callbacks, csp_reports
from townsquare.api.http import api_view, problem
from townsquare.api.v1 import api


def _wrapped(patterns: list) -> list:
    """The REST API's routes, each behind api_view (problem details, ETags, the call log)."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = api_view(pattern.callback)
    return patterns


@api_view
def unknown(request, rest: str = ""):
    """Any other address under /api/v1/: a 404 as problem details, for every method."""
    return problem(404, "not_found", "There is no such address in this API.")


# Mounted at /api/v1/ by config/urls.py under ninja's own namespace ("api-v1"), which its
# reference page reverses to find the document.
v1_patterns, v1_app_name, v1_namespace = api.urls
v1_urlpatterns = [*_wrapped(list(v1_patterns)), path("<path:rest>", unknown)]

app_name = "api"
urlpatterns = [
    path("notify/receipts", callbacks.notify_receipt, name="notify_receipt"),
    path("notify/inbound-sms", callbacks.notify_inbound_sms, name="notify_inbound_sms"),
    path("inbound/email", callbacks.inbound_email, name="inbound_email"),
    # Browsers' reports of what the Content-Security-Policy blocked (CSP_REPORT_URL, ADR 146).
    path("csp-reports", csp_reports.csp_report, name="csp_reports"),
]
