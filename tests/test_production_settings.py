"""The production settings documented in docs/operations/production.md pass Django's deployment
checks (`townsquare check --deploy`) without a single warning, and the HTTPS settings they name
come from the environment.

The settings block is read from the document itself, so the checklist and what is checked
cannot drift apart. Settings are read once at start-up, so each check runs in a new process."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "docs" / "operations" / "production.md"
_BLOCK = re.compile(r"```env\n(.*?)```", re.DOTALL)


def documented_settings() -> dict[str, str]:
    blocks = _BLOCK.findall(CHECKLIST.read_text())
    assert len(blocks) == 1, "production.md should hold exactly one ```env block"
    values = {}
    for line in blocks[0].splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _filled_in(values: dict[str, str], var_dir: Path) -> dict[str, str]:
    """Placeholders (<...>) as an operator would fill them; the machine's paths for this one."""
    filled = {}
    for name, value in values.items():
        if name == "SECRET_KEY":
            value = secrets.token_urlsafe(50)
        elif name == "TOWNSQUARE_VAR_DIR":
            value = str(var_dir)
        filled[name] = re.sub(r"<[^>]*>", "placeholder", value)
    return filled


def _run(code: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what a service's environment file gives it, so the test machine's settings
    # (DATABASE_URL, DEBUG...) cannot make the check pass.
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(env.get("TOWNSQUARE_VAR_DIR", ROOT))}
    return subprocess.run(  # noqa: S603 - our own argv
        [sys.executable, *code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_documented_production_settings_pass_the_deploy_checks(tmp_path):
    env = _filled_in(documented_settings(), tmp_path)
    result = _run(["-m", "townsquare.cli", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_them_the_deploy_checks_name_what_is_missing(tmp_path):
    """The check the test above relies on does fail: the defaults are for a machine without a
    certificate (the demo), and it says so."""
    result = _run(
        ["-m", "townsquare.cli", "check", "--deploy", "--fail-level", "WARNING"],
        {"TOWNSQUARE_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_https_settings_come_from_the_environment(tmp_path):
    env = _filled_in(documented_settings(), tmp_path)
    shown = _run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)",
        ],
        {**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
