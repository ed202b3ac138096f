from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def optional_script(path: str) -> str:
    """A deferred script tag for a static file another part of the product provides (live.js),
    or nothing while that file does not exist, so pages never fail for want of it."""
    try:
        url = static(path)
    except ValueError:  # not in the manifest of collected static files
        return ""
    return format_html('<script src="{}" defer></script>', url)


@register.filter
def lookup(mapping, key):
    """mapping[key] for keys computed in the template (form errors by field)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def join_key(*parts) -> str:
    return "_".join(str(p) for p in parts)


@register.filter
def lookup_index(items, index):
    try:
        return items[int(index)]
    except (ValueError, TypeError, IndexError):
        return None


@register.filter
def values_text(values) -> str:
    """List choices as the builder's textarea shows them: "key | Name" per line."""
    if not isinstance(values, list):
        return ""
    return "\n".join(
        f"{v.get('key', '')} | {v.get('name', '')}" for v in values if isinstance(v, dict)
    )


@register.simple_tag
def recipient(message, full: bool) -> str:
    """A message's address: whole when `full`, else just enough to tell recipients apart."""
    from townsquare.messaging.selectors import recipient_masked

    return message.recipient if full else recipient_masked(message.channel, message.recipient)
