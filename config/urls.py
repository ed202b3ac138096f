from django.urls import include, path

urlpatterns = [
    path("", include("townsquare.portal.urls")),
]
