from django.urls import include, path

urlpatterns = [
    path("", include("townsquare.open311.urls")),
    path("", include("townsquare.portal.urls")),
]
