"""An application's stream is its applicant's alone (ADR 100): the account it belongs to, or a
browser holding its reference (sent from there, or opened by the emailed link). Strangers, other
residents and staff sessions without the reference get "not found", and what the applicant gets
names an event's kind and state, never its words."""

from __future__ import annotations

import json

import pytest
import requests
from django.conf import settings
from django.test import Client

from townsquare.accounts.models import User
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.services import case_add_internal_note, case_create, case_transition
from townsquare.live.tests.server import asgi_server
from townsquare.live.tests.test_streams import Listener

pytestmark = pytest.mark.django_db(transaction=True)


def _application(council, owner):
    from tests.factories import shipped_workflow_template
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor

    template_publish(council=council, document=shipped_workflow_template(), actor=Actor.system("t"))
    return case_create(
        service_code="school_transport",
        council=council,
        actor=principal_for_user(owner),
        values={"child_name": "Sam Private", "sen": "no"},
    )


def _cookies(client: Client) -> dict:
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def _signed_in(user) -> dict:
    client = Client()
    client.force_login(user)
    return _cookies(client)


def _holding(reference: str) -> dict:
    """An anonymous browser session that holds the reference (as after the emailed link)."""
    client = Client()
    session = client.session
    session["submitted_references"] = [reference]
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return _cookies(client)


def test_only_the_applicant_may_follow_an_applications_stream(council, agent):
    owner = User.objects.create_user("owner@example.org")
    application = _application(council, owner)
    stranger = User.objects.create_user("stranger@example.org")
    url_path = f"/live/cases/{application.reference}"
    with asgi_server() as base:
        url = f"{base}{url_path}"
        assert requests.get(url, timeout=10).status_code == 404
        assert requests.get(url, cookies=_signed_in(stranger), timeout=10).status_code == 404
        # Holding another case's reference proves nothing about this one.
        assert requests.get(url, cookies=_holding("TST-26-999999"), timeout=10).status_code == 404

        by_account = Listener(url, cookies=_signed_in(owner))
        by_link = Listener(url, cookies=_holding(application.reference))
        assert by_account.response.status_code == 200 and by_link.response.status_code == 200
        assert by_account.response.headers["Content-Type"].startswith("text/event-stream")
        by_account.take(1), by_link.take(1)  # ready
        case_add_internal_note(case=application, actor=agent, note="Internal only")
        case_transition(
            case=application,
            to_state="more_information_needed",
            actor=agent,
            message="Send us proof of address, Sam Private.",
        )
        for listener in (by_account, by_link):
            ((_, moved),) = listener.take(1)
            # The internal note never arrives; the move does, without its words.
            assert moved["kind"] == "case.transitioned"
            assert moved["state"] == "more_information_needed"
            assert "Sam" not in json.dumps(moved) and "proof" not in json.dumps(moved)
            listener.close()
