"""Pure rules: placeholders, Markdown cleaning, SMS fragments, back-off, quiet hours, tokens."""

from __future__ import annotations

import datetime as dt
import random

from townsquare.messaging import rendering, rules, signing, tokens


def test_placeholders_fill_and_values_are_escaped_in_html():
    out = rendering.render(
        subject="Hi ((reference))",
        body="Note: ((message))",
        sms="",
        values={"reference": "X-1", "message": "<script>x</script> **b**"},
    )
    assert out.subject == "Hi X-1"
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert out.text == "Note: <script>x</script> **b**"


def test_markdown_is_cleaned():
    html = rendering.markdown_to_html("[x](javascript:alert(1)) <img src=x onerror=y> # T")
    assert "javascript" not in html and "onerror" not in html


def test_sms_fragments():
    assert rendering.sms_fragments("a" * 160) == 1
    assert rendering.sms_fragments("a" * 161) == 2
    assert rendering.sms_fragments("a" * 306) == 2
    assert rendering.sms_fragments("^" * 80) == 1  # extended characters count twice
    assert rendering.sms_fragments("ŵ" * 70) == 1  # Welsh: UCS-2
    assert rendering.sms_fragments("ŵ" * 71) == 2
    assert rendering.sms_fragments("") == 0


def test_retry_delay_grows_and_is_jittered():
    rng = random.Random(1)
    delays = [rules.retry_delay(n, base=30, cap=3600, rng=rng) for n in range(1, 10)]
    assert 15 <= delays[0] <= 30
    assert 60 <= delays[2] <= 120
    assert all(d <= 3600 for d in delays)


def test_quiet_hours():
    london = "Europe/London"
    night = dt.datetime(2026, 11, 22, 22, 30, tzinfo=dt.UTC)
    resume = rules.after_quiet_hours(night, start=dt.time(21), end=dt.time(8), zone=london)
    assert resume == dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    early = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)
    assert rules.after_quiet_hours(
        early, start=dt.time(21), end=dt.time(8), zone=london
    ) == dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    noon = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    assert rules.after_quiet_hours(noon, start=dt.time(21), end=dt.time(8), zone=london) == noon


def test_distance():
    assert 1100 < rules.distance_m(51.5, -1.75, 51.51, -1.75) < 1120


def test_tokens_round_trip_and_reject_forgeries(settings):
    token = tokens.make("unsubscribe", 42)
    assert tokens.read("unsubscribe", token) == 42
    assert tokens.read("confirm", token) is None  # a token is good for one purpose only
    assert tokens.read("unsubscribe", token[:-2] + "xx") is None
    assert tokens.read("unsubscribe", "") is None


def test_signature_matches_the_scheme():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signature = signing.sign(
        secret,
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    # The example from the Standard Webhooks specification.
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
