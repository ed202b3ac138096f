"""Open311 output in JSON and XML, following the decisions in docs/api/open311.md:
JSON with no root wrapper and real booleans, XML with a fixed root and one element per item,
`true`/`false` text, no namespace; both UTF-8. Serializers leave unknown values out; XML also
skips any `None` it is given."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse

from townsquare.core.text import clean_text

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# The element each list's items get in XML, by the list's own element name.
XML_ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "notes": "note",
    "groups": "group",
    "media_urls": "media_url",
}


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # XML 1.0 cannot carry some characters even escaped (U+FFFF, most controls): stored text
    # is cleaned on input, and again here for rows older than that rule (ADR 70). A raw \r
    # would reach the reader as \n (XML normalises line ends); a reference survives.
    return escape(clean_text(str(value)), {"\r": "&#13;"})


def _xml_element(name: str, value: Any, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _xml_element(key, item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        item_name = XML_ITEM_NAMES.get(name, "item")
        out.append(f"<{name}>")
        for item in value:
            _xml_element(item_name, item, out)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_xml_text(value)}</{name}>")


def to_xml(root: str, data: Any) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _xml_element(root, data, out)
    return "".join(out)


def render(data: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """`root` names the XML root (the list element for lists)."""
    if fmt == "xml":
        body = to_xml(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


def error_response(status: int, description: str, fmt: str = "json") -> HttpResponse:
    return render([{"code": status, "description": description}], fmt, root="errors", status=status)
