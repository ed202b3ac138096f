from django.urls import include, path

from townsquare.api.urls import v1_app_name, v1_namespace, v1_urlpatterns

urlpatterns = [
    path("", include("townsquare.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("townsquare.portal.urls")),
    path("api/v1/", include((v1_urlpatterns, v1_app_name), namespace=v1_namespace)),
    path("api/", include("townsquare.api.urls")),
    path("staff/messaging/", include("townsquare.staff.messaging_urls")),
    path("staff/", include("townsquare.staff.urls")),
    path("wiki/", include("townsquare.staff.wiki_urls")),
    path("live/", include("townsquare.live.urls")),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
