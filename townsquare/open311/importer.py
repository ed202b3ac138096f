"""Open311 GeoReport v2 service lists turned into Townsquare service templates.

`read_service_list(path)` reads a service list as an Open311 server publishes it
(`services.xml` or `services.json`; the format is told from the content, not the name) and
returns a `ServiceList` with one `Entry` per service, in file order. Each entry either holds a
template document that passes `townsquare.catalogue.schema.template_problems`, or says why it
was skipped. Real lists are messy, and nothing wrong with one entry stops the others:

- a `service_code` that does not fit `PUBLIC_CODE_PATTERN` skips that entry;
- a code seen before skips the later entry (the first one keeps the code);
- the text "null" counts as empty, HTML entities are decoded, and line endings and
  surrounding whitespace are normalised; other characters are kept exactly as given;
- a key given twice in one entry keeps its first value, with a note (but a `service_code`
  given twice with different values skips the entry: which service it is cannot be told).

A file that cannot be read as a service list at all (truncated, not XML or JSON, a list of
service requests or an error response instead) raises `ServiceListError` naming the file and
what is wrong, before any entry is converted, so callers never import part of a damaged file.

Service definitions (the extra questions of services with `metadata` true) are read when they
sit beside the list as the API serves them: `services/<code>.xml` next to `services.xml`, in
the list's format. Without one, a service is imported with no questions and a note.

`parse_service_list` does the same from bytes. No database, no HTTP.
"""

from __future__ import annotations

import copy
import html
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.entities import html5
from pathlib import Path
from typing import Any
from xml.parsers import expat

from townsquare.catalogue.schema import (
    OPEN311_DATATYPES,
    PUBLIC_CODE_PATTERN,
    SCHEMA,
    template_problems,
)
from townsquare.core.numbers import whole_number
from townsquare.core.text import clean_text

SERVICE_TYPES = ("realtime", "batch", "blackbox")
DEFAULT_GROUP = "General"
DEFAULT_TYPE = "realtime"

# Every imported service gets the same plain workflow: the list says nothing about how a council
# handles its cases, and a council edits its own copy afterwards (each edit a new version).
IMPORTED_WORKFLOW: dict[str, Any] = {
    "initial": "submitted",
    "states": [
        {
            "code": "submitted",
            "name": "Submitted",
            "public": True,
            "open311": "open",
            "fms": "open",
            "message": "Thanks for your report. We have received it and will look at it soon.",
        },
        {
            "code": "in_progress",
            "name": "In progress",
            "public": True,
            "open311": "open",
            "fms": "in_progress",
            "message": "We are working on this.",
        },
        {
            "code": "fixed",
            "name": "Fixed",
            "public": True,
            "open311": "closed",
            "fms": "fixed",
            "message": "This has been fixed. Thank you for reporting it.",
        },
        {
            "code": "closed",
            "name": "Closed",
            "public": True,
            "open311": "closed",
            "fms": "closed",
            "message": "We have closed this report.",
        },
        {
            "code": "duplicate",
            "name": "Duplicate",
            "public": True,
            "open311": "closed",
            "fms": "duplicate",
            "message": "This problem has already been reported, so we are closing this report "
            "and dealing with it under the earlier one.",
        },
    ],
    "transitions": [
        {"name": "Start work", "from": "submitted", "to": "in_progress", "roles": ["agent"]},
        {
            "name": "Mark fixed",
            "from": ["submitted", "in_progress"],
            "to": "fixed",
            "roles": ["agent"],
        },
        {
            "name": "Close",
            "from": ["submitted", "in_progress"],
            "to": "closed",
            "roles": ["agent", "system"],
        },
        {
            "name": "Mark as duplicate",
            "from": ["submitted", "in_progress"],
            "to": "duplicate",
            "roles": ["agent", "system"],
        },
        {
            "name": "Reopen",
            "from": ["fixed", "closed", "duplicate"],
            "to": "in_progress",
            "roles": ["supervisor"],
        },
    ],
}
IMPORTED_SLA = {"first_response_hours": 48, "close_hours": 240}
IMPORTED_TEAM = "general"
IMPORTED_RETENTION_DAYS = 730
# mySociety's extension: a keyword `private` marks a service whose reports are never public.
# Publishing them because the import ignored the flag would expose residents' reports.
PRIVATE_KEYWORD = "private"

