"""`make demo`: a month of a synthetic two-channel store through the plugin's real code paths.

Creates the demo database afresh and migrates it, starts a Celery worker on Redis, and plays a
month ending yesterday: several hundred customers (a third of them referred by another), orders
with gift packages, cancellations and partial refunds, placed through the standalone host's store
services, which end in the plugin's order event and a `sync_order_task` on the worker, as Saleor's
events do. After each day, the worker runs beat's daily settlement task for both channels. Then
it stops the worker, audits the ledger, prints a summary and writes a report with plots.

Exits 0 only when the audit finds nothing wrong. The time the plugin sees is the simulated day's
(`standalone_host.demo_clock`).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dividend_demo"
ROOT = Path(__file__).resolve().parent.parent
CENT = Decimal("0.01")
GIFT_PACKAGE = "gift-package"
# Times of day (UTC) at which both channels (Berlin, New York) are in the same local day: the
# day's orders come in during the afternoon, and settlement runs the next morning, after both
# channels' settlement time.
ORDERS_FROM = datetime.time(14)
ORDERS_UNTIL = datetime.time(21)
SETTLE_AT = datetime.time(7)
# How long to wait for the worker before giving up (seconds without progress).
STALL_SECONDS = 120


@dataclass(frozen=True)
class ChannelPlan:
    slug: str
    currency: str
    orders_per_day: int
    average_line: Decimal
    gift_price: Decimal
    shipping: Decimal
    config: dict[str, str]


CHANNELS = (
    ChannelPlan(
        "web-eur",
        "EUR",
        20,
        Decimal(38),
        Decimal(149),
        Decimal("4.90"),
        {
            "timezone": "Europe/Berlin",
            "dividend_ratio": "0.2",
            "free_ratio": "0.5",
            "queue_max_amount": "300",
            "payout_mode": "fifo",
            "referral_mode": "chain",
            "point_value_mode": "backed",
            "gift_package_product_types": GIFT_PACKAGE,
            "gift_package_tier": "gold",
            "points_min_redemption": "50",
        },
    ),
    ChannelPlan(
        "web-usd",
        "USD",
        15,
        Decimal(45),
        Decimal(179),
        Decimal("6.50"),
        {
            "timezone": "America/New_York",
            "dividend_ratio": "0.25",
            "free_ratio": "0.4",
            "queue_max_amount": "400",
            "payout_mode": "even",
            "even_k": "4",
            "referral_mode": "queue",
            "queue_ttl_days": "21",
            "point_value_mode": "rate",
            "point_value_initial": "0.01",
            "point_daily_appreciation": "0.002",
            "points_expire_days": "20",
            "gift_package_product_types": GIFT_PACKAGE,
            "gift_package_tier": "silver",
            "energy_multiplier": "2",
            "points_min_redemption": "50",
        },
    ),
)


@dataclass
class Expected:
    """What the worker must have recorded once it has caught up with the events sent."""

    confirmed: int = 0
    void: int = 0
    pending: int = 0
    refunded: Decimal = Decimal(0)

    def as_tuple(self):
        return (self.confirmed, self.void, self.pending, self.refunded)


@dataclass
class ChannelRun:
    plan: ChannelPlan
    channel: object = None
    customers: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    paid_orders: list = field(default_factory=list)
    expected: Expected = field(default_factory=Expected)
    refunds_due: dict = field(default_factory=dict)
    # Customers who have ordered (and had the chance to name a referrer) already, and their
    # referral codes.
    seen: set = field(default_factory=set)
    codes: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    days: list = field(default_factory=list)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="make demo",
        description="A month of a synthetic two-channel store through the plugin's real code "
        "paths (store services, order events, Celery worker, daily settlement), then an audit, "
        "a summary and a report with plots. Uses DATABASE_URL's database (default "
        f"{DEFAULT_DATABASE_URL}), which it drops and recreates.",
    )
    parser.add_argument("--days", type=int, default=30, help="days to play (default 30)")
    parser.add_argument("--customers", type=int, default=400, help="customers (default 400)")
    parser.add_argument(
        "--scale",
        type=Decimal,
        default=Decimal(1),
        help="multiply the daily order counts (default 1)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--report",
        type=Path,
        default=ROOT / "demo-report",
        help="report directory (default demo-report/)",
    )
    parser.add_argument("--no-plots", action="store_true", help="write the report without plots")
    parser.add_argument(
        "--replace-database",
        action="store_true",
        help="drop and recreate DATABASE_URL's database even when its name does not contain 'demo'",
    )
    return parser.parse_args(argv)


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_worker(queue: str, clock_key: str, log: Path) -> subprocess.Popen:
    """A worker with two pool processes on a queue of its own, reading the demo's clock; its
    output goes to `log`."""
    from standalone_host.demo_clock import CLOCK_KEY_ENV
    from standalone_host.workers import start_worker as start
    from standalone_host.workers import wait_until_ready

    name = f"{queue}@demo"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        worker = start(
            queue,
            name,
            app="standalone_host.demo_clock",
            concurrency=2,
            env={CLOCK_KEY_ENV: clock_key},
            stdout=output,
        )
    wait_until_ready([(name, worker)])
    return worker


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_DOWN)


def at(day: datetime.date, when: datetime.time, seconds: int = 0) -> datetime.datetime:
    start = datetime.datetime.combine(day, when, tzinfo=datetime.UTC)
    return start + datetime.timedelta(seconds=seconds)


class Demo:
    def __init__(self, args, clock):
        self.args = args
        self.clock = clock
        self.rng = random.Random(args.seed)
        self.runs = [ChannelRun(plan) for plan in CHANNELS]
        self.redemptions = Counter()

    # The store -------------------------------------------------------------------------------

    def open_store(self) -> None:
        from django.contrib.auth import get_user_model

        from saleor_dividend_plugin.channels import configure_channel

        for run in self.runs:
            run.channel = configure_channel(
                run.plan.slug, run.plan.currency, run.plan.config, active=True
            )
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"customer{i:04d}", email=f"customer{i:04d}@example.com")
            for i in range(self.args.customers)
        )
        for index, user in enumerate(users):
            # Three in five shop in euros; a few buy a lot, most now and then.
            run = self.runs[0] if index % 5 < 3 else self.runs[1]
            run.customers.append(user)
            run.weights.append(self.rng.paretovariate(1.5))

    def refer(self, run: ChannelRun, user) -> None:
        """A third of new customers came through a referral link: set it before the first
        order, as the storefront does at sign-up."""
        from saleor_dividend_plugin.members import ReferralError, member_for, set_referrer

        member = member_for(run.channel, user.pk)
        if run.codes and self.rng.random() < 0.35:
            try:
                set_referrer(member, self.rng.choice(run.codes))
                run.counts["referred"] += 1
            except ReferralError:
                run.counts["referral refused"] += 1
        run.codes.append(member.referral_code)

    # One day ---------------------------------------------------------------------------------

    def play_day(self, day: datetime.date) -> None:
        from standalone_host.store import services

        events = []
        for run in self.runs:
            weekend = Decimal("1.3") if day.weekday() >= 5 else 1
            noise = Decimal(str(round(self.rng.uniform(0.8, 1.2), 3)))
            count = int(run.plan.orders_per_day * weekend * self.args.scale * noise)
            events += [(self.rng.random(), "order", run) for _ in range(count)]
            events += [
                (self.rng.random(), "refund", run, o, a) for o, a in run.refunds_due.pop(day, [])
            ]
        events.sort(key=lambda e: e[0])
        span = (ORDERS_UNTIL.hour - ORDERS_FROM.hour) * 3600
        for position, event in enumerate(events):
            self.clock.set(at(day, ORDERS_FROM, span * position // max(1, len(events))))
            if event[1] == "order":
                self.place_order(event[2], day)
            else:
                _, _, run, order, amount = event
                services.refund(order, amount)
                run.expected.refunded += amount
                run.counts["refunds"] += 1
        self.wait_for_worker(f"orders of {day}")
        self.redeem_points(day)
        # Next morning: beat's daily task, for every channel.
        from saleor_dividend_plugin.tasks import settle_due_days

        self.clock.set(at(day + datetime.timedelta(days=1), SETTLE_AT))
        for run in self.runs:
            settle_due_days.delay(run.plan.slug)
        self.wait_for_settlement(day)
        for run in self.runs:
            run.days.append(self.snapshot(run, day))

    def place_order(self, run: ChannelRun, day: datetime.date) -> None:
        from django.db import transaction

        from standalone_host.store import services

        rng = self.rng
        user = None
        if rng.random() > 0.05:  # one order in twenty is a guest checkout
            user = rng.choices(run.customers, weights=run.weights)[0]
            if user.pk not in run.seen:
                run.seen.add(user.pk)
                self.refer(run, user)
        lines = [
            (money(rng.lognormvariate(0, 0.6) * float(run.plan.average_line)), "default")
            for _ in range(rng.choice((1, 1, 2, 3)))
        ]
        if rng.random() < 0.06:
            lines.append((run.plan.gift_price, GIFT_PACKAGE))
        fate = rng.random()
        with transaction.atomic():
            # Checkout completes and, most of the time, the payment is captured at once: both
            # events reach the plugin after the commit, as in Saleor.
            run.counts["placed"] += 1
            order = services.place_order(
                run.plan.slug,
                run.plan.currency,
                user,
                lines,
                shipping=run.plan.shipping,
                tax_rate=Decimal("0.19"),
                number=f"{run.plan.currency}-{run.counts['placed']}",
            )
            if fate < 0.92:
                services.charge(order)
        if fate < 0.92:
            run.expected.confirmed += 1
            run.counts["paid"] += 1
            run.counts["gift packages"] += any(t == GIFT_PACKAGE for _, t in lines)
            if rng.random() < 0.08:
                self.schedule_refund(run, order, lines, day)
        elif fate < 0.97:
            services.cancel(order)  # unpaid, cancelled later
            run.expected.void += 1
            run.counts["cancelled"] += 1
        else:
            run.expected.pending += 1  # still waiting for payment
            run.counts["unpaid"] += 1

    def schedule_refund(self, run, order, lines, day) -> None:
        rng = self.rng
        when = day + datetime.timedelta(days=rng.randint(1, 6))
        if rng.random() < 0.3:
            amount = sum((gross for gross, _ in lines), Decimal(0))
        else:
            gross = rng.choice(lines)[0]
            amount = money(gross * Decimal(str(rng.uniform(0.3, 1))))
        if amount > 0:
            run.refunds_due.setdefault(when, []).append((order, amount))

    def redeem_points(self, day: datetime.date) -> None:
        """A few members redeem their points for wallet credit (a storefront request)."""
        from saleor_dividend_plugin import points
        from saleor_dividend_plugin.ledger import Accounts
        from saleor_dividend_plugin.models import AccountKind, Member

        self.clock.set(at(day, ORDERS_UNTIL))
        for run in self.runs:
            accounts = Accounts(run.channel)
            members = list(Member.objects.filter(channel=run.channel).select_related("channel"))
            for member in self.rng.sample(members, min(3, len(members))):
                held = accounts.member(member, AccountKind.POINTS).balance
                if held < run.channel.settings.points_min_redemption:
                    continue
                try:
                    credit = points.redeem(member, held, key=f"demo:{member.pk}:{day}")
                except points.RedemptionError as error:
                    run.counts[f"redemption refused ({error.code})"] += 1
                    continue
                run.counts["redemptions"] += 1
                self.redemptions[run.plan.slug] += credit

    # Waiting for the worker ------------------------------------------------------------------

    def wait_for_worker(self, what: str) -> None:
        from django.db.models import Count, Q, Sum

        from saleor_dividend_plugin.models import OrderRecord

        def progress():
            seen = []
            for run in self.runs:
                found = OrderRecord.objects.filter(channel=run.channel).aggregate(
                    confirmed=Count("pk", filter=Q(status="confirmed")),
                    void=Count("pk", filter=Q(status="void")),
                    pending=Count("pk", filter=Q(status="pending")),
                    refunded=Sum("refunded"),
                )
                seen.append(
                    (
                        found["confirmed"],
                        found["void"],
                        found["pending"],
                        found["refunded"] or Decimal(0),
                    )
                )
            return seen

        self._wait(what, progress, lambda: [run.expected.as_tuple() for run in self.runs])

    def wait_for_settlement(self, day: datetime.date) -> None:
        from saleor_dividend_plugin.models import SettlementDay

        def progress():
            return [
                SettlementDay.objects.filter(
                    channel=run.channel, day=day, finished_at__isnull=False
                ).exists()
                for run in self.runs
            ]

        self._wait(f"settlement of {day}", progress, lambda: [True] * len(self.runs))

    def _wait(self, what, progress, expected) -> None:
        last, since = None, time.monotonic()
        while True:
            seen = progress()
            if seen == expected():
                return
            if seen != last:
                last, since = seen, time.monotonic()
            elif time.monotonic() - since > STALL_SECONDS:
                raise RuntimeError(
                    f"the worker made no progress with the {what} for "
                    f"{STALL_SECONDS}s: expected {expected()}, found {seen}"
                )
            time.sleep(0.1)

    # Figures ---------------------------------------------------------------------------------

    def snapshot(self, run: ChannelRun, day: datetime.date) -> dict:
        from django.db.models import F, Sum

        from saleor_dividend_plugin import points
        from saleor_dividend_plugin.ledger import Accounts
        from saleor_dividend_plugin.models import Account, AccountKind, QueueEntry, SettlementDay

        accounts = Accounts(run.channel)
        cash = _cash(run.channel.currency)
        settlement = SettlementDay.objects.get(channel=run.channel, day=day)
        member_sums = dict(
            Account.objects.filter(channel=run.channel, member__isnull=False)
            .values("kind")
            .annotate(total=Sum("balance"))
            .values_list("kind", "total")
        )
        waiting = QueueEntry.objects.filter(channel=run.channel, status="waiting")
        return {
            "day": day.isoformat(),
            "revenue": cash(settlement.revenue),
            "released": cash(settlement.released),
            "members_paid": settlement.members_paid,
            "dividend_pool": cash(accounts.system(AccountKind.DIVIDEND_POOL).balance),
            "release_pool": cash(accounts.system(AccountKind.RELEASE_POOL).balance),
            "points_backing": cash(accounts.system(AccountKind.POINTS_BACKING).balance),
            "funded": cash(-accounts.system(AccountKind.PLATFORM).balance),
            "queue_waiting": waiting.count(),
            "queue_unpaid": cash(waiting.aggregate(s=Sum(F("target") - F("received")))["s"] or 0),
            "queue_freed": QueueEntry.objects.filter(channel=run.channel, status="freed").count(),
            "wallets": cash(member_sums.get(AccountKind.WALLET, 0)),
            "unreleased_energy": cash(member_sums.get(AccountKind.ENERGY, 0)),
            "points": int(member_sums.get(AccountKind.POINTS, 0)),
            "point_value": points.point_value(run.channel, accounts),
        }


def _cash(currency: str):
    from saleor_dividend_plugin.money import quantum

    step = quantum(currency)
    return lambda amount: Decimal(amount).quantize(step)


def channel_summary(run: ChannelRun, problems) -> dict:
    from django.db.models import Count, Sum

    from saleor_dividend_plugin.models import (
        Account,
        AccountKind,
        Member,
        QueueEntry,
        Release,
        TierChange,
    )

    channel = run.channel
    config = channel.settings
    cash = _cash(channel.currency)
    last = run.days[-1]
    tiers = dict(
        Member.objects.filter(channel=channel, first_confirmed_at__isnull=False)
        .values("tier_code")
        .annotate(n=Count("pk"))
        .values_list("tier_code", "n")
    )
    wallets = Account.objects.filter(channel=channel, kind=AccountKind.WALLET, balance__gt=0)
    queue = dict(
        QueueEntry.objects.filter(channel=channel)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    releases = Release.objects.filter(channel=channel).aggregate(
        total=Sum("amount"), payouts=Count("pk"), days=Count("day", distinct=True)
    )
    return {
        "channel": channel.slug,
        "currency": channel.currency,
        "timezone": config.timezone,
        "orders": {
            k: run.counts[k] for k in ("paid", "cancelled", "unpaid", "refunds", "gift packages")
        },
        "customers": {
            "members": Member.objects.filter(channel=channel).count(),
            "referred": Member.objects.filter(channel=channel, referrer__isnull=False).count(),
        },
        "pools": {
            "dividend": str(last["dividend_pool"]),
            "release": str(last["release_pool"]),
            "points_backing": str(last["points_backing"]),
        },
        "queue": {
            "mode": config.payout_mode,
            "waiting": last["queue_waiting"],
            "unpaid": str(last["queue_unpaid"]),
            "freed": queue.get("freed", 0),
            "expired": queue.get("expired", 0),
            "cancelled by refunds": queue.get("cancelled", 0),
        },
        "tiers": {t.code: tiers.get(t.code, 0) for t in config.tiers},
        "gift package grants": TierChange.objects.filter(
            member__channel=channel, reason="gift_package"
        ).count(),
        "releases": {
            "total": str(cash(releases["total"] or 0)),
            "payouts": releases["payouts"],
            "days": releases["days"],
        },
        "wallets": {
            "members": wallets.count(),
            "total": str(last["wallets"]),
            "largest": str(
                cash(wallets.order_by("-balance").values_list("balance", flat=True).first() or 0)
            ),
        },
        "points": {
            "value": str(last["point_value"]),
            "outstanding": str(last["points"]),
            "redemptions": run.counts["redemptions"],
        },
        "audit": [str(p) for p in problems] or "clean",
        "daily": [{k: str(v) for k, v in d.items()} for d in run.days],
    }


def format_summary(summary: dict) -> str:
    lines = [
        f"Demo store: {summary['days']} days ({summary['first_day']} to {summary['last_day']}), "
        f"{summary['customers']} customers, two channels; {summary['seconds']}s"
    ]
    for c in summary["channels"]:
        cur = c["currency"]
        o, q, r, w, p = c["orders"], c["queue"], c["releases"], c["wallets"], c["points"]
        tiers = ", ".join(f"{k} {v}" for k, v in c["tiers"].items())
        audit = c["audit"]
        lines += [
            "",
            f"Channel {c['channel']} ({cur}, {c['timezone']})",
            f"  orders    {o['paid']} paid ({o['gift packages']} with a gift package), "
            f"{o['cancelled']} cancelled, {o['unpaid']} unpaid, {o['refunds']} refunds; "
            f"{c['customers']['members']} members, {c['customers']['referred']} referred",
            f"  pools     dividend {c['pools']['dividend']}, release {c['pools']['release']}, "
            f"points backing {c['pools']['points_backing']} {cur}",
            f"  queue     {q['mode']}: {q['waiting']} waiting for {q['unpaid']} {cur}, "
            f"{q['freed']} freed, {q['expired']} expired, {q['cancelled by refunds']} "
            "cancelled by refunds",
            f"  tiers     {tiers} ({c['gift package grants']} granted by gift packages)",
            f"  releases  {r['total']} {cur} in {r['payouts']} payouts over {r['days']} days",
            f"  wallets   {w['members']} members hold {w['total']} {cur} (largest {w['largest']})",
            f"  points    {p['outstanding']} outstanding, worth {p['value']} {cur} each; "
            f"{p['redemptions']} redemptions",
            "  audit     "
            + (
                "clean: every invariant holds"
                if audit == "clean"
                else "FAILED\n    " + "\n    ".join(audit)
            ),
        ]
    return "\n".join(lines) + "\n"


def write_report(summary: dict, directory: Path, plots: bool) -> None:
    import json

    from saleor_dividend_plugin.reporting.report import index_html

    directory.mkdir(parents=True, exist_ok=True)
    images = draw(summary, directory) if plots else []
    summary["plots"] = [name for name, _ in images]
    (directory / "summary.json").write_text(json.dumps(summary, indent=2))
    (directory / "index.html").write_text(
        index_html("Dividend demo store", format_summary(summary), images, ["summary.json"])
    )


def draw(summary: dict, directory: Path) -> list[tuple[str, str]]:
    """Plots of every channel's month (PNG, Agg backend); returns (file, caption) pairs."""
    import matplotlib

    matplotlib.use("Agg")
    images = []
    for c in summary["channels"]:
        images += _draw_channel(c, directory)
    return images


