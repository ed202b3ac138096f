from __future__ import annotations

import numpy as np

from townsquare.consultations.opinion import opinion_groups


def _two_camps(seed: int = 1, people: int = 200, statements: int = 8):
    rng = np.random.default_rng(seed)
    camp = rng.integers(0, 2, size=people)
    leaning = np.where(camp[:, None] == 0, 0.9, 0.1) * np.ones((1, statements))
    leaning[:, 0] = 0.9  # everyone agrees with the first statement
    agree = rng.random((people, statements)) < leaning
    votes = np.where(agree, 1.0, -1.0)
    votes[rng.random((people, statements)) < 0.1] = 0.0  # some pass
    return votes, camp


def test_planted_camps_are_found_with_common_ground():
    votes, _camp = _two_camps()
    found = opinion_groups(votes, seed=20)
    assert found is not None and len(found.groups) == 2
    assert sum(g.size for g in found.groups) == found.participants
    assert [i for i, _ in found.common_ground] == [0]
    assert all(g.distinctive for g in found.groups)


def test_the_same_votes_and_seed_give_the_same_groups():
    votes, _ = _two_camps(seed=7)
    first, again = opinion_groups(votes, seed=3), opinion_groups(votes.copy(), seed=3)
    assert first == again


def test_too_few_people_say_nothing():
    assert opinion_groups(np.ones((5, 4)), seed=1) is None
    assert opinion_groups(np.zeros((50, 4)), seed=1) is None