# Lengths the template schema allows, read from it so the two cannot drift apart.
_MAX_NAME = SCHEMA["properties"]["name"]["maxLength"]
_MAX_GROUP = SCHEMA["properties"]["group"]["maxLength"]
_MAX_DESCRIPTION = SCHEMA["properties"]["description"]["maxLength"]
_MAX_KEYWORD = SCHEMA["properties"]["keywords"]["items"]["maxLength"]
_FIELD_SCHEMA = SCHEMA["properties"]["fields"]["items"]["properties"]
_MAX_LABEL = _FIELD_SCHEMA["label"]["maxLength"]
_MAX_HELP = _FIELD_SCHEMA["help"]["maxLength"]
_LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
_AUTOMATED = ("server_set", "hidden_field")

_CODE = re.compile(PUBLIC_CODE_PATTERN)
_CODE_RULE = "letters, digits, _ and - only, starting with a letter or digit, at most 64"


class ServiceListError(Exception):
    """A file that is not a usable service list at all; nothing in it may be imported."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


@dataclass
class Entry:
    """One service of the list. Exactly one of `document` and `skipped` is set.

    `skipped` is a short reason for summaries ("duplicate service_code"); `problems` says in
    full why the entry was skipped; `notes` say what an imported entry lost or had changed.
    `code` and `name` are the cleaned values, when the entry got that far.
    """

    position: int
    code: str | None = None
    name: str | None = None
    document: dict[str, Any] | None = None
    skipped: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ServiceList:
    """A parsed service list: its `format` ("xml" or "json") and its entries in file order."""

    source: str
    format: str
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)

    @property
    def importable(self) -> list[Entry]:
        return [e for e in self.entries if e.document is not None]

    @property
    def skipped(self) -> list[Entry]:
        return [e for e in self.entries if e.document is None]


# Returns (where it was found, its bytes) for a service code, or None when there is none.
DefinitionLoader = Callable[[str], "tuple[str, bytes] | None"]


def read_service_list(path: Path) -> ServiceList:
    """Read and convert the service list at `path`; raises ServiceListError if unusable.

    Service definitions are looked for in a folder named after the file, beside it, holding
    `<code><same suffix>` (`services/001.xml` for `services.xml`).
    """
    data = _read(path)
    folder = path.parent / path.stem
    loader: DefinitionLoader | None = None
    if path.suffix and folder.is_dir():

        def loader(code: str) -> tuple[str, bytes] | None:
            # Only codes that fit the public code pattern get here: no "/" or "..".
            candidate = folder / f"{code}{path.suffix}"
            return (str(candidate), _read(candidate)) if candidate.is_file() else None

    services = parse_service_list(data, source=str(path), definitions=loader)
    named = path.suffix.lower().lstrip(".")
    if named in ("xml", "json") and named != services.format:
        services.notes.append(
            f"the file is named .{named} but holds "
            f"{services.format.upper()}; read it as "
            f"{services.format.upper()}"
        )
    return services


def parse_service_list(
    data: bytes, *, source: str, definitions: DefinitionLoader | None = None
) -> ServiceList:
    """Convert a service list given as bytes; `source` names it in messages.

    Raises ServiceListError when the whole document is unusable; problems with single
    services are reported on their entries instead.
    """
    notes: list[str] = []
    fmt = _sniff(data, source)
    if fmt == "xml":
        root = _xml_root(data, source, notes, expected="services")
        records: list[Any] = []
        ignored: Counter[str] = Counter()
        for child in root:
            if _local(child.tag) == "service":
                records.append(_xml_record(child))
            else:
                ignored[_local(child.tag)] += 1
        if ignored:
            notes.append(
                "ignored elements that are not services: "
                + ", ".join(f"<{tag}> x{n}" for tag, n in sorted(ignored.items()))
            )
    else:
        records = _json_service_records(_json_value(data, source), source, notes)
    claimed: dict[str, tuple[Entry, _Record]] = {}
    entries = [
        _service(position, record, claimed, definitions)
        for position, record in enumerate(records, start=1)
    ]
    return ServiceList(source=source, format=fmt, entries=entries, notes=notes)


# --- One service --------------------------------------------------------------------------


class _Record(dict):
    """A JSON object, or the child elements of an XML element, keeping each key's FIRST value.

    Real servers repeat keys (San Francisco's 2010 API sent `updated_datetime` twice, "null"
    then "true"); `repeated` holds every value of each key that appeared more than once.
    """

    def __init__(self, pairs: Iterable[tuple[str, Any]]) -> None:
        super().__init__()
        self.repeated: dict[str, list[Any]] = {}
        for key, value in pairs:
            if key in self:
                self.repeated.setdefault(key, [self[key]]).append(value)
            else:
                self[key] = value


class _Reader:
    """Reads one record's values the way templates need them, collecting problems and notes.

    `where` prefixes every message, to say which part of the entry it is about.
    """

    def __init__(self, record: _Record, where: str = "") -> None:
        self.record = record
        self.where = where
        self.problems: list[str] = []
        self.notes: list[str] = []

    def text(self, key: str, *, one_line: bool = True) -> str | None:
        """The key's text, cleaned; None when absent, empty, "null" or not text."""
        return self._clean(key, self.record.get(key), one_line=one_line)

    def texts(self, key: str, *, split: str | None = None) -> list[str]:
        """A list of one-line texts from a list, or from one text (split on `split`)."""
        value = self.record.get(key)
        if isinstance(value, str) and split:
            value = value.split(split)
        items = value if isinstance(value, list) else [value]
        found = [self._clean(key, item, one_line=True) for item in items]
        return list(dict.fromkeys(t for t in found if t))

    def flag(self, key: str, *, default: bool) -> bool:
        value = self.record.get(key)
        if isinstance(value, str):
            value = _clean(value, one_line=True).lower()
        if value in (None, "", "null"):
            return default
        if value in (True, 1, "true", "1"):
            return True
        if value in (False, 0, "false", "0"):
            return False
        self.notes.append(
            f"{self.where}{key} is {_describe(value)}, not true or false; "
            f"read as {str(default).lower()}"
        )
        return default

    def _clean(self, key: str, value: Any, *, one_line: bool) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problems.append(f"{self.where}{key} should be text, not {_describe(value)}")
            return None
        cleaned = _clean(str(value), one_line=one_line)
        if cleaned.lower() == "null":
            self.notes.append(f"{self.where}{key} is the text 'null'; read as empty")
            return None
        return cleaned or None

    def repeated_keys(self, *, identity: str) -> None:
        """Report keys given more than once: a problem for `identity`, else a note."""
        for key, values in self.record.repeated.items():
            distinct = list(dict.fromkeys(map(repr, values)))
            if len(distinct) == 1:
                continue  # the same value twice says nothing new
            shown = ", ".join(_short(v) for v in values)
            if key == identity:
                self.problems.append(
                    f"{self.where}{key} is given {len(values)} times with "
                    f"different values ({shown}); which is meant is unclear"
                )
            else:
                self.notes.append(
                    f"{self.where}{key} is given {len(values)} times ({shown}); kept the first"
                )


