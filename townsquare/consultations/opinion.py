"""Opinion groups on agree / disagree / pass statements, as Pol.is finds them: each person's
votes are a row (agree 1, disagree -1, pass or unanswered 0), reduced to two principal
components, then grouped by k-means for k from 2 to 5, keeping the k with the best (simplified)
silhouette. Everything random comes from one seeded generator, so the same votes and seed give
the same groups on every machine (ADR 212). Pure numpy, no ORM."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_PARTICIPANTS = 10
MIN_VOTES = 2  # people who voted on fewer statements say too little to place
MAX_GROUPS = 5
# A statement is "what a group thinks" when the group's agreement differs from everyone else's
# by at least this much, and common ground when every group agrees at least this often.
DISTINCT_BY = 0.25
COMMON_GROUND = 0.6


@dataclass(frozen=True)
class GroupStatement:
    index: int
    agree: float  # share of the group who agreed, 0..1
    others_agree: float


@dataclass(frozen=True)
class Group:
    number: int
    size: int
    agree: list[float]  # share agreeing, by statement
    disagree: list[float]
    distinctive: list[GroupStatement]


@dataclass(frozen=True)
class OpinionGroups:
    participants: int
    groups: list[Group]
    common_ground: list[tuple[int, float]]  # statement index, the lowest group's agreement
    seed: int


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 100):
    """Lloyd's k-means with k-means++ starting centres."""
    n = len(points)
    centres = np.empty((k, points.shape[1]))
    centres[0] = points[rng.integers(n)]
    closest = ((points - centres[0]) ** 2).sum(axis=1)
    for i in range(1, k):
        total = closest.sum()
        pick = rng.integers(n) if total == 0 else rng.choice(n, p=closest / total)
        centres[i] = points[pick]
        closest = np.minimum(closest, ((points - centres[i]) ** 2).sum(axis=1))
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        new_labels = distances.argmin(axis=1)
        if _ > 0 and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for i in range(k):
            members = points[labels == i]
            if len(members):
                centres[i] = members.mean(axis=0)
    return labels, centres


def _simplified_silhouette(points: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> float:
    """Silhouette by distances to centres (O(n k) rather than O(n^2))."""
    distances = np.sqrt(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    own = distances[np.arange(len(points)), labels]
    distances[np.arange(len(points)), labels] = np.inf
    nearest_other = distances.min(axis=1)
    scale = np.maximum(own, nearest_other)
    scores = np.where(scale > 0, (nearest_other - own) / np.where(scale > 0, scale, 1), 0.0)
    return float(scores.mean())


def opinion_groups(votes: np.ndarray, *, seed: int = 20) -> OpinionGroups | None:
    """Groups of people who vote alike. `votes`: participants x statements, each 1 (agree),
    -1 (disagree) or 0 (pass, or not voted). None when too few people voted to say."""
    votes = np.asarray(votes, dtype=np.float64)
    if votes.ndim != 2 or votes.shape[1] < 2:
        return None
    voted = (votes != 0).sum(axis=1) >= MIN_VOTES
    votes = votes[voted]
    if len(votes) < MIN_PARTICIPANTS:
        return None
    rng = np.random.default_rng(seed)
    centred = votes - votes.mean(axis=0)
    # Two principal components (as Pol.is draws its map); sign fixed so results never flip.
    _u, _s, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:2]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    points = centred @ (components * signs[:, None]).T
    best = None
    for k in range(2, min(MAX_GROUPS, len(votes) - 1) + 1):
        labels, centres = _kmeans(points, k, rng)
        if len(set(labels.tolist())) < k:
            continue
        score = _simplified_silhouette(points, labels, centres)
        if best is None or score > best[0] + 1e-9:
            best = (score, labels)
    if best is None:
        return None
    labels = best[1]
    # Groups numbered largest first, so "group 1" means the same thing on every run.
    sizes = np.bincount(labels)
    order = sorted(range(len(sizes)), key=lambda g: (-sizes[g], g))
    agrees = (votes == 1).astype(np.float64)
    disagrees = (votes == -1).astype(np.float64)
    groups = []
    shares = {}
    for g in order:
        members = labels == g
        shares[g] = agrees[members].mean(axis=0)
    for number, g in enumerate(order, start=1):
        members = labels == g
        others = ~members
        agree = shares[g]
        others_agree = agrees[others].mean(axis=0)
        gap = agree - others_agree
        distinctive = [
            GroupStatement(int(i), float(agree[i]), float(others_agree[i]))
            for i in np.argsort(-np.abs(gap), kind="stable")[:3]
            if abs(gap[i]) >= DISTINCT_BY
        ]
        groups.append(
            Group(
                number=number,
                size=int(members.sum()),
                agree=[float(x) for x in agree],
                disagree=[float(x) for x in disagrees[members].mean(axis=0)],
                distinctive=distinctive,
            )
        )
    lowest = np.min(np.vstack([shares[g] for g in order]), axis=0)
    common = [
        (int(i), float(lowest[i]))
        for i in np.argsort(-lowest, kind="stable")
        if lowest[i] >= COMMON_GROUND
    ]
    return OpinionGroups(participants=len(votes), groups=groups, common_ground=common, seed=seed)
