"""HTML autofill tokens for template questions, so browsers can fill in what they know (WCAG
1.3.5 Identify Input Purpose; docs/adr/0106-autocomplete-tokens-on-questions.md).

A question says its purpose in the template (`autocomplete: postal-code`), or takes the one its
type implies (a postcode is `postal-code`). Tokens are checked against the WHATWG HTML
standard's autofill field names (section "Autofill"), so a typo cannot ship as a silent no-op.
"""

from __future__ import annotations

from typing import Any

# WHATWG HTML, 4.10.18.7.1 Autofill field names.
FIELD_NAMES = frozenset(
    [
        "name",
        "honorific-prefix",
        "given-name",
        "additional-name",
        "family-name",
        "honorific-suffix",
        "nickname",
        "username",
        "new-password",
        "current-password",
        "one-time-code",
        "organization-title",
        "organization",
        "street-address",
        "address-line1",
        "address-line2",
        "address-line3",
        "address-level4",
        "address-level3",
        "address-level2",
        "address-level1",
        "country",
        "country-name",
        "postal-code",
        "cc-name",
        "cc-given-name",
        "cc-additional-name",
        "cc-family-name",
        "cc-number",
        "cc-exp",
        "cc-exp-month",
        "cc-exp-year",
        "cc-csc",
        "cc-type",
        "transaction-currency",
        "transaction-amount",
        "language",
        "bday",
        "bday-day",
        "bday-month",
        "bday-year",
        "sex",
        "url",
        "photo",
    ]
)
# Names that may follow "home", "work", "mobile", "fax" or "pager".
CONTACT_FIELD_NAMES = frozenset(
    [
        "tel",
        "tel-country-code",
        "tel-national",
        "tel-area-code",
        "tel-local",
        "tel-local-prefix",
        "tel-local-suffix",
        "tel-extension",
        "email",
        "impp",
    ]
)
_CONTACT_HINTS = ("home", "work", "mobile", "fax", "pager")
_ADDRESS_HINTS = ("shipping", "billing")

# What a question's type implies when the template does not say.
_BY_DATATYPE = {"postcode": "postal-code"}
# A date question is filled from a date of birth or not at all: its three inputs take the
# parts of the one token.
DATE_TOKENS = ("bday", "off")


def autocomplete_problem(field: dict[str, Any]) -> str | None:
    """Why a field's `autocomplete` is not a valid token for it, or None."""
    purpose = field.get("autocomplete")
    if purpose is None:
        return None
    if not is_valid(purpose):
        return f"{purpose!r} is not an HTML autocomplete token (such as name, email, postal-code)"
    if field["datatype"] == "date" and purpose not in DATE_TOKENS:
        return "a date question takes autocomplete: bday (a date of birth) or off"
    if field["datatype"] in ("singlevaluelist", "multivaluelist") and purpose != "off":
        return "a list of choices cannot be filled in by the browser"
    return None


def is_valid(token: str) -> bool:
    """Whether `token` is an autofill detail list as the WHATWG standard allows: "on", "off",
    or [section-*] [shipping|billing] [home|work|mobile|fax|pager] field-name [webauthn]."""
    words = token.split()
    if words in (["on"], ["off"]):
        return True
    if words and words[-1] == "webauthn":
        words = words[:-1]
    if words and words[0].startswith("section-") and len(words[0]) > len("section-"):
        words = words[1:]
    if words and words[0] in _ADDRESS_HINTS:
        words = words[1:]
    if len(words) == 2 and words[0] in _CONTACT_HINTS:
        return words[1] in CONTACT_FIELD_NAMES
    return len(words) == 1 and (words[0] in FIELD_NAMES or words[0] in CONTACT_FIELD_NAMES)


def autocomplete_for(field: dict[str, Any]) -> str:
    """The token to put on a question's input ("" for none)."""
    return field.get("autocomplete") or _BY_DATATYPE.get(field["datatype"], "")


def date_part_tokens(purpose: str) -> dict[str, str]:
    """The tokens of a date input's day, month and year ("bday" -> bday-day...)."""
    if purpose == "bday":
        return {"day": "bday-day", "month": "bday-month", "year": "bday-year"}
    return dict.fromkeys(("day", "month", "year"), "off" if purpose == "off" else "")