def _draw_channel(c: dict, directory: Path) -> list[tuple[str, str]]:
    from matplotlib import pyplot

    days, slug, cur = c["daily"], c["channel"], c["currency"]
    x = list(range(len(days)))
    labels = [d["day"][5:] for d in days]
    images = []

    def series(name):
        return [float(d[name]) for d in days]

    def axes(title):
        fig, ax = pyplot.subplots(figsize=(8, 4))
        ax.set_title(f"{title} ({slug}, {cur})")
        ax.set_xticks(x[::3], labels[::3], rotation=30, ha="right")
        ax.grid(alpha=0.3)
        return fig, ax

    def save(name, caption, fig):
        fig.tight_layout()
        fig.savefig(directory / f"{slug}-{name}.png", dpi=90)
        pyplot.close(fig)
        images.append((f"{slug}-{name}.png", f"{slug}: {caption}"))

    fig, ax = axes("Revenue and credit released per day")
    ax.bar(x, series("revenue"), color="#9ab", label="confirmed revenue")
    ax.bar(x, series("released"), color="#c53", label="released")
    ax.legend()
    save("days", "revenue and releases per day", fig)

    fig, ax = axes("Free-order queue")
    ax.plot(x, series("queue_waiting"), label="waiting")
    ax.plot(x, series("queue_freed"), label="freed in all")
    ax.set_ylabel("orders")
    ax.legend()
    save("queue", "queue", fig)

    fig, ax = axes("Pools")
    for name in ("dividend_pool", "release_pool", "points_backing"):
        ax.plot(x, series(name), label=name.replace("_", " "))
    ax.legend()
    save("pools", "pool balances", fig)

    fig, ax = axes("What members hold")
    ax.stackplot(
        x,
        series("wallets"),
        series("unreleased_energy"),
        labels=["wallets", "unreleased energy"],
        alpha=0.7,
    )
    ax.plot(x, series("funded"), color="black", label="funded in all")
    ax.legend(loc="upper left")
    save("liabilities", "wallets and energy", fig)

    fig, ax = axes("Point value")
    ax.plot(x, series("point_value"))
    save("points", "point value", fig)

    fig, ax = pyplot.subplots(figsize=(6, 4))
    ax.bar(list(c["tiers"]), list(c["tiers"].values()), color="#5a8")
    ax.set_title(f"Members by tier ({slug})")
    save("tiers", "members by tier", fig)
    return images


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    database = urlsplit(url).path.lstrip("/")
    if "demo" not in database and not args.replace_database:
        say(
            f"The demo drops and recreates DATABASE_URL's database, {database!r}, whose name "
            "does not say 'demo'. Unset DATABASE_URL to use dividend_demo, or pass "
            "DEMO_ARGS=--replace-database."
        )
        return 2
    started = time.monotonic()
    queue = f"dividend-demo-{uuid.uuid4().hex[:8]}"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "standalone_host.settings")

    import django
    from django.conf import settings

    from standalone_host.demo_clock import DemoClock
    from standalone_host.workers import stop_workers

    clock = DemoClock(f"{queue}:clock", settings.CELERY_BROKER_URL)
    clock.install()
    django.setup()
    from django.core.management import call_command

    say(f"Creating database {database} and migrating it")
    recreate_database(url)
    call_command("migrate", verbosity=0)
    last_day = datetime.date.today() - datetime.timedelta(days=1)
    first_day = last_day - datetime.timedelta(days=args.days - 1)
    clock.set(at(first_day, ORDERS_FROM))
    say(f"Starting a Celery worker on queue {queue}")
    worker = start_worker(queue, clock.key, args.report / "worker.log")
    demo = Demo(args, clock)
    try:
        demo.open_store()
        for index in range(args.days):
            day = first_day + datetime.timedelta(days=index)
            demo.play_day(day)
            parts = [
                f"{run.plan.slug} {run.days[-1]['revenue']} revenue, "
                f"{run.days[-1]['released']} released"
                for run in demo.runs
            ]
            say(
                f"day {index + 1}/{args.days} {day}: {'; '.join(parts)} "
                f"[{time.monotonic() - started:.0f}s]"
            )
    except RuntimeError as error:
        say(f"The demo stopped: {error}")
        return 1
    finally:
        stop_workers([worker])
        clock.forget()

    from saleor_dividend_plugin.audit import audit_channel

    channels = []
    clean = True
    for run in demo.runs:
        problems = audit_channel(run.channel)
        clean = clean and not problems
        channels.append(channel_summary(run, problems))
    summary = {
        "days": args.days,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "customers": args.customers,
        "seconds": round(time.monotonic() - started),
        "database": database,
        "report": str(args.report / "index.html"),
        "channels": channels,
    }
    write_report(summary, args.report, plots=not args.no_plots)
    sys.stdout.write(format_summary(summary))
    print(f"\nReport: {summary['report']}")
    for run in demo.runs:
        write_live_report(run.channel, args, clock)
    return 0 if clean else 1


DEMO_PROPOSAL = {"free_ratio": "0.3"}


def write_live_report(channel, args, clock) -> None:
    """What the store owner sees of the channel: its report from the ledger (the page the
    Dashboard links to) and a forecast of the next year from its month's order flow."""
    from saleor_dividend_plugin.reporting.forecast import forecast, text, write_forecast
    from saleor_dividend_plugin.reporting.live import channel_report
    from saleor_dividend_plugin.reporting.report import write_report as write_channel_report

    # Today, after the last settlement: the month and today so far.
    clock.set(at(datetime.date.today(), SETTLE_AT, 60))
    live = args.report / "live" / channel.slug
    write_channel_report(channel_report(channel, args.days + 1), live, plots=not args.no_plots)
    ahead = args.report / "forecast" / channel.slug
    say(f"{channel.slug}: forecasting a year from the month's order flow")
    # Side by side with a smaller free-order promise, as a store owner weighing it would run.
    result = forecast(channel, history_days=args.days, horizon=365, overrides=DEMO_PROPOSAL)
    write_forecast(result, ahead, plots=not args.no_plots)
    sys.stdout.write(text(result))
    print(f"Live report: {live / 'index.html'}\nForecast: {ahead / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
