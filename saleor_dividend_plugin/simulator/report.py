"""The simulator's side of the report: a run's daily rows, its summary and its text.

Money leaves the simulator as Decimal in the scenario's currency (`rules.from_minor`); the
warnings, the plots and the page are the report module's, shared with the live channel's report.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ..kernel.rules import from_minor
from ..reporting import report
from ..reporting.report import (
    DAILY_COLUMNS,
    MONEY_COLUMNS,
    Report,
    SustainabilityWarning,
    days_of_funding,
    histogram,
    percent,
    to_csv,
    to_json,
)
from .run import Result

__all__ = ["DAILY_COLUMNS", "daily_rows", "summary", "sustainability", "to_csv", "to_json"]


def daily_rows(result: Result) -> list[dict]:
    """One row per day from the tally's day figures, money as Decimal in the currency."""
    places = result.state.terms.places
    rows = []
    for d in result.days:
        t = d.totals
        raw = {
            "date": d.date.isoformat(),
            "orders": t.orders,
            "cancelled": d.cancelled,
            "revenue": t.revenue,
            "refunds": t.refunds,
            "funded": t.funded,
            "pool_funded": t.pool_funded,
            "queue_paid": t.queue_paid,
            "referral_paid": t.referral_paid,
            "released": t.released,
            "redeemed": t.redeemed,
            "spent": t.spent,
            "clawed_back": t.clawed_back,
            "written_off": t.written_off,
            "queue_joined": t.joined,
            "queue_freed": t.freed,
            "queue_expired": t.expired,
            "queue_turned_away": t.turned_away,
            "queue_length": d.queue_length,
            "queue_unpaid": d.queue_unpaid,
            "dividend_pool": d.dividend_pool,
            "release_pool": d.release_pool,
            "points_backing": d.points_backing,
            "point_value": d.point_value,
            "points_outstanding": d.points_outstanding,
            "points_worth": d.points_worth,
            "unreleased_energy": d.unreleased_energy,
            "wallets": d.wallets,
            "liabilities": d.wallets + d.points_worth + d.unreleased_energy,
            "members": d.members,
        }
        rows.append({k: from_minor(v, places) if k in MONEY_COLUMNS else v for k, v in raw.items()})
    return rows


def sustainability(result: Result) -> list[SustainabilityWarning]:
    """Warnings when the configuration cannot sustain itself with the run's order flow."""
    total = result.tally.total
    return report.sustainability(
        daily_rows(result),
        result.scenario.config,
        result.scenario.currency,
        joined=total.joined,
        freed=total.freed,
        turned_away=total.turned_away,
    )


def _percentile(sorted_values: list[int], share: Decimal) -> int:
    index = int((len(sorted_values) - 1) * share)
    return sorted_values[index]


def summary(result: Result) -> dict:
    """The run in figures, ready for JSON (Decimal as strings)."""
    state, scenario = result.state, result.scenario
    places, total = state.terms.places, result.tally.total

    def money(minor: int) -> str:
        return str(from_minor(minor, places))

    last = result.days[-1] if result.days else None
    net_revenue = total.revenue - total.refunds
    paid = (
        total.queue_paid + total.referral_paid + total.released + total.redeemed - total.clawed_back
    )
    waits = sorted(result.tally.wait_seconds)
    waiting_days = (
        {
            name: str((Decimal(_percentile(waits, Decimal(q))) / 86400).quantize(Decimal("0.1")))
            for name, q in (("p50", "0.5"), ("p90", "0.9"), ("p99", "0.99"), ("max", "1"))
        }
        if waits
        else None
    )
    oldest = next((e for e in state.queue if e.status == "waiting"), None)
    tiers = state.tier_counts()
    liabilities = {
        "wallets": money(last.wallets if last else 0),
        "points_worth": money(last.points_worth if last else 0),
        "unreleased_energy": money(last.unreleased_energy if last else 0),
        "total": money(last.wallets + last.points_worth + last.unreleased_energy if last else 0),
    }

    def share_of_revenue(minor: int) -> str | None:
        if net_revenue <= 0:
            return None
        return str((Decimal(minor) / net_revenue).quantize(Decimal("0.0001")))

    return {
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "currency": scenario.currency,
            "start": scenario.start.isoformat(),
            "days": scenario.days,
            "seed": scenario.seed,
            "flow": {k: str(v) for k, v in vars(scenario.flow).items()},
            "config": scenario.config.to_strings(),
        },
        "orders": {
            "placed": total.orders + result.cancelled,
            "cancelled": result.cancelled,
            "paid": total.orders,
            "revenue": money(total.revenue),
            "refunds": money(total.refunds),
            "net_revenue": money(net_revenue),
        },
        "queue": {
            "joined": total.joined,
            "freed": total.freed,
            "share_freed": str((Decimal(total.freed) / total.joined).quantize(Decimal("0.0001")))
            if total.joined
            else None,
            "waiting_days_until_free": waiting_days,
            "waiting": last.queue_length if last else 0,
            "unpaid": money(last.queue_unpaid if last else 0),
            "oldest_waiting_days": str(
                (Decimal(result.end - oldest.created) / 86400).quantize(Decimal("0.1"))
            )
            if oldest is not None
            else None,
            "expired": total.expired,
            "turned_away": total.turned_away,
        },
        "pools": {
            "dividend": money(state.dividend_pool),
            "release": money(state.release_pool),
            "points_backing": money(state.backing),
        },
        "points": {
            "value": str(last.point_value) if last else None,
            "outstanding": state.outstanding_points(),
            "worth": liabilities["points_worth"],
        },
        "released": money(total.released),
        "liabilities": liabilities,
        "platform": {
            "funded": money(total.funded),
            "paid_to_customers": money(paid),
            "cost_share_of_revenue": share_of_revenue(total.funded),
            "paid_share_of_revenue": share_of_revenue(paid),
            "written_off": money(total.written_off),
        },
        "members": {
            "count": state.member_count(),
            "tiers": {t.code: n for t, n in zip(scenario.config.tiers, tiers, strict=True)},
        },
        "days_of_funding": days_of_funding(daily_rows(result)),
        "warnings": [{"code": w.code, "message": w.message} for w in sustainability(result)],
    }


