from django.urls import path

from townsquare.api import callbacks

app_name = "api"
urlpatterns = [
    path("notify/receipts", callbacks.notify_receipt, name="notify_receipt"),
    path("notify/inbound-sms", callbacks.notify_inbound_sms, name="notify_inbound_sms"),
    path("inbound/email", callbacks.inbound_email, name="inbound_email"),
]
