from django.urls import path

from townsquare.portal import track, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("track", track.find, name="track"),
    path("track/<str:reference>", track.case, name="track_case"),
]