def to_text(data: dict) -> str:
    s, q, p = data["scenario"], data["queue"], data["platform"]
    cur = s["currency"]
    waits = q["waiting_days_until_free"]
    lines = [
        f"Scenario {s['name']}: {s['days']} days from {s['start']} ({cur})",
        f"  orders      {data['orders']['paid']:,} paid, {data['orders']['cancelled']:,} "
        f"cancelled; revenue {data['orders']['revenue']}, refunds {data['orders']['refunds']}",
        f"  queue       {q['joined']:,} joined, {q['freed']:,} freed "
        f"({percent(q['share_freed'])}), {q['waiting']:,} waiting for {q['unpaid']}; "
        f"expired {q['expired']:,}, "
        f"turned away {q['turned_away']:,}",
        "  until free  "
        + (
            f"p50 {waits['p50']} days, p90 {waits['p90']}, p99 {waits['p99']}, max {waits['max']}"
            if waits
            else "no order was freed"
        ),
        f"  pools       dividend {data['pools']['dividend']}, release {data['pools']['release']},"
        f" points backing {data['pools']['points_backing']}",
        f"  points      value {data['points']['value']}, {data['points']['outstanding']:,} "
        f"outstanding worth {data['points']['worth']}",
        f"  released    {data['released']}",
        f"  liabilities {data['liabilities']['total']} (wallets {data['liabilities']['wallets']}, "
        f"points {data['liabilities']['points_worth']}, unreleased energy "
        f"{data['liabilities']['unreleased_energy']})",
        f"  platform    funded {p['funded']} ({percent(p['cost_share_of_revenue'])} of net "
        f"revenue), paid to customers {p['paid_to_customers']} "
        f"({percent(p['paid_share_of_revenue'])})",
        f"  members     {data['members']['count']:,}: "
        + ", ".join(f"{code} {n:,}" for code, n in data["members"]["tiers"].items()),
    ]
    funded = data["days_of_funding"]
    if funded:

        def days(value):
            return "no funding" if value is None else f"{value} days"

        lines.append(
            f"  backlog     queue {days(funded['queue_backlog']['end'])} of dividend funding "
            f"({days(funded['queue_backlog']['mid_run'])} at mid-run); liabilities "
            f"{days(funded['liabilities']['end'])} of platform funding "
            f"({days(funded['liabilities']['mid_run'])} at mid-run)"
        )
    if data["warnings"]:
        lines += ["", "WARNING: this configuration cannot sustain itself with this order flow."]
        lines += [f"  [{w['code']}] {w['message']}" for w in data["warnings"]]
    else:
        lines += ["", "No sustainability warning."]
    return "\n".join(lines) + "\n"


def build(result: Result, title: str | None = None) -> Report:
    data = summary(result)
    waits = [Decimal(s) / 86400 for s in result.tally.wait_seconds]
    return Report(
        title=title or f"Simulation: {result.scenario.name}",
        name=result.scenario.name,
        currency=result.scenario.currency,
        rows=daily_rows(result),
        waits=histogram(waits),
        summary=data,
        text=to_text(data),
    )


def write_report(result: Result, directory: Path, plots: bool = True) -> dict:
    """summary.json, daily.csv, the plots and an index.html naming them. Returns the summary."""
    return report.write_report(build(result), directory, plots)
