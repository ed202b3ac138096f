"""townsquare identity_provider --port 9010 — the demo's local OpenID Provider.

Runs scripts/oidc-provider (oidc-provider from npm, configured like GOV.UK One Login) on
127.0.0.1 with the demo's people, after making the demo's client keys and connecting Bristol's
staff sign-in to it. For the demo and development only: anyone can sign in as anyone there.
"""

from __future__ import annotations

import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.demo import identity


class Command(BaseCommand):
    help = "Run the demo's local OpenID Provider (GOV.UK One Login-like) until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=9010)

    def handle(self, *args, port: int, **options) -> None:
        reason = identity.missing()
        if reason:
            raise CommandError(reason)
        issuer = f"http://127.0.0.1:{port}"
        # `make run` stops this with SIGTERM: stop the provider too rather than orphan it.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        config = identity.demo_identity_ensure(
            var_dir=settings.VAR_DIR, public_url=settings.PUBLIC_URL, issuer=issuer
        )
        try:
            process = identity.provider_start(
                config=config,
                config_path=settings.VAR_DIR / "identity" / "provider.json",
                port=port,
                log_path=settings.VAR_DIR / "identity" / "provider.log",
            )
        except identity.ProviderUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo OpenID Provider (GOV.UK One Login-like) at {issuer}\n")
        self.stdout.flush()
        try:
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            process.terminate()
            process.wait(timeout=10)
