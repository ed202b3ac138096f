"""A template's workflow as a pure state machine: no ORM, so rules are tested in microseconds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class State:
    code: str
    name: str
    public: bool
    open311: str
    fms: str
    message: str = ""

    @property
    def is_closed(self) -> bool:
        return self.open311 == "closed"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: frozenset[str]
    name: str


class Workflow:
    def __init__(self, document: dict[str, Any]) -> None:
        self.initial: str = document["initial"]
        self.states: dict[str, State] = {
            s["code"]: State(
                code=s["code"],
                name=s["name"],
                public=s.get("public", True),
                open311=s["open311"],
                fms=s["fms"],
                message=s.get("message", ""),
            )
            for s in document["states"]
        }
        transitions = []
        for t in document["transitions"]:
            sources = [t["from"]] if isinstance(t["from"], str) else t["from"]
            for source in sources:
                transitions.append(
                    Transition(
                        source=source,
                        target=t["to"],
                        roles=frozenset(t["roles"]),
                        name=t.get("name") or self.states[t["to"]].name,
                    )
                )
        self.transitions: tuple[Transition, ...] = tuple(transitions)

    def state(self, code: str) -> State:
        return self.states[code]

    def transitions_from(self, state: str, roles: frozenset[str] | set[str]) -> list[Transition]:
        """Transitions out of `state` that someone holding any of `roles` may take."""
        return [t for t in self.transitions if t.source == state and t.roles & set(roles)]

    def transition(self, source: str, target: str) -> Transition | None:
        for t in self.transitions:
            if t.source == source and t.target == target:
                return t
        return None

    def citizen_transitions(self, state: str) -> list[Transition]:
        """The moves the template gives the person who made the case (role `citizen`)."""
        return self.transitions_from(state, {"citizen"})

    def reply_transition(self, state: str) -> Transition | None:
        """The citizen's move out of a state that waits for them ("more information needed"):
        one into an open state. Their reply takes it; a move into a closed state (withdraw)
        is a decision of its own, not an answer."""
        for transition in self.citizen_transitions(state):
            if not self.states[transition.target].is_closed:
                return transition
        return None

    @cached_property
    def closed_states(self) -> frozenset[str]:
        return frozenset(code for code, s in self.states.items() if s.is_closed)

    @cached_property
    def public_states(self) -> frozenset[str]:
        return frozenset(code for code, s in self.states.items() if s.public)
