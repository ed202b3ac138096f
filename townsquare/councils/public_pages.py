"""What a council says on the pages every public service needs: contact details, the
accessibility statement's facts, the data protection officer, the processors that handle
personal data for it, and the phase banner (ADR 110).

Kept in `Council.settings["public_pages"]` like the council's other settings (data, not code),
changed by council admins through `public_pages_set`, which checks each value and records the
change in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.core import clock
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.core.text import clean_text
from townsquare.councils.events import PublicPagesSet
from townsquare.councils.models import Council
from townsquare.councils.selectors import boundary_indexes_invalidate

SETTINGS_KEY = "public_pages"
PHASES = ("alpha", "beta", "live")
DEFAULT_PHASE = "beta"
# The accessibility regulations' three compliance statuses (GOV.UK model statement).
COMPLIANCE = ("full", "partial", "not")
DEFAULT_COMPLIANCE = "partial"
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,23}$")
_URL = re.compile(r"^(https://[^\s/]+\.[^\s]+|mailto:[^\s@]+@[^\s@]+\.[^\s]+)$")
MAX_TEXT = 500


@dataclass(frozen=True)
class PublicPages:
    """A council's public page settings; every value is optional ("" when not set)."""

    contact_email: str = ""
    contact_phone: str = ""
    # A postal or visiting address, one line per part.
    contact_address: str = ""
    # The number to phone when a service's text says "phone us" (danger to people).
    emergency_phone: str = ""
    # Where people ask for an accessible format or report an accessibility problem.
    accessibility_contact: str = ""
    # ISO date the site was last tested for accessibility.
    accessibility_tested_on: str = ""
    accessibility_compliance: str = DEFAULT_COMPLIANCE
    dpo_contact: str = ""
    # Organisations that process personal data for the council, one a line.
    processors: str = ""
    # Where the phase banner's feedback link goes; empty: the platform's default.
    feedback_url: str = ""
    phase: str = DEFAULT_PHASE

    @property
    def tested_on(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.accessibility_tested_on)
        except ValueError:
            return None

    @property
    def processor_list(self) -> list[str]:
        return [line.strip() for line in self.processors.splitlines() if line.strip()]

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.contact_address.splitlines() if line.strip()]


FIELDS = tuple(f.name for f in fields(PublicPages))


def public_pages_of(council: Council) -> PublicPages:
    """The council's public page settings (defaults for what it has not set)."""
    stored = (council.settings or {}).get(SETTINGS_KEY) or {}
    values = {k: str(v) for k, v in stored.items() if k in FIELDS and v not in (None, "")}
    return PublicPages(**values)


def _checked(values: dict[str, str]) -> dict[str, str]:
    cleaned = {k: clean_text(str(values.get(k) or "")).strip() for k in FIELDS}
    errors: dict[str, list[str]] = {}
    for key in ("contact_email",):
        if cleaned[key]:
            try:
                EmailValidator()(cleaned[key])
            except ValidationError:
                errors[key] = ["Enter an email address like name@council.gov.uk"]
    for key in ("contact_phone", "emergency_phone"):
        if cleaned[key] and not _PHONE.match(cleaned[key]):
            errors[key] = ["Enter a phone number, like 0117 922 2000"]
    if cleaned["feedback_url"] and not _URL.match(cleaned["feedback_url"]):
        errors["feedback_url"] = ["Enter an address starting https:// or mailto:"]
    if cleaned["accessibility_tested_on"]:
        try:
            tested = dt.date.fromisoformat(cleaned["accessibility_tested_on"])
        except ValueError:
            errors["accessibility_tested_on"] = ["Enter a real date as YYYY-MM-DD"]
        else:
            if tested > clock.now().date():
                errors["accessibility_tested_on"] = ["The date of the last test must be past"]
    if cleaned["phase"] not in PHASES:
        errors["phase"] = ["Choose alpha, beta or live"]
    if cleaned["accessibility_compliance"] not in COMPLIANCE:
        errors["accessibility_compliance"] = ["Choose full, partial or not compliant"]
    for key, value in cleaned.items():
        if len(value) > MAX_TEXT and key not in errors:
            errors[key] = [f"Use at most {MAX_TEXT} characters"]
    if errors:
        raise InvalidInput(errors)
    return {k: v for k, v in cleaned.items() if v}


def public_pages_set(*, council: Council, values: dict[str, str], actor: Principal) -> Council:
    """Replace the council's public page settings (missing values are cleared)."""
    if not policies.can_administer_council(actor, council.id):
        raise PermissionDenied("Only council admins can change the council's settings")
    stored = _checked(values)
    with transaction.atomic():
        current = Council.objects.select_for_update().get(pk=council.pk)
        if (current.settings or {}).get(SETTINGS_KEY) == stored:
            return current
        settings = {**(current.settings or {}), SETTINGS_KEY: stored}
        # updated_at tells other processes' council registries to reload.
        Council.objects.filter(pk=council.pk).update(settings=settings, updated_at=clock.now())
        append_event(
            PublicPagesSet(settings=stored),
            council_id=council.id,
            stream="council",
            stream_id=council.id,
            actor=actor.as_actor(),
        )
    boundary_indexes_invalidate()
    council.settings = settings
    return council
