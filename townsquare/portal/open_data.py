"""Open data downloads: a stable URL per council and format, and one for everything."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from townsquare.core import clock
from townsquare.core.errors import NotFound
from townsquare.core.replicas import reads_may_lag
from townsquare.councils.selectors import council_get, council_list
from townsquare.opendata.exports import COLUMNS, FORMATS, Export, stream


@require_safe
@reads_may_lag()  # a moment old is fine (ADR 231)
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "opendata/index.html",
        {
            "councils": council_list(),
            "columns": COLUMNS,
            "formats": list(FORMATS),
        },
    )


@require_safe
@reads_may_lag()  # a moment old is fine (ADR 231)
def download(request: HttpRequest, scope: str, fmt: str) -> StreamingHttpResponse:
    if fmt not in FORMATS:
        raise Http404("Unknown format")
    if scope == "all":
        council_ids = None
    else:
        try:
            council_ids = frozenset([council_get(slug=scope).id])
        except NotFound:
            raise Http404("Unknown council") from None
    response = StreamingHttpResponse(
        stream(Export(council_ids=council_ids, fmt=fmt)), content_type=FORMATS[fmt]
    )
    stamp = clock.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="townsquare-{scope}-{stamp}.{fmt}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response
