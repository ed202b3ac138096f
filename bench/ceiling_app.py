"""The framework's ceiling on this machine: bare Django 5.2 + django-ninja behind granian (ASGI,
as `townsquare serve`), one GET that returns 20 items of JSON and touches no database.

    .venv/bin/python -m granian --interface asgi --workers 2 --port 8871 \
        bench.ceiling_app:application

bench/open311_million.py starts it beside Townsquare and measures both in the same run, so a
figure can be read as a share of what the framework can do on the machine at that moment.
"""

from __future__ import annotations

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="ceiling-bench-only",  # noqa: S106 - a benchmark app, never deployed
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()

from django.core.asgi import get_asgi_application
from django.urls import path
from ninja import NinjaAPI

api = NinjaAPI(docs_url=None, openapi_url=None)

ITEMS = [
    {
        "service_code": f"service-{i}",
        "service_name": f"Service number {i}",
        "description": "A service of a council, as an Open311 list names it.",
        "metadata": bool(i % 2),
        "type": "realtime",
        "keywords": "",
        "group": "Streets",
    }
    for i in range(20)
]


@api.get("/items")
def items(request):
    return ITEMS


urlpatterns = [path("", api.urls)]
application = get_asgi_application()
