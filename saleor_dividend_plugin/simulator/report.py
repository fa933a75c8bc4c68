"""What a run shows the store owner: figures per day, a summary, sustainability warnings, plots.

Money leaves the simulator as Decimal strings in the scenario's currency; plots convert to floats
for drawing only.
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..kernel.rules import from_minor
from .run import Result

# The trailing window whose average daily funding the backlog is measured against.
FUNDING_WINDOW_DAYS = 30
# A queue backlog beyond this many days of dividend funding, growing, cannot be worked off.
QUEUE_BACKLOG_DAYS = 30
# An order joining the queue waits about as many days as the backlog lasts at today's funding;
# beyond this the promise of a free order is empty even if the backlog has stopped growing
# (because the per-customer or length limits keep new orders out).
QUEUE_WAIT_DAYS = 180
# Liabilities beyond this many days of platform funding, growing, outrun the funding.
LIABILITY_DAYS = 365
# "Growing": the second half of the run ends at least this much above where the first ended.
GROWTH = Decimal("1.25")

DAILY_COLUMNS = (
    "date",
    "orders",
    "cancelled",
    "revenue",
    "refunds",
    "funded",
    "queue_paid",
    "referral_paid",
    "released",
    "redeemed",
    "spent",
    "clawed_back",
    "written_off",
    "queue_joined",
    "queue_freed",
    "queue_expired",
    "queue_turned_away",
    "queue_length",
    "queue_unpaid",
    "dividend_pool",
    "release_pool",
    "points_backing",
    "point_value",
    "points_outstanding",
    "points_worth",
    "unreleased_energy",
    "wallets",
    "liabilities",
    "members",
)
MONEY_COLUMNS = {
    "revenue",
    "refunds",
    "funded",
    "queue_paid",
    "referral_paid",
    "released",
    "redeemed",
    "spent",
    "clawed_back",
    "written_off",
    "queue_unpaid",
    "dividend_pool",
    "release_pool",
    "points_backing",
    "points_worth",
    "unreleased_energy",
    "wallets",
    "liabilities",
}


@dataclass(frozen=True)
class SustainabilityWarning:
    code: str
    message: str


def daily_rows(result: Result) -> list[dict]:
    """One row per day, money as Decimal in the currency."""
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


def _trailing_mean(values: list[int], end: int) -> Decimal:
    window = values[max(0, end - FUNDING_WINDOW_DAYS + 1) : end + 1]
    return Decimal(sum(window)) / len(window) if window else Decimal(0)


def _days_of_funding(stock: int, funding_per_day: Decimal) -> Decimal | None:
    """How many days of funding `stock` amounts to; None when nothing funds it any more."""
    if stock <= 0:
        return Decimal(0)
    if funding_per_day <= 0:
        return None
    return Decimal(stock) / funding_per_day


def _outgrows(start: Decimal | None, end: Decimal | None, limit: int) -> bool:
    """A backlog that ends above `limit` days of funding and grew since mid-run (or whose funding
    stopped)."""
    if end is None:
        return True
    if end <= limit:
        return False
    return start is not None and end > start * GROWTH


@dataclass(frozen=True)
class Backlogs:
    """Stocks measured in days of the funding that pays them (trailing average): at mid-run and
    at the end. None: no funding comes in any more."""

    queue_mid: Decimal | None
    queue_end: Decimal | None
    liabilities_mid: Decimal | None
    liabilities_end: Decimal | None


def _liabilities(day) -> int:
    return day.wallets + day.points_worth + day.unreleased_energy


def backlogs(result: Result) -> Backlogs:
    days = result.days
    mid, end = len(days) // 2, len(days) - 1
    pool_funding = [d.totals.pool_funded for d in days]
    funding = [d.totals.funded for d in days]

    def queue(i):
        return _days_of_funding(days[i].queue_unpaid, _trailing_mean(pool_funding, i))

    def owed(i):
        return _days_of_funding(_liabilities(days[i]), _trailing_mean(funding, i))

    return Backlogs(queue(mid), queue(end), owed(mid), owed(end))


def _pace(start: Decimal | None, end: Decimal | None, funding: str) -> str:
    if end is None:
        return f"and no {funding} comes in any more"
    pace = f"{end:.0f} days of the current {funding}"
    if start:
        pace += f", up from {start:.0f} days at mid-run"
    return pace


def sustainability(result: Result) -> list[SustainabilityWarning]:
    """Warnings when the configuration cannot sustain itself with the run's order flow."""
    days = result.days
    if not days:
        return []
    state, config, total = result.state, result.scenario.config, result.tally.total
    last = days[-1]
    measured = backlogs(result)
    freed = Decimal(total.freed) * 100 / max(1, total.joined)
    warnings = []

    def money(minor: int) -> str:
        return f"{from_minor(minor, state.terms.places):,f} {result.scenario.currency}"

    def warn(code: str, message: str) -> None:
        warnings.append(SustainabilityWarning(code, message))

    if total.turned_away:
        share = Decimal(total.turned_away) * 100 / (total.joined + total.turned_away)
        warn(
            "queue_full",
            f"The queue reached its length limit of {config.queue_max_length:,}: "
            f"{total.turned_away:,} paid orders ({share:.0f}% of those that qualified) could "
            "not join it.",
        )
    waiting = f"{last.queue_length:,} orders wait for {money(last.queue_unpaid)}"
    if config.dividend_enabled:
        if _outgrows(measured.queue_mid, measured.queue_end, QUEUE_BACKLOG_DAYS):
            pace = _pace(measured.queue_mid, measured.queue_end, "dividend funding")
            warn(
                "queue_unbounded",
                f"The queue grows without bound: {waiting}, {pace}; "
                f"{freed:.0f}% of the orders that joined were freed.",
            )
        elif measured.queue_end is not None and measured.queue_end > QUEUE_WAIT_DAYS:
            warn(
                "queue_backlog",
                f"The queue does not clear: {waiting}, "
                f"{measured.queue_end:.0f} days of the current dividend funding, so an order "
                f"joining now waits about that long; {freed:.0f}% of the orders that joined "
                "were freed.",
            )
    if _outgrows(measured.liabilities_mid, measured.liabilities_end, LIABILITY_DAYS):
        pace = _pace(measured.liabilities_mid, measured.liabilities_end, "platform funding")
        warn(
            "liabilities_outrun_funding",
            "Liabilities outrun funding: customers hold "
            f"{money(_liabilities(last))} (wallets {money(last.wallets)}, points "
            f"{money(last.points_worth)}, unreleased energy {money(last.unreleased_energy)}), "
            f"{pace}.",
        )
    return warnings


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
        "days_of_funding": _days_figures(result),
        "warnings": [{"code": w.code, "message": w.message} for w in sustainability(result)],
    }


