from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models

from townsquare.core import clock


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True, is_platform_admin=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: citizens (no memberships) and council staff (one membership each)."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    # Django admin access; unrelated to council roles.
    is_staff = models.BooleanField(default=False)
    # Runs the deployment: may act in every council.
    is_platform_admin = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    SUPERVISOR = "supervisor", "Supervisor"
    COUNCIL_ADMIN = "council_admin", "Council admin"


class Membership(models.Model):
    """A user's role in one council. The string references keep accounts below councils."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    council = models.ForeignKey(
        "councils.Council", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    team = models.ForeignKey(
        "councils.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "council"], name="one_role_per_council")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} @ {self.council_id}"


class KeyType(models.TextChoices):
    """GOV.UK Notify's three kinds of key (ADR 120)."""

    # Acts for real.
    LIVE = "live", "Live"
    # For trying an integration against real data: what it does is emailed only to the
    # council's own staff, never texted (ADR 158). No guest list exists yet, whatever the label.
    TEAM = "team", "Team and guest list"
    # Its cases are marked as tests: nothing is sent about them and nothing of them is public;
    # it changes no other case (ADR 158).
    TEST = "test", "Test"


class Scope(models.TextChoices):
    """What a key may do through the REST API (ADR 120). Open311 needs none: it acts as a
    member of the public (ADR 9)."""

    READ_PUBLIC = "read_public", "Read cases, without personal data"
    READ_PERSONAL = "read_personal", "Read reporters' names and contact details"
    WRITE_CASES = "write_cases", "Create, move on, assign and update cases"
    ADMIN = "admin", "Manage the council's webhooks"


class ApiKey(models.Model):
    """A key a council gives one client system (FixMyStreet, a back-office system). Only a
    hash is kept; the key itself is shown once, when created."""

    council = models.ForeignKey(
        "councils.Council", on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, help_text="The client system, e.g. FixMyStreet")
    # The first characters of the key, kept in clear so people can tell keys apart.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    key_type = models.CharField(max_length=10, choices=KeyType.choices, default=KeyType.LIVE)
    # Scope values; a key has at least one.
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_label = models.CharField(max_length=200, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The key stops working then (None: until revoked).
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set on the old key when it is rotated: the new key, and the old one works until
    # `expires_at`, so clients can change over without a gap.
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["council_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def test_mode(self) -> bool:
        """Test keys' cases are marked as tests: kept out of everything public, sent nothing."""
        return self.key_type == KeyType.TEST

    def is_active_at(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def is_active(self) -> bool:
        return self.is_active_at(clock.now())

    @property
    def scope_words(self) -> str:
        """The scopes as people read them: "read public, write cases"."""
        return ", ".join(s.replace("_", " ") for s in self.scopes)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class SecondFactor(models.Model):
    """A staff member's TOTP authenticator and recovery codes (stored as hashes, used once).

    The TOTP secret must be readable to check codes, so it is kept as is; the database is as
    sensitive as the passwords' salts. `confirmed_at` is set when the person first proves their
    authenticator works: until then the factor does not count.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="second_factor")
    totp_secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code cannot be replayed within its 30 seconds.
    last_used_step = models.BigIntegerField(default=0)
    # sha256 hex of each unused recovery code.
    recovery_code_hashes = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"2FA for {self.user_id}"


class IdentityProvider(models.Model):
    """A council's own OpenID Provider for its staff (Entra ID, Google Workspace, Okta...).

    A council setting, edited by its admins. Residents' provider (GOV.UK One Login) is one per
    deployment and comes from deployment settings instead. The client authenticates to the
    provider with a private key (private_key_jwt) or, where the provider needs one, a client
    secret, as `client_auth` says. Both are as sensitive as a password: they are kept sealed
    (core.sealed, encrypted with a key derived from SECRET_KEY) and never shown again; the
    private key's public half is what the council registers with its provider.
    """

    class ClientAuth(models.TextChoices):
        PRIVATE_KEY_JWT = "private_key_jwt", "A key pair made here (private_key_jwt)"
        CLIENT_SECRET = "client_secret_post", "A client secret from the provider"

    council = models.OneToOneField(
        "councils.Council", on_delete=models.CASCADE, related_name="identity_provider"
    )
    label = models.CharField(
        max_length=100, help_text="The button's words, e.g. Bristol staff account"
    )
    issuer = models.URLField(max_length=300)
    client_id = models.CharField(max_length=300)
    client_auth = models.CharField(
        max_length=30, choices=ClientAuth.choices, default=ClientAuth.PRIVATE_KEY_JWT
    )
    client_secret_sealed = models.TextField(blank=True)
    private_key_sealed = models.TextField(blank=True)  # the private JWK as JSON, sealed
    scopes = models.CharField(max_length=300, default="openid email profile groups")
    # The ID token or userinfo claim listing the person's groups at the provider.
    groups_claim = models.CharField(max_length=100, default="groups")
    # provider group -> role here; a person in none of these groups may not sign in.
    group_roles = models.JSONField(default=dict, blank=True)
    # Whether staff signing in through the provider still give a Townsquare TOTP code (the
    # council's admin decides: their provider may already require a second factor).
    totp_required = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.label} ({self.issuer})"


class LinkedIdentity(models.Model):
    """An account at an OpenID Provider (issuer + subject) that signs in as this user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    # The verified email the provider gave when the identity was linked.
    email = models.EmailField(blank=True)
    linked_at = models.DateTimeField()
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_identity")
        ]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"


class ProviderSession(models.Model):
    """Which Django session a provider session (its `sid`) signed in, so that a back-channel
    logout from the provider ends exactly the sessions it started."""

    issuer = models.CharField(max_length=300)
    sid = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40)
    started_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["issuer", "sid"]),
            models.Index(fields=["issuer", "subject"]),
        ]

    def __str__(self) -> str:
        return f"{self.sid or self.subject} @ {self.issuer}"


class TokenSeen(models.Model):
    """ID and logout tokens already accepted (by `jti`, or by the token's hash when it has
    none), kept until they expire, so a token cannot be played twice."""

    issuer = models.CharField(max_length=300)
    token_id = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "token_id"], name="token_seen_once")
        ]

    def __str__(self) -> str:
        return f"{self.token_id} @ {self.issuer}"