def _service(
    position: int,
    record: Any,
    claimed: dict[str, tuple[Entry, _Record]],
    definitions: DefinitionLoader | None,
) -> Entry:
    """Convert one entry of the list; `claimed` maps codes (any case) to the first entry."""
    entry = Entry(position)
    if not isinstance(record, _Record):
        return _skip(entry, "not a service", f"expected a service, found {_describe(record)}")
    read = _Reader(record)
    read.repeated_keys(identity="service_code")
    if read.problems:
        return _skip(entry, "ambiguous service_code", *read.problems)
    entry.code = read.text("service_code")
    entry.name = read.text("service_name")
    if entry.code is None:
        if read.problems:
            return _skip(entry, "unusable service_code", *read.problems)
        given = record.get("service_code")
        return _skip(
            entry,
            "no service_code",
            "its service_code is the text 'null'"
            if isinstance(given, str) and given.strip().lower() == "null"
            else "it has no service_code",
        )
    if isinstance(record.get("service_code"), int):
        read.notes.append(
            f"service_code is the number {record['service_code']}; read as the "
            f"text {entry.code!r} (any leading zeros were lost before this file)"
        )
    if not _CODE.match(entry.code):
        return _skip(
            entry,
            "unusable service_code",
            f"service_code {_short(entry.code)} cannot be a Townsquare code "
            f"({_CODE_RULE} characters)",
        )
    # Codes differing only in case would clash as <code>.yaml files on many file systems and
    # confuse people reading lists; the first entry keeps the code.
    first = claimed.get(entry.code.casefold())
    if first is not None:
        first_entry, first_record = first
        if dict(record) == dict(first_record):
            how = f"repeats entry {first_entry.position} exactly"
        elif first_entry.code == entry.code:
            how = f"has the same service_code as entry {first_entry.position}"
        else:
            how = (
                f"has the same service_code as entry {first_entry.position} "
                f"({first_entry.code!r}) apart from letter case"
            )
        return _skip(entry, "duplicate service_code", f"{how}; kept the first")
    claimed[entry.code.casefold()] = (entry, record)
    if read.problems:
        return _skip(entry, "unusable value", *read.problems)
    if entry.name is None:
        return _skip(entry, "no service_name", "it has no service_name")
    return _convert(entry, read, definitions)


