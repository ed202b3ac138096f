"""The councils' own sign-in services, offered on the staff sign-in page."""

from __future__ import annotations

from django import template

from townsquare.accounts import identity

register = template.Library()


@register.simple_tag
def staff_identity_providers() -> list[dict[str, object]]:
    return [
        {"council_id": council_id, "council": name, "label": provider.label}
        for council_id, name, provider in identity.staff_providers()
    ]
