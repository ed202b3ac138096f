"""A service's help for residents, from Municipedia: a public article linked to the service is
shown on its start page under "Before you start", in Welsh where the article has a Welsh text."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from townsquare.accounts.principal import Principal
from townsquare.wiki.rendering import render
from townsquare.wiki.selectors import help_for_service, links_resolve


@dataclass(frozen=True)
class ServiceHelp:
    title: str
    html: SafeString
    # The language the text is in, when it is not the page's (an English article on a Welsh page).
    lang: str


def service_help(*, council_id: int, service_code: str, language: str) -> ServiceHelp | None:
    article = help_for_service(council_id=council_id, service_code=service_code)
    if article is None:
        return None
    welsh = language == "cy" and bool(article.body_cy.strip())
    anyone = Principal.anonymous()

    def resolve(titles: list[str]) -> dict[str, str | None]:
        found = links_resolve(principal=anyone, titles=titles, prefer_space_id=article.space_id)
        return {t: reverse("wiki:article", args=[i]) if i else None for t, i in found.items()}

    rendered = render(article.body_cy if welsh else article.body, resolve_links=resolve)
    return ServiceHelp(
        title=(article.title_cy or article.title) if welsh else article.title,
        # Cleaned by nh3 in wiki.rendering: no script, no event attributes, no javascript: links.
        html=mark_safe(rendered.html),  # noqa: S308  # nosec B308 B703
        lang="" if welsh or language == "en" else "en",
    )
