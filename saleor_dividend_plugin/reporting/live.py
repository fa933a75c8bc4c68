"""The report of a live channel over a period, from its ledger (`ledger_figures`).

Flows are what the ledger posted on each channel day. Stocks (pools, wallets, energy, points, the
queue) are today's balances rolled back day by day through the later days' postings, so the
figures of a past day are what it ended with; the one exception is a queue entry shrunk by a
refund, which counts with its new target on the days before the refund too.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from ..ledger import channel_day
from ..models import Channel
from ..money import ZERO, quantum, round_down
from . import ledger_figures as figures
from .report import FLOW_COLUMNS, MONEY_COLUMNS, Report, days_of_funding, percent, sustainability

DEFAULT_DAYS = 90
MAX_DAYS = 3650
TOP_REFERRERS = 10


class ReportError(ValueError):
    pass


def check_days(days) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ReportError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    return days


def find_channel(slug: str) -> Channel:
    channel = Channel.objects.filter(slug=slug).first()
    if channel is None:
        known = ", ".join(Channel.objects.order_by("slug").values_list("slug", flat=True))
        raise ReportError(f"no rewards channel {slug!r} (channels: {known or 'none'})")
    return channel


def parse_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise ReportError(
            f"days must be a whole number from 1 to {MAX_DAYS}, got {text[:40]!r}"
        ) from None
    return check_days(days)


def channel_report(channel: Channel, days: int = DEFAULT_DAYS) -> Report:
    """The last `days` channel days up to today (today so far included)."""
    days = check_days(days)
    now = timezone.now()
    last = channel_day(channel, now)
    first = last - datetime.timedelta(days=days - 1)
    currency = channel.currency
    moved = figures.movements(channel, first)
    stocks = figures.balances(channel)
    orders = figures.order_days(channel, first, last)
    queue = figures.queue_days(channel, first)
    members_now, members_joined = figures.member_days(channel, first)
    values = figures.point_values(channel, first, last)
    today_value = figures.point_value_today(channel)

    # Roll back from today: walk the days from the latest posting down to `first`, undoing each
    # day's changes after its row is taken.
    latest = max(
        [last, *moved.changes, *(d for _, d in queue.closed), *queue.joined, *members_joined]
    )
    stock = dict(stocks)
    waiting, target, received = queue.waiting, queue.waiting_target, queue.waiting_received
    members = members_now
    closed_by_day: dict = defaultdict(lambda: [0, ZERO, ZERO])
    for (_, day), (count, closed_target, closed_received) in queue.closed.items():
        slot = closed_by_day[day]
        slot[0] += count
        slot[1] += closed_target
        slot[2] += closed_received
    ends: dict[datetime.date, dict] = {}
    day = latest
    while day >= first:
        if day <= last:
            ends[day] = {
                **stock,
                "queue_length": waiting,
                "queue_unpaid": target - received,
                "members": members,
            }
        for name, change in moved.changes.get(day, {}).items():
            stock[name] -= change
        flows = moved.flows.get(day, {})
        joined_count, joined_target = queue.joined.get(day, (0, ZERO))
        closed_count, closed_target, closed_received = closed_by_day.get(day, (0, ZERO, ZERO))
        waiting += closed_count - joined_count
        target += closed_target - joined_target + queue.shrunk.get(day, ZERO)
        received += closed_received - (
            flows.get("queue_paid", ZERO) - flows.get("clawed_back", ZERO)
        )
        members -= members_joined.get(day, 0)
        day -= datetime.timedelta(days=1)

    rows = []
    value = None
    cent = quantum(currency)
    for index in range(days):
        day = first + datetime.timedelta(days=index)
        end, flows = ends[day], moved.flows.get(day, {})
        value = values.get(day, today_value if day == last else value)
        outstanding = -(end["points_issued"] + end["points_written_off"]).quantize(Decimal(1))
        worth = round_down(outstanding * value, currency) if value is not None else ZERO
        paid, revenue = orders.paid.get(day, (0, ZERO))
        row = {
            "date": day.isoformat(),
            "orders": paid,
            "cancelled": orders.cancelled.get(day, 0),
            "revenue": revenue,
            "queue_joined": queue.joined.get(day, (0, ZERO))[0],
            "queue_freed": queue.closed.get(("freed", day), (0,))[0],
            "queue_expired": queue.closed.get(("expired", day), (0,))[0],
            # Orders the queue's limits kept out are not recorded.
            "queue_turned_away": None,
            "queue_length": end["queue_length"],
            "queue_unpaid": end["queue_unpaid"],
            "dividend_pool": end["dividend_pool"],
            "release_pool": end["release_pool"],
            "points_backing": end["points_backing"],
            "point_value": value,
            "points_outstanding": outstanding,
            "points_worth": worth,
            "unreleased_energy": end["unreleased_energy"],
            "wallets": end["wallets"],
            "liabilities": end["wallets"] + worth + end["unreleased_energy"],
            "members": end["members"],
        }
        for name in FLOW_COLUMNS:
            row[name] = flows.get(name, ZERO)
        for name in MONEY_COLUMNS:
            row[name] = row[name].quantize(cent)
        rows.append(row)

    waits = figures.waits(channel, first, last, now)
    tiers = figures.tier_counts(channel)
    referrers = figures.top_referrers(channel, first, last, TOP_REFERRERS)
    data = _summary(channel, first, last, rows, waits, tiers, referrers)
    return Report(
        title=f"Rewards report: channel {channel.slug}, {first} to {last}",
        name=channel.slug,
        currency=currency,
        rows=rows,
        waits=waits.histogram,
        summary=data,
        text=to_text(data),
        tables=[
            ("Members by tier", ("tier", "members"), list(data["members"]["tiers"].items())),
            (
                "Top referrers",
                ("referral code", "email", "members referred", f"rewards ({currency})"),
                [
                    (r["referral_code"], r["email"], r["referred"], r["rewards"])
                    for r in data["top_referrers"]
                ],
            ),
        ],
    )


def _total(rows, name) -> Decimal:
    return sum((r[name] for r in rows), ZERO)


def _summary(channel, first, last, rows, waits, tiers, referrers) -> dict:
    config = channel.settings
    end = rows[-1]
    revenue, refunds = _total(rows, "revenue"), _total(rows, "refunds")
    net_revenue = revenue - refunds
    funded = _total(rows, "funded")
    paid = sum(
        (_total(rows, n) for n in ("queue_paid", "referral_paid", "released", "redeemed")), ZERO
    ) - _total(rows, "clawed_back")
    joined = sum(r["queue_joined"] for r in rows)
    freed = sum(r["queue_freed"] for r in rows)

    def share(amount: Decimal) -> str | None:
        return str((amount / net_revenue).quantize(Decimal("0.0001"))) if net_revenue > 0 else None

    ordered = [t.code for t in config.tiers]
    tier_counts = {code: tiers.get(code, 0) for code in ordered}
    # Members whose tier the configuration no longer names keep their code until recomputed.
    tier_counts |= {code or "(none)": n for code, n in tiers.items() if code not in ordered}
    warnings = sustainability(
        rows, config, channel.currency, joined=joined, freed=freed, turned_away=0
    )
    return {
        "channel": {
            "slug": channel.slug,
            "currency": channel.currency,
            "active": channel.active,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "days": len(rows),
            "config": config.to_strings(),
        },
        "orders": {
            "paid": sum(r["orders"] for r in rows),
            "cancelled": sum(r["cancelled"] for r in rows),
            "revenue": revenue,
            "refunds": refunds,
            "net_revenue": net_revenue,
        },
        "queue": {
            "joined": joined,
            "freed": freed,
            "expired": sum(r["queue_expired"] for r in rows),
            "waiting": end["queue_length"],
            "unpaid": end["queue_unpaid"],
            "waiting_days_until_free": _strings(waits.freed),
            "waiting_days_so_far": _strings(waits.waiting),
        },
        "pools": {
            "dividend": end["dividend_pool"],
            "release": end["release_pool"],
            "points_backing": end["points_backing"],
        },
        "points": {
            "value": end["point_value"],
            "outstanding": end["points_outstanding"],
            "worth": end["points_worth"],
        },
        "paid": {
            "queue": _total(rows, "queue_paid"),
            "referral": _total(rows, "referral_paid"),
            "released": _total(rows, "released"),
            "redeemed": _total(rows, "redeemed"),
            "clawed_back": _total(rows, "clawed_back"),
            "spent": _total(rows, "spent"),
        },
        "liabilities": {
            "wallets": end["wallets"],
            "points_worth": end["points_worth"],
            "unreleased_energy": end["unreleased_energy"],
            "total": end["liabilities"],
        },
        "platform": {
            "funded": funded,
            "paid_to_customers": paid,
            "cost_share_of_revenue": share(funded),
            "paid_share_of_revenue": share(paid),
            "written_off": _total(rows, "written_off"),
        },
        "members": {"count": end["members"], "tiers": tier_counts},
        "top_referrers": [
            {
                "referral_code": r.referral_code,
                "email": r.email,
                "referred": r.referred,
                "rewards": r.rewards.quantize(quantum(channel.currency)),
            }
            for r in referrers
        ],
        "days_of_funding": days_of_funding(rows),
        "warnings": [{"code": w.code, "message": w.message} for w in warnings],
    }


def _strings(waits: dict | None) -> dict | None:
    return None if waits is None else {k: str(v) for k, v in waits.items()}


def to_text(data: dict) -> str:
    c, o, q, p = data["channel"], data["orders"], data["queue"], data["platform"]
    paid = data["paid"]
    cur = c["currency"]

    def waits(figures, what):
        if not figures:
            return f"no order {what}"
        return f"p50 {figures['p50']} days, p90 {figures['p90']}, max {figures['max']}"

    lines = [
        f"Channel {c['slug']}: {c['days']} days from {c['first_day']} to {c['last_day']} ({cur})"
        + ("" if c["active"] else " - switched off"),
        f"  orders      {o['paid']:,} paid, {o['cancelled']:,} cancelled; revenue "
        f"{o['revenue']:f}, refunds {o['refunds']:f}",
        f"  queue       {q['joined']:,} joined, {q['freed']:,} freed, {q['expired']:,} expired; "
        f"{q['waiting']:,} waiting for {q['unpaid']:f}",
        f"  until free  {waits(q['waiting_days_until_free'], 'was freed')}",
        f"  waiting     {waits(q['waiting_days_so_far'], 'waits')} so far",
        f"  paid        queue {paid['queue']:f}, referral rewards {paid['referral']:f}, released "
        f"{paid['released']:f}, redeemed {paid['redeemed']:f}; clawed back "
        f"{paid['clawed_back']:f}, written off {p['written_off']:f}",
        f"  pools       dividend {data['pools']['dividend']:f}, release "
        f"{data['pools']['release']:f}, points backing {data['pools']['points_backing']:f}",
        f"  points      value {data['points']['value']}, {data['points']['outstanding']:,f} "
        f"outstanding worth {data['points']['worth']:f}",
        f"  liabilities {data['liabilities']['total']:f} (wallets "
        f"{data['liabilities']['wallets']:f}, points {data['liabilities']['points_worth']:f}, "
        f"unreleased energy {data['liabilities']['unreleased_energy']:f})",
        f"  platform    funded {p['funded']:f} ({percent(p['cost_share_of_revenue'])} of net "
        f"revenue), paid to customers {p['paid_to_customers']:f} "
        f"({percent(p['paid_share_of_revenue'])})",
        f"  members     {data['members']['count']:,}: "
        + ", ".join(f"{code} {n:,}" for code, n in data["members"]["tiers"].items()),
    ]
    if data["top_referrers"]:
        best = data["top_referrers"][0]
        lines.append(
            f"  referrers   best {best['referral_code']}: {best['referred']} referred, "
            f"{best['rewards']:f} in rewards"
        )
    if data["warnings"]:
        lines += ["", "WARNING: at this pace the configuration cannot sustain itself."]
        lines += [f"  [{w['code']}] {w['message']}" for w in data["warnings"]]
    else:
        lines += ["", "No sustainability warning."]
    return "\n".join(lines) + "\n"
