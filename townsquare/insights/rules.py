"""Pure rules for anomaly alerts: how many reports to expect, and how unusual a count is."""

from __future__ import annotations

import math
from dataclasses import dataclass

# An alert needs at least this many reports, however few were expected: a few reports of the
# same thing in an area are everyday, whatever a model says.
MIN_COUNT = 6
# ...and a count that would happen by chance less than once in this many windows like it.
RARITY = 1_000_000
# Reports come in clumps (one fallen tree, five calls), so counts vary more than a Poisson
# process would; counts and expectations are divided by this before the Poisson tail is taken
# (a quasi-Poisson model). 4 keeps a real 2015 year of Boston free of alerts in quiet weeks.
DISPERSION = 4.0
# Smoothing for thin history: an area with no past reports is not taken as "never happens".
PRIOR_SHARE_WEIGHT = 1.0


def poisson_tail(count: int, expected: float) -> float:
    """P(X >= count) for X ~ Poisson(expected)."""
    if count <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    # 1 - P(X <= count - 1), summed in log space to stay exact for small tails.
    term = math.exp(-expected)
    below = term
    for k in range(1, count):
        term *= expected / k
        below += term
    tail = 1.0 - below
    if tail < 1e-12:
        # Cancellation: sum the tail directly instead.
        log_term = -expected + count * math.log(expected) - math.lgamma(count + 1)
        term = math.exp(log_term)
        tail = 0.0
        k = count
        while term > tail * 1e-16 and k < count + 1000:
            tail += term
            k += 1
            term *= expected / k
    return max(0.0, min(1.0, tail))


@dataclass(frozen=True)
class Expectation:
    daily_level: float  # the service's reports per day lately, whole council
    hour_of_week_share: float  # share of a week's reports that fall in this hour of the week
    area_share: float  # share of the service's reports that come from this area
    window_hours: float

    @property
    def expected(self) -> float:
        # A week's reports, the part of them in this hour of the week, the part in this area.
        return self.daily_level * 7 * self.hour_of_week_share * self.window_hours * self.area_share


def area_share(area_count: int, service_count: int, areas: int) -> float:
    """The area's share of the service's reports, smoothed towards an even spread."""
    areas = max(areas, 1)
    return (area_count + PRIOR_SHARE_WEIGHT) / (service_count + PRIOR_SHARE_WEIGHT * areas)


def hour_share(hour_count: int, total: int) -> float:
    """Share of the week in this hour of the week, smoothed towards 1/168."""
    return (hour_count + 1) / (total + 168)


def unusualness(count: int, expected: float) -> float:
    """Chance of a count at least this high if nothing unusual were happening."""
    return poisson_tail(math.ceil(count / DISPERSION), expected / DISPERSION)


def is_anomaly(count: int, expected: float) -> bool:
    return count >= MIN_COUNT and unusualness(count, expected) * RARITY < 1


def rarity_text(probability: float) -> str:
    if probability <= 0:
        return "practically never"
    one_in = 1 / probability
    if one_in >= 1e9:
        return "less than once in a billion such hours"
    if one_in >= 1e6:
        return f"about once in {one_in / 1e6:,.0f} million such hours"
    return f"about once in {one_in:,.0f} such hours"
