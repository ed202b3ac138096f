"""The demo's local OpenID Provider (scripts/oidc-provider, oidc-provider from npm): its
configuration, its demo people, and starting it. Used by `make run` and by the tests, so both
sign in through the same real provider (docs/adr/0090-openid-connect-sign-in.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from townsquare.accounts.identity import client_key_new, public_jwk

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_DIR = ROOT / "scripts" / "oidc-provider"
SERVER = PROVIDER_DIR / "server.mjs"
RESIDENT_CLIENT_ID = "townsquare-residents"
STAFF_CLIENT_ID = "townsquare-bristol-staff"
# Groups at the demo provider and the roles they give in Bristol.
DEMO_GROUP_ROLES = {
    "townsquare-agents": "agent",
    "townsquare-supervisors": "supervisor",
    "townsquare-admins": "council_admin",
}
DEMO_ACCOUNTS = [
    {
        "sub": "resident-p2",
        "name": "Rhian Jones",
        "email": "rhian.jones@example.com",
        "identity": "P2",
        "birth_date": "1984-05-12",
        "phone_number": "+447700900123",
    },
    {
        "sub": "resident-basic",
        "name": "Sam Taylor",
        "email": "sam.taylor@example.com",
        "identity": None,
    },
    {
        "sub": "bristol-officer",
        "name": "Ola Officer",
        "email": "ola.officer@bristol.example",
        "identity": None,
        "groups": ["townsquare-agents", "all-staff"],
    },
    {
        "sub": "bristol-supervisor",
        "name": "Sid Supervisor",
        "email": "sid.supervisor@bristol.example",
        "identity": None,
        "groups": ["townsquare-supervisors"],
    },
    {
        "sub": "bristol-leaver",
        "name": "Lee Leaver",
        "email": "lee.leaver@bristol.example",
        "identity": None,
        "groups": ["all-staff"],
    },
]


class ProviderUnavailable(RuntimeError):
    """Node.js or the provider's npm packages are missing, or it would not start."""


def missing() -> str:
    """Why the provider cannot run here, or "" when it can."""
    if shutil.which("node") is None:
        return "Node.js 20 is not installed (the local OpenID Provider needs it)"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return (
            "the local OpenID Provider's packages are not installed: run "
            "`npm ci --prefix scripts/oidc-provider` (make test and make run do)"
        )
    return ""


def client_key_ensure(path: Path, kid: str) -> dict[str, Any]:
    """The key kept at `path`, made on first use (readable by this user only)."""
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    jwk = client_key_new(kid)
    path.touch(mode=0o600)
    path.write_text(json.dumps(jwk))
    return jwk


def provider_config(
    *,
    resident_bases: list[str],
    staff_bases: list[str],
    resident_key: dict[str, Any],
    staff_key: dict[str, Any],
    back_channel_base: str | None = None,
) -> dict[str, Any]:
    """The provider's clients (Townsquare for residents, Bristol's staff) and demo people.
    `*_bases` are the sites' addresses (http://127.0.0.1:8000); back-channel logout goes to
    `back_channel_base` (the first resident base by default)."""
    back = (back_channel_base or resident_bases[0]).rstrip("/")
    return {
        "clients": [
            {
                "client_id": RESIDENT_CLIENT_ID,
                "redirect_uris": [
                    f"{b.rstrip('/')}/sign-in/one-login/return" for b in resident_bases
                ],
                "post_logout_redirect_uris": [
                    f"{b.rstrip('/')}/signed-out" for b in resident_bases
                ],
                "jwks": {"keys": [public_jwk(resident_key)]},
                "backchannel_logout_uri": f"{back}/sign-in/back-channel-logout",
            },
            {
                "client_id": STAFF_CLIENT_ID,
                "redirect_uris": [
                    f"{b.rstrip('/')}/staff/sign-in/provider/return" for b in staff_bases
                ],
                "jwks": {"keys": [public_jwk(staff_key)]},
                "id_token_signed_response_alg": "RS256",
                "backchannel_logout_uri": f"{back}/sign-in/back-channel-logout",
            },
        ],
        "accounts": DEMO_ACCOUNTS,
    }


def provider_start(
    *, config: dict[str, Any], config_path: Path, port: int, log_path: Path | None = None
) -> subprocess.Popen:
    """Start the provider on 127.0.0.1:`port` and wait until it publishes its discovery
    document. The caller stops it (process.terminate())."""
    reason = missing()
    if reason:
        raise ProviderUnavailable(reason)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(config, indent=2))
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 (our own script, no shell)
        [
            shutil.which("node") or "node",
            str(SERVER),
            "--config",
            str(config_path),
            "--port",
            str(port),
        ],
        cwd=PROVIDER_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        provider_wait(f"http://127.0.0.1:{port}", process)
    except BaseException:  # not ready, or interrupted while waiting: never leave it running
        process.terminate()
        raise
    return process


def provider_wait(issuer: str, process: subprocess.Popen, *, timeout: float = 60.0) -> None:
    """Poll the discovery document until it answers (or the process dies, or `timeout`)."""
    url = f"{issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProviderUnavailable(f"the OpenID Provider exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)  # polling a port that is not open yet; not standing in for an event
    raise ProviderUnavailable(f"the OpenID Provider did not answer at {url} in {timeout}s")


def demo_identity_ensure(*, var_dir: Path, public_url: str, issuer: str) -> dict[str, Any]:
    """The demo's keys (made once, under var/identity/) and Bristol's staff sign-in through the
    demo provider. Returns the provider's configuration.

    Bristol's settings are made when missing or pointing at another provider; otherwise what
    its admin set on the staff sign-in page stays, and the demo provider registers the key pair
    made there (so a new key pair works after restarting the demo)."""
    from townsquare.accounts.identity import identity_provider_set, private_key_of
    from townsquare.accounts.models import IdentityProvider
    from townsquare.councils.models import Council

    resident_key = client_key_ensure(
        var_dir / "identity" / "resident-client-key.json", "townsquare-residents-1"
    )
    staff_key = client_key_ensure(
        var_dir / "identity" / "bristol-staff-client-key.json", "bristol-staff-1"
    )
    bristol = Council.objects.filter(slug="bristol").first()
    row = (
        IdentityProvider.objects.filter(council_id=bristol.id).first()
        if bristol is not None
        else None
    )
    if row is not None and row.issuer == issuer and private_key_of(row):
        staff_key = private_key_of(row)
    elif bristol is not None:
        identity_provider_set(
            council_id=bristol.id,
            label="Bristol staff account (demo)",
            issuer=issuer,
            client_id=STAFF_CLIENT_ID,
            private_key_jwk=staff_key,
            group_roles=DEMO_GROUP_ROLES,
        )
    bases = sorted(
        {public_url.rstrip("/"), public_url.rstrip("/").replace("127.0.0.1", "localhost")}
    )
    return provider_config(
        resident_bases=bases,
        staff_bases=bases,
        resident_key=resident_key,
        staff_key=staff_key,
        back_channel_base=public_url,
    )
