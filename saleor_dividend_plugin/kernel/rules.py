"""The arithmetic of the rules in integers.

Both shells compute with these: the simulator through `events`, the store's order path through
`events` too, and the store's daily release (`release.py`) by streaming a channel's members
through `release_total` and `release_amounts` a slice at a time.

Amounts are integers in the currency's minor unit; configuration decimals (never more than 8
places, see `config._decimal`) are integers scaled by `SCALE`.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

SCALE_PLACES = 8
SCALE = 10**SCALE_PLACES
# The release unit value is truncated to this many places (release.UNIT_SCALE).
UNIT_PLACES = 20
POINT_VALUE_PLACES = Decimal("0.00000001")  # as PointValue.value stores it


def scaled(value: Decimal) -> int:
    """A configuration decimal as an integer of 10**-8 units (exact: the parser allows 8 places)."""
    return int(value.scaleb(SCALE_PLACES))


def to_minor(amount: Decimal, minor_units: int) -> int:
    return int(amount.scaleb(minor_units).to_integral_value(rounding=ROUND_DOWN))


def from_minor(amount: int, minor_units: int) -> Decimal:
    return Decimal(amount).scaleb(-minor_units)


def release_unit(budget: int, weighted: int) -> int:
    """The release unit value u = trunc(B / sum(contribution x weight), 20), in 10**-20 units,
    from the budget in minor units and the weighted contribution in 10**-(minor units + 8): what
    a release row shows (release.UNIT_SCALE); the amounts are computed without it."""
    return budget * 10 ** (SCALE_PLACES + UNIT_PLACES) // weighted


def weighted_contribution(contribution: int, weight: int) -> int:
    """What a member's share of the release is proportional to: contribution (minor units) x
    its tier's release weight (scaled), in 10**-(minor units + 8)."""
    return contribution * weight


def release_total(weighted: list[int], energy: list[int]) -> int:
    """What the budget is split over: the weighted contribution of the members holding energy.
    The total of a channel is the sum of the totals of any split of its members."""
    return sum([w for w, held in zip(weighted, energy, strict=True) if held])


def release_amounts(weighted: list[int], energy: list[int], budget: int, total: int) -> list[int]:
    """Each member's release r = min(energy, round_down(contribution x weight x u)) in minor
    units, with u = budget / total: computed from the exact quotient (contribution x weight x
    budget) / total, rounded down once, as release.py does (a truncated u would shave a cent off
    shares that come out even). Contribution x weight and their total are in the same units;
    0 for a member without energy."""
    return [
        (a if (a := w * budget // total) < held else held) if held else 0
        for w, held in zip(weighted, energy, strict=True)
    ]


def backed_point_value(backing: Decimal, outstanding: Decimal) -> Decimal:
    """Backing per outstanding point, truncated to 8 places (points.backed_value)."""
    if outstanding <= 0:
        return Decimal(0)
    return (backing / outstanding).quantize(POINT_VALUE_PLACES, rounding=ROUND_DOWN)
