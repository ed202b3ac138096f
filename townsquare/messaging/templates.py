"""Choosing the words for a notification: a council's override, else the shipped default."""

from __future__ import annotations

from townsquare.messaging import rendering
from townsquare.messaging.defaults import DEFAULTS, Words
from townsquare.messaging.models import MessageTemplate

LANGUAGES = ("en", "cy")


class TemplateBook:
    """Templates looked up once per batch: (council, service, key, language) -> Words."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int | None, str, str, str], Words] = {}
        self._overrides: dict[int, dict[tuple[str, str, str], MessageTemplate]] = {}

    def _council_overrides(self, council_id: int) -> dict[tuple[str, str, str], MessageTemplate]:
        if council_id not in self._overrides:
            self._overrides[council_id] = {
                (t.service_code, t.key, t.language): t
                for t in MessageTemplate.objects.filter(council_id=council_id)
            }
        return self._overrides[council_id]

    def words(self, *, council_id: int | None, service_code: str, key: str, language: str) -> Words:
        cache_key = (council_id, service_code, key, language)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._find(council_id, service_code, key, language)
        return self._cache[cache_key]

    def _find(self, council_id: int | None, service_code: str, key: str, language: str) -> Words:
        language = language if language in LANGUAGES else "en"
        base_key = key.split(":", 1)[0] if key.startswith("state:") else key
        keys = [key, base_key] if key != base_key else [key]
        if council_id is not None:
            overrides = self._council_overrides(council_id)
            for k in keys:
                for service in (service_code, ""):
                    found = overrides.get((service, k, language))
                    if found:
                        default = _default(base_key if k == key else k, language)
                        return Words(
                            found.subject or default.subject, found.body, found.sms or default.sms
                        )
        return _default(base_key, language)


def _default(key: str, language: str) -> Words:
    if key.startswith("state:"):
        key = "state"
    by_language = DEFAULTS.get(key) or DEFAULTS["state"]
    return by_language.get(language) or by_language["en"]


def current_words(
    *, council_id: int | None, service_code: str, key: str, language: str
) -> tuple[Words, bool]:
    """The words in use and whether they are the council's own (an override)."""
    own = (
        council_id is not None
        and MessageTemplate.objects.filter(
            council_id=council_id, service_code=service_code, key=key, language=language
        ).exists()
    )
    return TemplateBook().words(
        council_id=council_id, service_code=service_code, key=key, language=language
    ), own


def preview(
    *,
    council_id: int | None,
    service_code: str,
    key: str,
    language: str,
    words: Words | None = None,
) -> tuple[rendering.Rendered, int]:
    """The template (or `words`) filled with example values, and its SMS length in fragments."""
    words = words or TemplateBook().words(
        council_id=council_id, service_code=service_code, key=key, language=language
    )
    rendered = rendering.render(
        subject=words.subject,
        body=words.body,
        sms=words.sms,
        values=rendering.FIELDS,
        language=language,
    )
    return rendered, rendering.sms_fragments(rendered.sms)