def _convert(entry: Entry, read: _Reader, definitions: DefinitionLoader | None) -> Entry:
    """Build the template of an entry whose code and name are known to be usable."""
    description = read.text("description", one_line=False)
    if description is None:
        read.notes.append("no description; used the name")
        description = entry.name
    groups = read.texts("groups")
    group = read.text("group") or (groups[0] if groups else None)
    if group is None:
        read.notes.append(f"no group; listed under {DEFAULT_GROUP!r}")
        group = DEFAULT_GROUP
    groups = list(dict.fromkeys([group, *groups]))
    keywords, private = _keywords(read)
    service_type = (read.text("type") or DEFAULT_TYPE).lower()
    if service_type not in SERVICE_TYPES:
        read.notes.append(
            f"type {_short(service_type)} is not one of "
            f"{', '.join(SERVICE_TYPES)}; imported as {DEFAULT_TYPE}"
        )
        service_type = DEFAULT_TYPE
    metadata = read.flag("metadata", default=False)
    for what, value, limit in (
        ("service_name", entry.name, _MAX_NAME),
        ("group", group, _MAX_GROUP),
        ("description", description, _MAX_DESCRIPTION),
    ):
        if len(value) > limit:
            read.problems.append(_too_long(what, value, limit))
    if read.problems:
        return _skip(entry, "unusable value", *read.problems)

    fields: list[dict[str, Any]] = []
    try:
        found = definitions(entry.code) if definitions else None
    except ServiceListError as exc:  # e.g. a definition file that cannot be read
        return _skip(entry, "unusable service definition", f"service definition {exc}")
    if found is not None:
        where, data = found
        fields, problems, notes = _definition_fields(where, data, code=entry.code)
        read.notes.extend(f"service definition: {note}" for note in notes)
        if problems:
            return _skip(
                entry,
                "unusable service definition",
                f"service definition {where}: {'; '.join(problems)}",
            )
    elif metadata:
        read.notes.append(
            "metadata is true (the service asks extra questions) but no service "
            "definition was found; imported without questions"
        )

    document: dict[str, Any] = {"code": entry.code, "name": entry.name, "group": group}
    if len(groups) > 1:
        document["groups"] = groups
    if keywords:
        document["keywords"] = keywords
    document.update(
        {
            "description": description,
            "kind": "report",
            "open311": {"type": service_type},
            "fields": fields,
            "workflow": copy.deepcopy(IMPORTED_WORKFLOW),
            "sla": dict(IMPORTED_SLA),
            "routing": {"team": IMPORTED_TEAM},
            "privacy": "private" if private else "public",
            "retention": {"days_after_close": IMPORTED_RETENTION_DAYS},
        }
    )
    problems = template_problems(document)
    if problems:
        # Checks above should catch everything; this keeps a bad template out regardless.
        return _skip(entry, "invalid template", *(f"template {p}" for p in problems))
    entry.document = document
    entry.notes = read.notes
    return entry


def _keywords(read: _Reader) -> tuple[list[str], bool]:
    """The search keywords (too long ones dropped, with a note) and whether `private` is set."""
    keywords, private = [], False
    for keyword in read.texts("keywords", split=","):
        if keyword.casefold() == PRIVATE_KEYWORD:
            private = True
            read.notes.append(
                "keyword 'private' marks the service private; its reports will not be public"
            )
        elif len(keyword) > _MAX_KEYWORD:
            read.notes.append(
                f"keyword {_short(keyword)} is longer than {_MAX_KEYWORD} characters; dropped"
            )
        else:
            keywords.append(keyword)
    return keywords, private


def _skip(entry: Entry, why: str, *problems: str) -> Entry:
    entry.skipped = why
    entry.problems.extend(problems)
    return entry


# --- Service definitions ------------------------------------------------------------------


