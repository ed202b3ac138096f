"""The demo's Municipedia: the commons from the shared seed pages (each saying where it came
from), Bristol's article that Leeds can find, Leeds' article with live figures, and Bristol's
public help page in English and Welsh. Loading twice adds nothing."""

from __future__ import annotations

import json

import pytest

from tests import factories
from townsquare.demo.wiki import SEED_NOTICE, demo_wiki_ensure
from townsquare.wiki import selectors
from townsquare.wiki.models import Article

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_the_commons_and_the_councils_articles(settings, tmp_path):
    folder = tmp_path / "council_content"
    folder.mkdir()
    pages = [
        {
            "bundle": "localgov_services_page",
            "title": "Apply for a Blue Badge",
            "summary": "Parking for disabled people.",
            "text": "Check you are eligible.",
        },
        {"bundle": "localgov_event", "title": "Hogmanay", "summary": "", "text": "Party."},
    ]
    (folder / "localgov_demo_pages.jsonl").write_text("\n".join(json.dumps(p) for p in pages))
    settings.SHARED_DATA_DIR = str(tmp_path)
    bristol = factories.make_council("bristol", prefix="BRS")
    leeds = factories.make_council("leeds", prefix="LDS", bounds=(0.0, 51.0, 1.0, 52.0))
    for _ in range(2):
        demo_wiki_ensure(councils=[bristol, leeds], say=lambda _m: None)

    seeded = Article.objects.get(space__slug="commons")
    assert seeded.title == "Apply for a Blue Badge" and SEED_NOTICE.strip() in seeded.body
    _user, officer = factories.make_staff(leeds, "agent")
    hits = selectors.articles_search(principal=officer, query="pothole triage")
    assert "How Bristol triages pothole reports" in {h.article.title for h in hits}
    help_page = selectors.help_for_service(council_id=bristol.id, service_code="pothole")
    assert help_page.body_cy and help_page.visibility == "public"
    assert Article.objects.count() == 4
