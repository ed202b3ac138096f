"""schemathesis hooks for the Open311 OpenAPI document, shared by tests/test_open311_openapi.py
and command-line runs against a live server (ADR 72).

Two things the document cannot say for itself:

1. Which ids, keys and codes exist. Random ones only ever meet 403 and 404, so the hooks often
   put real ones (REAL) in instead, and the 200 answers, the big schemas, are checked too.
2. The rules between parameters, which OpenAPI 3.0 has no words for and the document states in
   prose: `lat` and `long` go together and `radius` needs them; a `bbox` has min <= max and
   latitudes within +-90; `start_date` is not after `end_date` and at most 90 days before it;
   a client's `update_id` belongs to one request. `filter_case` keeps schema-valid ("positive")
   cases within those rules, so every check, `positive_data_acceptance` included, runs as it
   is: a 400 for a case the document allows is still a failure.

From the command line, against a server with data (see docs/api/open311.md, "Fuzzing"):

    OPEN311_FUZZ_DATA='{"api_key": ["ts_..."], ...}' SCHEMATHESIS_HOOKS=tests.open311_fuzzing \\
        st run http://127.0.0.1:8000/open311/openapi.json --checks all
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import uuid
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import strategies as st

# Real values by parameter name, plus `create`: a complete create form for one service of the
# key's council, with `lat` and `long` (as numbers) inside it.
REAL: dict[str, Any] = {}
# Update ids unique to this run, also against a server that keeps the data of earlier runs.
_UPDATE_IDS = (f"fuzz-{uuid.uuid4().hex[:8]}-{n}" for n in itertools.count(1))
_WINDOW = dt.timedelta(days=90)


def _real_or(values: Any, real: dict[str, Any]) -> st.SearchStrategy:
    """`values` with the real ones merged in, or as generated. The merged variant comes first:
    Hypothesis starts from the simplest choice, so most cases reach past the 403s and 404s."""
    if not real or not isinstance(values, dict):
        return st.just(values)
    return st.booleans().map(lambda generated: values if generated else {**values, **real})


def _sample(names: list[str]) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {name: st.sampled_from(REAL[name]) for name in names if REAL.get(name)}
    )


def flatmap_path_parameters(context, path_parameters):
    return _sample(list(path_parameters or {})).flatmap(
        lambda real: _real_or(path_parameters, real)
    )


def flatmap_query(context, query):
    if not query or "jurisdiction_id" not in query:
        return st.just(query)
    return _sample(["jurisdiction_id"]).flatmap(lambda real: _real_or(query, real))


# Fields whose schema is "any text with a non-space character": one such value can stand for
# another without making a request valid or invalid.
_ANY_TEXT = re.compile(r"[^ \t\n\r\f\v]")
_SWAPPABLE = {
    "/requests.": ("api_key", "service_code"),
    "/servicerequestupdates.": ("api_key", "service_request_id"),
}


def flatmap_case(context, case):
    """A POST with the real key (and request, or service and point), often. A valid case gets
    the real values merged over what was generated. A schema-violating case only has real
    values swapped in for generated ones of the same kind (present, text with a non-space
    character), so whatever it breaks stays broken and it remains a test of refusal."""
    path = case.operation.path
    if (
        not REAL
        or case.method != "POST"
        or not isinstance(case.body, dict)
        or case.media_type != "application/x-www-form-urlencoded"
    ):
        # Multipart cases are left with what was generated (so a 403): schemathesis can mark
        # one negative after generation when a binary part does not survive serialization, and
        # a real key would then make an accepted "negative" out of a valid request.
        return st.just(case)
    if "/requests." in path:
        real = st.just(dict(REAL["create"]))
    else:
        fixed = {
            "api_key": REAL["api_key"][0],
            "updated_datetime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        real = _sample(["service_request_id"]).map(lambda sampled: {**fixed, **sampled})
    positive = case.meta is not None and case.meta.generation.mode.is_positive

    def merge(values: dict[str, Any]) -> Any:
        if positive:
            merged = {**case.body, **values}
            if "/servicerequestupdates." in path:
                # An id reused for another request is refused (rightly): a post gets its own.
                merged["update_id"] = next(_UPDATE_IDS)
        else:
            swappable = next(names for part, names in _SWAPPABLE.items() if part in path)
            merged = dict(case.body)
            for name in swappable:
                generated = merged.get(name)
                if isinstance(generated, str) and _ANY_TEXT.search(generated):
                    merged[name] = values[name]
        case.body = merged
        return case

    # Merged first: Hypothesis starts from the simplest choice.
    return st.tuples(st.booleans(), real).map(
        lambda choice: case if choice[0] else merge(choice[1])
    )


# ---- the rules between parameters -------------------------------------------------------------


def _moment(raw: Any) -> dt.datetime | None:
    """A DateTimeInput the document allows, as the server reads it; None when absent."""
    if not isinstance(raw, str) or not raw:
        return None
    text = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    if "." in text:
        head, rest = text.split(".", 1)
        digits = re.match(r"\d+", rest).group()
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    return dt.datetime.fromisoformat(text)


def _given(query: dict[str, Any], name: str) -> bool:
    value = query.get(name)
    return value not in (None, "", [])


def _window_ok(query: dict[str, Any]) -> bool:
    start, end = _moment(query.get("start_date")), _moment(query.get("end_date"))
    return start is None or end is None or start <= end <= start + _WINDOW


def _area_ok(query: dict[str, Any]) -> bool:
    if _given(query, "lat") != _given(query, "long"):
        return False
    if _given(query, "radius") and not _given(query, "lat"):
        return False
    box = query.get("bbox")
    if isinstance(box, str):  # as it goes on the wire, at times
        box = box.split(",") if box else []
    if isinstance(box, list) and len(box) == 4:
        min_lng, min_lat, max_lng, max_lat = (float(v) for v in box)
        return min_lng <= max_lng and -90 <= min_lat <= max_lat <= 90
    return True


def _search_ok(query: dict[str, Any]) -> bool:
    if _given(query, "service_request_id"):  # overrides the window
        return _area_ok(query)
    return _window_ok(query) and _area_ok(query)


RULES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "/open311/v2/requests.json": _search_ok,
    "/open311/v2/requests.xml": _search_ok,
    "/open311/v2/servicerequestupdates.json": _window_ok,
    "/open311/v2/servicerequestupdates.xml": _window_ok,
}


def filter_case(context, case):
    """Keep schema-valid GETs within the rules between parameters (negative cases all stay)."""
    rule = RULES.get(case.operation.path)
    meta = case.meta
    if rule is None or case.method != "GET" or meta is None:
        return True
    if not meta.generation.mode.is_positive:
        return True
    try:
        return rule(case.query or {})
    except (TypeError, ValueError):
        return True  # not the shape the rule reads: let the checks judge it


HOOKS = (flatmap_path_parameters, flatmap_query, flatmap_case, filter_case)


def install(hook: Callable = schemathesis.hook) -> None:
    """Register the hooks with `hook`: a schema's own (`SCHEMA.hook`) or, by default, every
    schema's (what the command line's SCHEMATHESIS_HOOKS does by importing this module)."""
    for function in HOOKS:
        hook(function)


if os.environ.get("OPEN311_FUZZ_DATA"):
    REAL.update(json.loads(os.environ["OPEN311_FUZZ_DATA"]))
    install()
