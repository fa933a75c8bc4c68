"""The simulator's order flow fitted to what a channel's customers did (`FlowHistory`).

Each parameter is the plain estimate of the quantity the simulator draws: a share is the share
observed, order values are log-normal (the simulator's distribution) fitted by the mean and the
variance of their logarithms, and the daily order count follows a Poisson rate that compounds
every 30 days, fitted by maximum likelihood. These are floats: flow parameters are statistics, not
money; they become Decimal (4 places) for the scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ..simulator.run import SECOND_REFUND_SHARE
from ..simulator.scenario import Flow
from .ledger_figures import FlowHistory

# New customers keep coming through the forecast: the store's market is not known to be bounded.
UNBOUNDED_CUSTOMERS = 1_000_000_000
DEFAULT_REFUND_DAYS = 14
# A trend read from fewer days is mostly the days' noise, and a year compounds it: shorter
# histories forecast a steady flow at their average rate.
MIN_TREND_DAYS = 28


@dataclass(frozen=True)
class Fit:
    flow: Flow
    # How many observations each parameter rests on: few means a rough estimate.
    observations: dict[str, int]


def _share(part: int, whole: int, default: Decimal) -> Decimal:
    return _decimal(part / whole) if whole else default


def _decimal(value: float, places: str = "0.0001") -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(places))


def order_rate(counts: list[int]) -> tuple[float, float]:
    """Poisson regression log(rate_t) = a + b t over days t = 0..n-1, by Newton's method;
    returns (rate on day n, the day after the window, and b)."""
    n = len(counts)
    total = sum(counts)
    if total == 0:
        return 0.0, 0.0
    a, b = math.log(total / n), 0.0
    if n > 1:
        for _ in range(50):
            rates = [math.exp(a + b * t) for t in range(n)]
            # Gradient and Hessian of the log-likelihood sum(c_t (a + b t) - rate_t).
            ga = sum(c - r for c, r in zip(counts, rates, strict=True))
            gb = sum(t * (c - r) for t, (c, r) in enumerate(zip(counts, rates, strict=True)))
            haa = sum(rates)
            hab = sum(t * r for t, r in enumerate(rates))
            hbb = sum(t * t * r for t, r in enumerate(rates))
            det = haa * hbb - hab * hab
            if det <= 0:
                break
            da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
            a, b = a + da, b + db
            if abs(da) < 1e-10 and abs(db) < 1e-10:
                break
    return math.exp(a + b * n), b


def fit_flow(history: FlowHistory) -> Fit:
    defaults = Flow()
    placed = sum(history.placed_per_day)
    days = len(history.placed_per_day)
    if days >= MIN_TREND_DAYS:
        rate, slope = order_rate(history.placed_per_day)
    else:
        rate, slope = placed / max(1, days), 0.0
    # A month's growth, bounded as the scenario parser bounds it.
    growth = min(max(math.exp(30 * slope) - 1, -0.99), 10.0)
    plain = [float(a) for a, gift, _, _ in history.paid if gift == 0 and a > 0]
    gifts = [float(a) for a, gift, _, _ in history.paid if gift > 0]
    if plain:
        logs = [math.log(a) for a in plain]
        mu = sum(logs) / len(logs)
        var = sum((x - mu) ** 2 for x in logs) / max(1, len(logs) - 1)
        mean, spread = math.exp(mu + var / 2), math.sqrt(math.expm1(var))
    else:
        mean, spread = float(defaults.average_order_value), float(defaults.order_value_spread)
    paid = len(history.paid)
    refunded = history.refunded_part + history.refunded_full
    # A partial refund is followed by a refund of the rest SECOND_REFUND_SHARE of the time, so
    # P(refunded in full) = f + (1 - f) x SECOND_REFUND_SHARE.
    if refunded:
        in_full = history.refunded_full / refunded
        full_share = (in_full - SECOND_REFUND_SHARE) / (1 - SECOND_REFUND_SHARE)
        full_share = _decimal(min(max(full_share, 0.0), 1.0))
    else:
        full_share = defaults.full_refund_share
    member_paid = history.member_orders
    member_placed = placed - history.guest_orders
    flow = Flow(
        orders_per_day=_decimal(rate, "0.01"),
        monthly_growth=_decimal(growth),
        average_order_value=_decimal(mean, "0.01") if mean > 0 else defaults.average_order_value,
        order_value_spread=_decimal(spread),
        customers=UNBOUNDED_CUSTOMERS,
        returning_share=_share(
            max(0, member_placed - history.new_members),
            member_placed,
            defaults.returning_share,
        ),
        guest_share=_share(history.guest_orders, placed, defaults.guest_share),
        cancel_rate=_share(history.cancelled, history.cancelled + paid, defaults.cancel_rate),
        refund_rate=_share(refunded, history.settled_for_refunds, defaults.refund_rate),
        full_refund_share=full_share,
        refund_within_days=max(history.refund_delays, default=DEFAULT_REFUND_DAYS) or 1,
        gift_package_share=_share(len(gifts), paid, defaults.gift_package_share),
        gift_package_value=_decimal(sum(gifts) / len(gifts), "0.01")
        if gifts
        else defaults.gift_package_value,
        referral_rate=_share(
            history.referred_new_members, history.new_members, defaults.referral_rate
        ),
        redemption_rate=_share(history.redemptions, member_paid, defaults.redemption_rate),
        # Only a wallet holding credit can be spent, which a first order's seldom does.
        wallet_spend_rate=_share(
            history.wallet_spends, history.returning_member_orders, defaults.wallet_spend_rate
        ),
    )
    observations = {
        "orders_per_day": days,
        "monthly_growth": days if days >= MIN_TREND_DAYS else 0,
        "average_order_value": len(plain),
        "order_value_spread": len(plain),
        "returning_share": member_placed,
        "guest_share": placed,
        "cancel_rate": history.cancelled + paid,
        "refund_rate": history.settled_for_refunds,
        "full_refund_share": refunded,
        "refund_within_days": len(history.refund_delays),
        "gift_package_share": paid,
        "gift_package_value": len(gifts),
        "referral_rate": history.new_members,
        "redemption_rate": member_paid,
        "wallet_spend_rate": history.returning_member_orders,
    }
    return Fit(flow, observations)
