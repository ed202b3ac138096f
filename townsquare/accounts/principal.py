"""Principal: who is acting and in which councils, loaded once per request or command."""

from __future__ import annotations

from dataclasses import dataclass, field

from townsquare.core.actors import Actor


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    label: str
    is_platform_admin: bool = False
    # council id -> role in that council (agent, supervisor, council_admin)
    roles: dict[int, str] = field(default_factory=dict)
    # council id -> team id, where the membership names one
    teams: dict[int, int] = field(default_factory=dict)
    # A client system (Open311) acting for the public, named in the audit trail.
    is_api_client: bool = False
    # False for an API key without the read-personal scope (ADR 120): whatever its role, it
    # is shown no reporter's name, contact details or private answers.
    sees_personal_data: bool = True

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(user_id=None, label="Member of the public")

    @classmethod
    def system(cls, label: str = "Townsquare") -> Principal:
        return cls(user_id=None, label=label, is_platform_admin=True)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def council_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def role_in(self, council_id: int) -> str | None:
        return self.roles.get(council_id)

    def as_actor(self) -> Actor:
        if self.user_id is None:
            if self.is_api_client:
                return Actor(kind="api", label=self.label)
            return Actor.system(self.label) if self.is_platform_admin else Actor.anonymous()
        kind = "staff" if (self.roles or self.is_platform_admin) else "citizen"
        return Actor(kind=kind, label=self.label, user_id=self.user_id)