def _definition_fields(
    source: str, data: bytes, *, code: str
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The fields of a service definition document: (fields, problems, notes).

    Any problem means the service must be skipped: importing it without a question the
    council's server requires would make every report from it fail.
    """
    try:
        definition = _definition_record(data, source)
    except ServiceListError as exc:
        return [], [exc.reason], []
    read = _Reader(definition)
    read.repeated_keys(identity="service_code")
    given = read.text("service_code")
    if given is not None and given != code:
        read.problems.append(f"it is for service_code {_short(given)}, not {code!r}")
    attributes = definition.get("attributes") or []
    if not isinstance(attributes, list):
        read.problems.append(f"attributes should be a list, not {_describe(attributes)}")
        attributes = []
    fields = []
    for index, attribute in enumerate(attributes, start=1):
        made = _field(index, attribute, read)
        if made is not None:
            fields.append(made)
    fields.sort(key=lambda f: f["order"])
    return fields, read.problems, read.notes


def _field(index: int, attribute: Any, parent: _Reader) -> dict[str, Any] | None:
    """One Open311 attribute as a template field; problems and notes go to `parent`."""
    where = f"{parent.where}attribute {index}"
    if not isinstance(attribute, _Record):
        parent.problems.append(f"{where} should be an object, not {_describe(attribute)}")
        return None
    read = _Reader(attribute, where=f"{where}: ")
    read.repeated_keys(identity="code")
    code = read.text("code")
    if code is not None:
        read.where = f"{where} ({_short(code)}): "
    if code is None:
        read.problems.append(f"{read.where}it has no code")
    elif not _CODE.match(code):
        read.problems.append(
            f"{read.where}code {_short(code)} cannot be a Townsquare code ({_CODE_RULE} characters)"
        )
    if not read.flag("variable", default=True):
        # Open311's variable=false attributes are information shown to the reporter, which
        # templates have no place for; they ask nothing, so leaving them out loses no answer.
        read.notes.append(
            f"{read.where}it is information, not a question (variable is false); not imported"
        )
        read.problems.clear()
        _merge(parent, read)
        return None
    datatype = (read.text("datatype") or "").lower()
    if datatype not in OPEN311_DATATYPES:
        read.problems.append(
            f"{read.where}datatype {_short(datatype)} is not one of {', '.join(OPEN311_DATATYPES)}"
        )
    label = read.text("description")
    if label is None:
        label = code
        read.notes.append(f"{read.where}no description; the question is its code")
    made: dict[str, Any] = {
        "code": code,
        "label": label,
        "datatype": datatype,
        "required": read.flag("required", default=False),
        "order": _order(read, default=index),
    }
    help_text = read.text("datatype_description", one_line=False)
    if help_text and help_text != label:
        made["help"] = help_text
    automated = read.text("automated")
    if automated in _AUTOMATED:
        made["automated"] = automated
    elif automated:
        read.notes.append(
            f"{read.where}automated {_short(automated)} is not one of "
            f"{', '.join(_AUTOMATED)}; ignored"
        )
    values = _values(read)
    if datatype in _LIST_DATATYPES:
        made["values"] = values
    elif values:
        read.notes.append(f"{read.where}values given for a {datatype} question; ignored")
    for what, value, limit in (
        ("description", label, _MAX_LABEL),
        ("datatype_description", help_text or "", _MAX_HELP),
    ):
        if value and len(value) > limit:
            read.problems.append(_too_long(f"{read.where}{what}", value, limit))
    _merge(parent, read)
    return made


def _order(read: _Reader, *, default: int) -> int:
    value = read.record.get("order")
    if isinstance(value, str):
        value = value.strip()
        value = value if whole_number(value) is None else whole_number(value)
    if value in (None, "", "null"):
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    read.problems.append(
        f"{read.where}order should be a whole number from 1, not {_describe(value)}"
    )
    return default


def _values(read: _Reader) -> list[dict[str, str]]:
    raw = read.record.get("values") or []
    if not isinstance(raw, list):
        read.problems.append(f"{read.where}values should be a list, not {_describe(raw)}")
        return []
    values = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, _Record):
            read.problems.append(
                f"{read.where}value {index} should be an object, not {_describe(item)}"
            )
            continue
        value = _Reader(item, where=f"{read.where}value {index}: ")
        key = value.text("key")
        if key is None:
            value.problems.append(f"{value.where}it has no key")
        else:
            values.append({"key": key, "name": value.text("name") or key})
        _merge(read, value)
    return values


def _merge(into: _Reader, reader: _Reader) -> None:
    into.problems.extend(reader.problems)
    into.notes.extend(reader.notes)


# --- Documents ----------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ServiceListError(str(path), "no such file") from None
    except IsADirectoryError:
        raise ServiceListError(str(path), "is a folder, not a file") from None
    except OSError as exc:
        raise ServiceListError(str(path), f"cannot read: {exc.strerror}") from None


def _sniff(data: bytes, source: str) -> str:
    """ "xml" or "json", from the first character of the content."""
    if not data.strip():
        raise ServiceListError(source, "the file is empty")
    # UTF-16 and UTF-32 text interleaves NUL bytes; without them and any byte-order mark the
    # first character can be read whatever the encoding.
    first = data[:256].replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xfe\xff \t\r\n")[:1]
    if first == b"<":
        return "xml"
    if first in (b"[", b"{"):
        return "json"
    start = data[:40].decode("utf-8", errors="replace")
    raise ServiceListError(source, f"is neither XML nor JSON: it starts with {start!r}")


_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_XML_PREDEFINED = frozenset({"lt", "gt", "amp", "quot", "apos"})
_XML_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
# Elements holding a list; True when each item is itself a record (has child elements).
_XML_LISTS = {"groups": False, "attributes": True, "values": True}
# Where a parse error this close to the end is, the document most likely just stops early.
_NEAR_END = 64


def _xml_root(data: bytes, source: str, notes: list[str], *, expected: str) -> ET.Element:
    """The root element, checked to be `expected`; ServiceListError for anything else."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    stripped = body.lstrip(b" \t\r\n")
    # San Francisco's 2010 list starts with a blank line, which XML forbids before <?xml?>;
    # drop it, and count it back into the line numbers of errors.
    lines_before = body[: len(body) - len(stripped)].count(b"\n")
    head = stripped[:2048].lower()
    if b"<html" in head:
        raise ServiceListError(
            source, "is an HTML page (an error or sign-in page?), not an Open311 document"
        )
    # No DTDs: services documents never need one, and refusing them rules out entity
    # expansion attacks before the parser sees the document.
    if b"<!doctype" in stripped.lower() or b"<!entity" in stripped.lower():
        raise ServiceListError(
            source,
            "has a document type declaration (<!DOCTYPE>), which "
            "Open311 documents never have; refused",
        )
    stripped = _xml_html_entities(stripped, notes)
    try:
        root = ET.fromstring(stripped)  # noqa: S314 - no DTD (checked above), so no entities
    except ET.ParseError as exc:
        raise ServiceListError(source, _xml_error(exc, stripped, lines_before)) from None
    tag = _local(root.tag)
    if tag == expected:
        return root
    if tag == "errors":
        raise ServiceListError(
            source,
            "is an Open311 error response, not a service list: "
            + _errors_text(_xml_record(e) for e in root),
        )
    if tag in ("service_requests", "requests"):
        raise ServiceListError(
            source,
            "holds service requests (reports), not a service list (services.xml or services.json)",
        )
    if tag == "service_definition":
        raise ServiceListError(
            source, "is a service definition (services/<code>.xml), not a service list"
        )
    raise ServiceListError(source, f"expected a <{expected}> document, found <{tag}>")


def _xml_html_entities(data: bytes, notes: list[str]) -> bytes:
    """Replace HTML-only named entities (`&nbsp;`, `&eacute;`) by character references.

    XML defines only five named entities, so a server that escapes text as HTML produces a
    document XML parsers refuse outright although what it means is clear.
    """
    replaced: set[str] = set()

    def swap(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode("ascii")
        if name in _XML_PREDEFINED or f"{name};" not in html5:
            return match.group(0)
        replaced.add(name)
        return "".join(f"&#{ord(c)};" for c in html5[f"{name};"]).encode("ascii")

    data = _XML_NAMED_ENTITY.sub(swap, data)
    if replaced:
        notes.append(
            "read HTML entities that XML does not define: "
            + ", ".join(f"&{name};" for name in sorted(replaced))
        )
    return data


def _xml_error(exc: ET.ParseError, data: bytes, lines_before: int) -> str:
    line, column = exc.position
    offset = sum(len(row) + 1 for row in data.split(b"\n")[: line - 1]) + column
    reason = expat.errors.messages.get(exc.code, str(exc))
    text = f"is not well-formed XML: {reason} (line {line + lines_before}, column {column + 1})"
    if offset >= len(data.rstrip()) - _NEAR_END:
        text += "; the document stops early, so the file looks truncated"
    return text


def _local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _xml_record(element: ET.Element) -> _Record:
    return _Record((_local(child.tag), _xml_value(child)) for child in element)


def _xml_value(element: ET.Element) -> Any:
    if element.get(_XSI_NIL, "").strip().lower() in ("true", "1"):
        return None
    tag = _local(element.tag)
    if tag in _XML_LISTS:
        return [
            _xml_record(item) if _XML_LISTS[tag] else "".join(item.itertext()) for item in element
        ]
    # itertext also keeps the words of stray markup inside text (<description>a <b>b</b>).
    return "".join(element.itertext())


def _json_value(data: bytes, source: str) -> Any:
    try:
        return json.loads(data, object_pairs_hook=_Record)
    except UnicodeDecodeError as exc:
        raise ServiceListError(
            source, f"is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        ) from None
    except json.JSONDecodeError as exc:
        text = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        if exc.pos >= len(exc.doc.rstrip()) - _NEAR_END:
            text += "; the document stops early, so the file looks truncated"
        raise ServiceListError(source, text) from None
    except (ValueError, RecursionError) as exc:
        raise ServiceListError(source, f"is not usable JSON: {exc}") from None


def _json_service_records(value: Any, source: str, notes: list[str]) -> list[Any]:
    """The list of services in a JSON service list; ServiceListError for anything else."""
    if isinstance(value, _Record):
        if isinstance(value.get("services"), list):
            notes.append("the list is wrapped in an object under 'services'; read the list")
            value = value["services"]
        elif {"requests", "service_requests", "service_request_id"} & value.keys():
            raise ServiceListError(
                source,
                "holds service requests (reports), not a service "
                "list (services.xml or services.json)",
            )
        elif "attributes" in value:
            raise ServiceListError(
                source, "is a service definition (services/<code>.json), not a service list"
            )
        elif "service_code" in value:
            notes.append("the file holds one service rather than a list of them")
            value = [value]
        else:
            keys = ", ".join(_short(k) for k in list(value)[:5])
            raise ServiceListError(
                source,
                f"expected a JSON list of services (GeoReport v2), "
                f"found an object with keys {keys}",
            )
    if not isinstance(value, list):
        raise ServiceListError(
            source, f"expected a JSON list of services, found {_describe(value)}"
        )
    records = [item for item in value if isinstance(item, _Record)]
    if any("service_request_id" in item for item in records):
        raise ServiceListError(
            source,
            "holds service requests (reports), not a service list (services.xml or services.json)",
        )
    if records and all(
        set(item) <= {"code", "description"} and "description" in item for item in records
    ):
        raise ServiceListError(
            source, "is an Open311 error response, not a service list: " + _errors_text(records)
        )
    return value


def _definition_record(data: bytes, source: str) -> _Record:
    if _sniff(data, source) == "xml":
        return _xml_record(_xml_root(data, source, [], expected="service_definition"))
    value = _json_value(data, source)
    # Some servers wrap the definition in a one-element list, as they do requests.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, _Record):
        raise ServiceListError(
            source, f"expected a service definition object, found {_describe(value)}"
        )
    return value


def _errors_text(errors: Iterable[_Record]) -> str:
    parts = [
        " ".join(str(e.get(k) or "").strip() for k in ("code", "description")).strip()
        for e in errors
    ]
    return "; ".join(p for p in parts if p) or "(no description)"


# --- Text ---------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_WHITESPACE = re.compile(r"\s+")


def _clean(value: str, *, one_line: bool) -> str:
    """Decode HTML entities, normalise line ends, drop what XML cannot carry (control
    characters, noncharacters, lone surrogates: `clean_text`), trim.

    Only entities ending in ";" are decoded: "AT&T" or "this &not that" stay as written.
    Letters are never changed, so German, French or any other text keeps every character.
    """
    value = _ENTITY.sub(lambda m: html.unescape(m.group(0)), value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    # After decoding: `&#xFFFF;` and `&#1;` decode to characters no XML reader takes.
    value = clean_text(value)
    if one_line:
        value = _WHITESPACE.sub(" ", value)
    return value.strip()


def _too_long(what: str, value: str, limit: int) -> str:
    return f"{what} is {len(value)} characters long; at most {limit} fit"


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
