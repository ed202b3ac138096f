from django.urls import path, re_path

from townsquare.open311 import views

app_name = "open311"
FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    path("open311/", views.docs, name="docs"),
    re_path(r"^open311/openapi\.(?P<fmt>json|yaml)$", views.openapi, name="openapi"),
    re_path(r"^open311/discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^open311/v2/services" + FMT, views.services, name="services"),
    re_path(
        r"^open311/v2/services/(?P<code>[^/]{1,200}?)" + FMT,
        views.service_definition,
        name="service",
    ),
    re_path(r"^open311/v2/requests" + FMT, views.requests, name="requests"),
    re_path(
        r"^open311/v2/requests/(?P<request_id>[^/]{1,200}?)" + FMT,
        views.request_one,
        name="request",
    ),
    re_path(r"^open311/v2/tokens/(?P<token>[^/]{1,200}?)" + FMT, views.token, name="token"),
    re_path(r"^open311/v2/servicerequestupdates" + FMT, views.updates, name="updates"),
    path("open311/v2/media/<int:attachment_id>", views.media, name="media"),
    # Anything else under the endpoint is an Open311 404, never an HTML page. Any character,
    # for a path may end with a newline (%0A), which `.` does not match.
    re_path(r"^open311/[\s\S]+$", views.unknown_path, name="unknown"),
]
