from django.urls import path

from townsquare.portal import open_data, track, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("open-data/", open_data.index, name="open_data"),
    path("open-data/<slug:scope>.<str:fmt>", open_data.download, name="open_data_download"),
    path("track", track.find, name="track"),
    path("track/<str:reference>", track.case, name="track_case"),
]
