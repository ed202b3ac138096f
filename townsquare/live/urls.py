from django.urls import path

from townsquare.live import views

app_name = "live"
urlpatterns = [
    path("cases/<str:reference>", views.case_public, name="case"),
    path("queues/<int:session_id>", views.queue_board, name="queue"),
    path("staff/cases/<str:reference>", views.case_staff, name="staff_case"),
    path("staff/councils/<slug:slug>/<str:topic>", views.council_staff, name="staff_council"),
]
