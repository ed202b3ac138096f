from django.urls import path

from townsquare.staff import messaging_views as views

app_name = "staff_messaging"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("watch", views.watch, name="watch"),
    path("dead-letters", views.dead_letters, name="dead_letters"),
    path("dead-letters/retry", views.retry_dead_letters, name="retry_dead_letters"),
    path("messages/<int:message_id>", views.message, name="message"),
    path("messages/<int:message_id>/retry", views.retry, name="retry"),
    path("templates", views.templates, name="templates"),
    path("webhooks", views.webhooks, name="webhooks"),
    path("webhooks/<int:endpoint_id>", views.webhook, name="webhook"),
    path("mailbox", views.mailbox, name="mailbox"),
    path("mailbox/<str:mail_id>", views.mailbox_message, name="mailbox_message"),
]