def _days_figures(result: Result) -> dict | None:
    if not result.days:
        return None
    measured = backlogs(result)

    def days(value):
        return None if value is None else str(value.quantize(Decimal(1)))

    return {
        "queue_backlog": {"mid_run": days(measured.queue_mid), "end": days(measured.queue_end)},
        "liabilities": {
            "mid_run": days(measured.liabilities_mid),
            "end": days(measured.liabilities_end),
        },
    }


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(data) -> str:
    return json.dumps(data, indent=2, default=_json_default)


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DAILY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_text(data: dict) -> str:
    s, q, p = data["scenario"], data["queue"], data["platform"]
    cur = s["currency"]
    waits = q["waiting_days_until_free"]
    lines = [
        f"Scenario {s['name']}: {s['days']} days from {s['start']} ({cur})",
        f"  orders      {data['orders']['paid']:,} paid, {data['orders']['cancelled']:,} "
        f"cancelled; revenue {data['orders']['revenue']}, refunds {data['orders']['refunds']}",
        f"  queue       {q['joined']:,} joined, {q['freed']:,} freed "
        f"({_percent(q['share_freed'])}), {q['waiting']:,} waiting for {q['unpaid']}; "
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
        f"  platform    funded {p['funded']} ({_percent(p['cost_share_of_revenue'])} of net "
        f"revenue), paid to customers {p['paid_to_customers']} "
        f"({_percent(p['paid_share_of_revenue'])})",
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


def _percent(share: str | None) -> str:
    return "n/a" if share is None else f"{Decimal(share) * 100:.1f}%"


PLOTS = {
    "flow.png": "Orders and revenue per day",
    "queue.png": "Free-order queue: length and unpaid remainder",
    "waiting.png": "Days from joining the queue until free",
    "pools.png": "Pool balances",
    "point_value.png": "Point value",
    "released.png": "Credit released per day",
    "liabilities.png": "Outstanding liabilities and funding",
    "cost.png": "Platform cost as a share of revenue",
}


def plot(result: Result, directory: Path) -> list[Path]:
    """Draw the run into PNG files in `directory`; needs matplotlib (the `demo` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rows = daily_rows(result)
    cur = result.scenario.currency
    dates = [r["date"] for r in rows]
    x = list(range(len(rows)))
    ticks = x[:: max(1, len(x) // 8)]

    def series(name):
        return [float(r[name]) for r in rows]

    def cumulative(name):
        running, out = 0.0, []
        for r in rows:
            running += float(r[name])
            out.append(running)
        return out

    def figure(name, draw):
        fig, ax = pyplot.subplots(figsize=(8, 4.2))
        draw(ax)
        ax.set_title(f"{PLOTS[name]} ({result.scenario.name})")
        if name != "waiting.png":
            ax.set_xticks(ticks, [dates[i] for i in ticks], rotation=30, ha="right")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = directory / name
        fig.savefig(path, dpi=90)
        pyplot.close(fig)
        return path

    def flow(ax):
        ax.bar(x, series("orders"), color="#9ab", label="paid orders")
        ax.set_ylabel("orders")
        twin = ax.twinx()
        twin.plot(x, series("revenue"), color="#c53", label=f"revenue ({cur})")
        twin.set_ylabel(cur)
        ax.legend(loc="upper left")
        twin.legend(loc="upper right")

    def queue(ax):
        ax.plot(x, series("queue_length"), label="orders waiting")
        ax.set_ylabel("orders")
        twin = ax.twinx()
        twin.plot(x, series("queue_unpaid"), color="#c53", label=f"unpaid ({cur})")
        twin.set_ylabel(cur)
        ax.legend(loc="upper left")
        twin.legend(loc="upper right")

    def waiting(ax):
        waits = [s / 86400 for s in result.tally.wait_seconds]
        if waits:
            ax.hist(waits, bins=40, color="#5a8")
        ax.set_xlabel("days until free")
        ax.set_ylabel("freed orders")

    def pools(ax):
        for name, label in (
            ("dividend_pool", "dividend pool"),
            ("release_pool", "release pool"),
            ("points_backing", "points backing"),
        ):
            ax.plot(x, series(name), label=label)
        ax.set_ylabel(cur)
        ax.legend()

    def point_value(ax):
        ax.plot(x, series("point_value"))
        ax.set_ylabel(f"{cur} per point")

    def released(ax):
        ax.bar(x, series("released"), color="#9ab", label="released that day")
        ax.set_ylabel(cur)
        twin = ax.twinx()
        twin.plot(x, cumulative("released"), color="#c53", label="released in all")
        ax.legend(loc="upper left")
        twin.legend(loc="upper right")

    def liabilities(ax):
        ax.stackplot(
            x,
            series("wallets"),
            series("points_worth"),
            series("unreleased_energy"),
            labels=["wallets", "points worth", "unreleased energy"],
            alpha=0.7,
        )
        ax.plot(x, cumulative("funded"), color="black", label="funded in all")
        ax.set_ylabel(cur)
        ax.legend(loc="upper left")

    def cost(ax):
        funded, revenue, refunds = (
            cumulative("funded"),
            cumulative("revenue"),
            cumulative("refunds"),
        )
        paid_parts = [
            cumulative(n) for n in ("queue_paid", "referral_paid", "released", "redeemed")
        ]
        clawed = cumulative("clawed_back")
        net = [max(r - f, 1e-9) for r, f in zip(revenue, refunds, strict=True)]
        ax.plot(x, [100 * f / n for f, n in zip(funded, net, strict=True)], label="funded")
        paid = [sum(p[i] for p in paid_parts) - clawed[i] for i in x]
        ax.plot(x, [100 * p / n for p, n in zip(paid, net, strict=True)], label="paid to customers")
        ax.set_ylabel("% of net revenue (cumulative)")
        ax.legend()

    drawers = {
        "flow.png": flow,
        "queue.png": queue,
        "waiting.png": waiting,
        "pools.png": pools,
        "point_value.png": point_value,
        "released.png": released,
        "liabilities.png": liabilities,
        "cost.png": cost,
    }
    directory.mkdir(parents=True, exist_ok=True)
    return [figure(name, draw) for name, draw in drawers.items()]


def write_report(result: Result, directory: Path, plots: bool = True) -> dict:
    """summary.json, daily.csv, the plots and an index.html naming them. Returns the summary."""
    directory.mkdir(parents=True, exist_ok=True)
    data = summary(result)
    images = plot(result, directory) if plots else []
    data["plots"] = [p.name for p in images]
    (directory / "summary.json").write_text(to_json(data))
    (directory / "daily.csv").write_text(to_csv(daily_rows(result)))
    (directory / "index.html").write_text(
        index_html(
            f"Simulation: {result.scenario.name}",
            to_text(data),
            [(p.name, PLOTS[p.name]) for p in images],
            ["summary.json", "daily.csv"],
        )
    )
    return data


def index_html(title: str, text: str, images: list[tuple[str, str]], files: list[str]) -> str:
    body = [f"<h1>{html.escape(title)}</h1>", f"<pre>{html.escape(text)}</pre>"]
    body += [f'<p><a href="{html.escape(f)}">{html.escape(f)}</a></p>' for f in files]
    for name, caption in images:
        body.append(
            f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
