from django.urls import path

from townsquare.portal import open_data, report, track, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("open-data/", open_data.index, name="open_data"),
    path("open-data/<slug:scope>.<str:fmt>", open_data.download, name="open_data_download"),
    path("track", track.find, name="track"),
    path("track/<str:reference>", track.case, name="track_case"),
    path("report/", report.councils, name="report"),
    path("report/done/<str:reference>", report.done, name="report_done"),
    path("report/<slug:slug>/", report.services, name="report_services"),
    path("report/<slug:slug>/<slug:service_code>/", report.form, name="report_form"),
]
