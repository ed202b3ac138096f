"""Text that every store and every XML 1.0 parser takes: the one cleaning rule for the platform.

A single U+FFFF in one stored report used to make a whole `requests.xml` feed unparseable for
expat and libxml2 clients. XML 1.0 (section 2.2) allows only tab, LF, CR, U+0020-U+D7FF,
U+E000-U+FFFD and U+10000-U+10FFFF, and asks documents to avoid control characters and
noncharacters too. So every text a person or a file gives the domain passes `clean_text` where
it enters (case services, imports, published templates), and the Open311 XML writer passes it
again on the way out, for rows written before this rule or by hand (ADR 70).

What goes:
- C0 control characters other than tab, LF and CR (PostgreSQL cannot even store NUL);
- DEL and the C1 controls except NEL (U+0085), which XML 1.0 discourages and XML 1.1 restricts;
- the noncharacters U+FDD0-U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF,
  U+1FFFE, ... U+10FFFF);
- lone surrogates become U+FFFD (the replacement character), as undecodable bytes do; a high
  and a low surrogate side by side become the one character they encode.
Everything else stays exactly: letters of every script, emoji, private use, combining marks.
"""

from __future__ import annotations

import re
from typing import Any

_KEPT_ASTRAL = "".join(
    f"{chr(plane)}-{chr(plane + 0xFFFD)}" for plane in range(0x10000, 0x110000, 0x10000)
)
# One negated class of what is kept: Python's regex engine tests it per character much faster
# than a class listing what goes.
_UNSAFE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd" + _KEPT_ASTRAL + "]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry or asks to avoid (see the module).

    Idempotent. Printable text (most names, codes and one-line values) is passed through after
    one C-speed test; anything else costs one regular-expression search when clean.
    """
    if value.isprintable() or not _UNSAFE.search(value):
        return value
    if _SURROGATE.search(value):
        # UTF-16 is where surrogates belong: pairs join into their character, and the codec
        # replaces the lone ones with U+FFFD.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _UNSAFE.sub("", value)


def clean_texts(value: Any) -> Any:
    """`value` with `clean_text` applied to every string in it, dictionary keys included,
    through nested dicts, lists and tuples (tuples come back as lists); anything else is
    returned as it is."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_texts(k): clean_texts(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_texts(item) for item in value]
    return value
