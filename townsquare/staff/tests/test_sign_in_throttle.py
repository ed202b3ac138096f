"""Staff sign-in slows wrong attempts down instead of locking (issue #23 item 3, ADR 143):
growing waits per email address typed, a budget of wrong attempts per client address, a
browser that signed in before counted on its own, and an email to the person when the waits
begin. The waits run on the shared clock, held by `interval_clock`."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client

from tests import factories
from townsquare.messaging.models import Message

pytestmark = pytest.mark.django_db

WRONG = "Enter a correct email address and password"
WAIT = re.compile(r"try again in (\d+) seconds?")


def _password(client: Client, email: str, password: str = factories.STAFF_PASSWORD):
    return client.post("/staff/sign-in", {"email": email, "password": password})


def _code(client: Client, code: str | None = None):
    return client.post(
        "/staff/sign-in/code", {"code": code or pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()}
    )


def _waits(response, seconds: int) -> None:
    assert response.status_code == 429, (response.status_code, response.content[-600:])
    assert response["Retry-After"] == str(seconds)
    found = WAIT.search(response.content.decode())
    assert found and found.group(1) == str(seconds)


def _signed_in_browser(email: str, address: str) -> Client:
    browser = Client(REMOTE_ADDR=address)
    assert _password(browser, email)["Location"] == "/staff/sign-in/code"
    assert _code(browser)["Location"] == "/staff/"
    return browser


@pytest.mark.parametrize("email", ["agent@testshire.test", "ghost@testshire.test"])
def test_wrong_passwords_bring_growing_waits_not_a_lock(council, settings, interval_clock, email):
    """Known and unknown addresses alike: three free failures, then 1, 2, 4 seconds...; even
    the right password waits its turn, and is let in once the wait is over."""
    settings.STAFF_SIGNIN_FREE_FAILURES = 3
    factories.make_staff_signed_in(council, "agent")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(4):
        response = _password(attacker, email, "nope")
        assert response.status_code == 400 and WRONG in response.content.decode()
    _waits(_password(attacker, email, "nope"), 1)
    person = Client(REMOTE_ADDR="198.51.100.20")
    _waits(_password(person, email), 1)
    interval_clock.advance(1)
    assert _password(attacker, email, "nope").status_code == 400
    _waits(_password(person, email), 2)
    interval_clock.advance(2)
    assert _password(attacker, email, "nope").status_code == 400
    _waits(_password(attacker, email, "nope"), 4)
    interval_clock.advance(4)
    response = _password(person, email)
    if email.startswith("agent"):
        assert response["Location"] == "/staff/sign-in/code"
        # The right password was no failure: the code is taken at once, with no new wait.
        assert _code(person)["Location"] == "/staff/"
    else:
        assert response.status_code == 400


def test_waits_stop_growing_at_the_longest_wait(council, settings, interval_clock):
    settings.STAFF_SIGNIN_FREE_FAILURES = 0
    settings.STAFF_SIGNIN_MAX_DELAY_SECONDS = 5
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for expected in (1, 2, 4, 5, 5):
        assert _password(attacker, "agent@testshire.test", "nope").status_code == 400
        _waits(_password(attacker, "agent@testshire.test", "nope"), expected)
        interval_clock.advance(expected)


def test_known_and_unknown_addresses_get_the_same_wait_page(council, settings, interval_clock):
    settings.STAFF_SIGNIN_FREE_FAILURES = 1
    user, _ = factories.make_staff_signed_in(council, "agent")
    pages = []
    for email in (user.email, "nobody@testshire.test"):
        client = Client()
        for _ in range(2):
            _password(client, email, "nope")
        response = _password(client, email, "nope")
        _waits(response, 1)
        pages.append(
            re.sub(
                r'name="csrfmiddlewaretoken" value="[^"]+"',
                "",
                response.content.decode().replace(email, "X"),
            )
        )
    assert pages[0] == pages[1]


def test_a_browser_that_signed_in_before_is_not_held_by_a_strangers_failures(
    council, settings, interval_clock
):
    settings.STAFF_SIGNIN_FREE_FAILURES = 2
    settings.STAFF_SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR = 3
    user, _ = factories.make_staff_signed_in(council, "agent")
    own = _signed_in_browser(user.email, "198.51.100.20")
    own.post("/staff/sign-out")
    # A stranger behind the same office address: the account waits, the address's budget is
    # spent...
    stranger = Client(REMOTE_ADDR="198.51.100.20")
    for _ in range(3):
        _password(stranger, user.email, "nope")
    assert _password(stranger, user.email, "nope").status_code == 429
    assert _password(Client(REMOTE_ADDR="192.0.2.7"), user.email).status_code == 429
    # ...and the person at their usual browser signs in as ever.
    assert _password(own, user.email)["Location"] == "/staff/sign-in/code"
    # The next step's code: the current one was used a moment ago (no replays).
    next_code = pyotp.TOTP(factories.STAFF_TOTP_SECRET).at(time.time() + 30)
    assert _code(own, next_code)["Location"] == "/staff/"
    # Its own wrong attempts are counted on their own, with waits of their own.
    own.post("/staff/sign-out")
    for _ in range(3):
        assert _password(own, user.email, "nope").status_code == 400
    _waits(_password(own, user.email, "nope"), 1)


def test_a_device_token_only_counts_for_the_account_it_was_given_for(
    council, settings, interval_clock
):
    settings.STAFF_SIGNIN_FREE_FAILURES = 1
    user, _ = factories.make_staff_signed_in(council, "agent")
    other, _ = factories.make_staff_signed_in(council, "agent", email="other@testshire.test")
    browser = _signed_in_browser(user.email, "198.51.100.20")
    for _ in range(2):
        _password(Client(REMOTE_ADDR="203.0.113.66"), other.email, "nope")
    assert _password(browser, other.email).status_code == 429
    browser.cookies["staff_device"] = "forged"
    assert _password(browser, other.email).status_code == 429


def test_each_client_address_has_a_budget_of_wrong_attempts(council, settings, interval_clock):
    settings.STAFF_SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR = 3
    user, _ = factories.make_staff_signed_in(council, "agent")
    sprayer = Client(REMOTE_ADDR="203.0.113.66")
    # A right password does not spend the budget.
    assert _password(sprayer, user.email)["Location"] == "/staff/sign-in/code"
    for n in range(3):
        assert _password(sprayer, f"person{n}@testshire.test", "nope").status_code == 400
    response = _password(sprayer, "person9@testshire.test", "nope")
    _waits(response, 1200)
    assert _password(Client(REMOTE_ADDR="203.0.113.67"), user.email).status_code == 302
    interval_clock.advance(1200)
    assert _password(sprayer, "person9@testshire.test", "nope").status_code == 400


def test_wrong_codes_count_like_wrong_passwords(council, settings, interval_clock):
    settings.STAFF_SIGNIN_FREE_FAILURES = 3
    user, _ = factories.make_staff_signed_in(council, "agent")
    client = Client(REMOTE_ADDR="203.0.113.66")
    _password(client, user.email)  # a right password is no failure, and clears nothing
    for _ in range(4):
        response = _code(client, "000000")
        assert response.status_code == 400 and "The code is not right" in response.content.decode()
    _waits(_code(client, "000000"), 1)
    _waits(_code(client), 1)
    interval_clock.advance(1)
    assert _code(client)["Location"] == "/staff/"
    # A whole sign-in forgets the count.
    assert _password(Client(), user.email)["Location"] == "/staff/sign-in/code"


def test_the_person_is_told_by_email_once_when_the_waits_begin(council, settings, interval_clock):
    settings.STAFF_SIGNIN_FREE_FAILURES = 2
    user, _ = factories.make_staff_signed_in(council, "agent")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(2):
        _password(attacker, user.email, "nope")
        _password(attacker, "nobody@testshire.test", "nope")
    assert not Message.objects.exists()
    _password(attacker, user.email, "nope")
    _password(attacker, "nobody@testshire.test", "nope")
    warning = Message.objects.get()
    assert (warning.recipient, warning.template) == (user.email, "staff_sign_in_failures")
    assert "3 wrong passwords or authenticator codes" in warning.body_text
    assert "203.0.113.66" in warning.body_text and "not locked" in warning.body_text
    assert warning.secret_link == "http://testserver/staff/sign-in"
    for _ in range(3):
        interval_clock.advance(60)
        _password(attacker, user.email, "nope")
    assert Message.objects.count() == 1


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(council, settings, interval_clock):
    """Issue #23: behind a reverse proxy every request came from its address, so one person's
    wrong passwords spent everyone's budget. With the proxy's header trusted they do not."""
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.STAFF_SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR = 3
    user, _ = factories.make_staff_signed_in(council, "agent")

    def behind_proxy(client_ip: str) -> Client:
        # The client claims an address of its own; the proxy appends the real one.
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{user.email}, {client_ip}")

    sprayer = behind_proxy("203.0.113.66")
    for n in range(3):
        _password(sprayer, f"person{n}@testshire.test", "nope")
    assert _password(sprayer, "person9@testshire.test", "nope").status_code == 429
    assert _password(behind_proxy("198.51.100.20"), user.email).status_code == 302
