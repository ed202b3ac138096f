"""Levels of confidence in who someone is (docs/adr/0091-levels-of-confidence.md).

A service template may require one; a case records the one its applicant reached. They follow
GOV.UK One Login's vectors of trust: `authenticated` is Cl.Cm (signed in with two factors),
`P2` a medium-confidence identity check (Cl.Cm.P2). Pure: no ORM, no requests.
"""

from __future__ import annotations

NONE = "none"
AUTHENTICATED = "authenticated"
P2 = "P2"
LEVELS = (NONE, AUTHENTICATED, P2)
VTR_FOR_LEVEL = {AUTHENTICATED: "Cl.Cm", P2: "Cl.Cm.P2"}
LABELS = {
    NONE: "No sign-in needed",
    AUTHENTICATED: "Signed in",
    P2: "Identity checked (GOV.UK One Login, medium confidence)",
}


def level_of_vot(vot: str | None) -> str:
    """The level a returned vector of trust reaches (P3 and P4 are above P2)."""
    if vot and vot.rsplit(".", 1)[-1] in {"P2", "P3", "P4"}:
        return P2
    return AUTHENTICATED


def level_at_least(reached: str | None, wanted: str | None) -> bool:
    if not wanted or wanted == NONE:
        return True
    if reached not in LEVELS or wanted not in LEVELS:
        return False
    return LEVELS.index(reached) >= LEVELS.index(wanted)
