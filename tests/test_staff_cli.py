from __future__ import annotations

import io

import pyotp
import pytest
from django.core.management import CommandError, call_command

from tests import factories
from townsquare.accounts.signin import second_factor_set
from townsquare.demo.loader import DEMO_TOTP_SECRET

pytestmark = pytest.mark.django_db


def test_totp_code_for_demo_accounts_only(council):
    demo, _ = factories.make_staff(council, "agent", email="agent@demo.example")
    second_factor_set(user=demo, secret=DEMO_TOTP_SECRET)
    out = io.StringIO()
    call_command("staff", "totp-code", "Agent@Demo.example", stdout=out)
    assert pyotp.TOTP(DEMO_TOTP_SECRET).verify(out.getvalue().strip(), valid_window=1)

    real, _ = factories.make_staff_signed_in(council, "agent", email="real@council.example")
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("staff", "totp-code", real.email)
    with pytest.raises(CommandError, match="no authenticator"):
        call_command("staff", "totp-code", "nobody@council.example")
