"""townsquare apikeys create|list|revoke — keys that council client systems use for Open311."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.accounts.models import ApiKey
from townsquare.accounts.services import api_key_create, api_key_revoke
from townsquare.core.actors import Actor
from townsquare.core.errors import DomainError
from townsquare.councils.selectors import council_get


class Command(BaseCommand):
    help = "Create, list and revoke a council's API keys (shown once, stored hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key; prints it once.")
        create.add_argument("--council", required=True, help="Council slug")
        create.add_argument("--name", required=True, help="The client system, e.g. FixMyStreet")
        create.add_argument(
            "--test", action="store_true", help="Test mode: its cases are marked as tests"
        )
        create.add_argument("--type", default="live", help="live, team or test (ADR 120)")
        create.add_argument(
            "--scopes",
            default="read_public",
            help="Comma-separated: read_public, read_personal, write_cases, admin",
        )
        listing = sub.add_parser("list", help="List a council's keys.")
        listing.add_argument("--council", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("--council", required=True)
        revoke.add_argument("prefix", help="The first characters shown by `list`")

    def handle(self, *args, action: str, council: str, **options) -> None:
        try:
            target = council_get(slug=council)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        actor = Actor.system("townsquare apikeys")
        if action == "create":
            try:
                key, raw = api_key_create(
                    council_id=target.id,
                    name=options["name"],
                    actor=actor,
                    key_type="test" if options["test"] else options["type"],
                    scopes=options["scopes"].split(","),
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(
                f"Key for {key.name} at {target.name}"
                f"{' (test mode)' if key.test_mode else ''}:\n\n  {raw}\n\n"
                "Store it now: it is not shown again."
            )
        elif action == "list":
            keys = ApiKey.objects.filter(council=target).order_by("created_at")
            if not keys:
                self.stdout.write(f"{target.name} has no API keys.")
            for key in keys:
                state = "revoked" if key.revoked_at else "active"
                used = key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "never"
                self.stdout.write(
                    f"{key.prefix}…  {key.name:30} {state:8} "
                    f"{'test ' if key.test_mode else ''}last used {used}"
                )
        else:
            matches = list(
                ApiKey.objects.filter(council=target, prefix__startswith=options["prefix"])
            )
            if len(matches) != 1:
                raise CommandError(
                    f"{len(matches)} keys start with {options['prefix']!r}; give more of the prefix"
                )
            api_key_revoke(key=matches[0], actor=actor)
            self.stdout.write(f"Revoked {matches[0]}")
