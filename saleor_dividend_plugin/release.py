"""The daily release (DESIGN §8) of a channel's members: the kernel's shares (kernel/rules.py),
streamed a slice of members at a time, and set-based SQL for the figures as they stood at the
end of the day and for the postings.

budget B    = release pool funding of days <= D not yet released (the carry-over included)
unit u      = B / W, W = sum(contribution_i * weight_i) over members with energy > 0
release r_i = min(energy_i, round_down(contribution_i * weight_i * u))
Each r_i is computed from the exact quotient (contribution_i * weight_i * B) / W by integer
division (in minor units), so it is rounded down once and sum(r_i) <= B exactly; a truncated u
would shave a cent off shares that come out even. What is left stays in the release pool for the
next day. The Release rows show u truncated to 20 decimals.
"""

from __future__ import annotations

import datetime
import tempfile
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Sum
from django.utils import timezone

from .kernel.rules import (
    SCALE,
    from_minor,
    release_amounts,
    release_total,
    release_unit,
    to_minor,
    weighted_contribution,
)
from .ledger import Accounts, already_posted
from .models import AccountKind, Channel, Release
from .money import ENERGY, ZERO, minor_units

UNIT_SCALE = 20


@dataclass(frozen=True)
class ReleaseResult:
    budget: Decimal
    released: Decimal
    members_paid: int
    unit_value: Decimal


def release_budget(channel: Channel, day: datetime.date, accounts: Accounts) -> Decimal:
    """The pool's balance less what later days have put in (orders confirmed after midnight come
    in before the settlement runs): only the days after `day` are summed, not the whole history."""
    pool = accounts.system(AccountKind.RELEASE_POOL)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(e.amount), 0) FROM dividend_transaction t"
            " JOIN dividend_entry e ON e.transaction_id = t.id"
            " WHERE t.channel_id = %s AND t.day > %s AND e.account_id = %s",
            [channel.pk, day, pool.pk],
        )
        return pool.balance - cursor.fetchone()[0]


def run_release(channel: Channel, day: datetime.date, key: str) -> ReleaseResult:
    """Release day `day`. The caller holds the channel lock and an open transaction; `key` is the
    ledger posting's idempotency key. Days are released in order: each one's budget is what the
    days before it left. A replayed key posts nothing and returns what was released."""
    accounts = Accounts(channel)
    if already_posted(key):
        return _recorded(channel, day, accounts)
    config = channel.settings
    budget = release_budget(channel, day, accounts)
    pool = accounts.system(AccountKind.RELEASE_POOL)
    issued = accounts.system(AccountKind.ENERGY_ISSUED, ENERGY)
    scale = minor_units(channel.currency)
    default_weight = config.tiers[0].release_weight
    tier_values = ", ".join(["(%s, %s::numeric)"] * len(config.tiers))
    tier_params = [p for t in config.tiers for p in (t.code, t.release_weight)]
    with connection.cursor() as cursor:
        # For this transaction only: the ledger trigger sums and sorts two transfers per member;
        # with the default 4 MB that spills to disk from a few hundred thousand members on.
        cursor.execute("SELECT set_config('work_mem', '64MB', true)")
        cursor.execute("DROP TABLE IF EXISTS dividend_release_calc")
        # Contribution and energy as they stood at the end of `day`: the balances less what
        # postings of later days (orders paid after midnight, later releases) changed, so a day
        # settled late is split as it would have been on time. Energy is also capped by today's
        # balance, which a refund since then may have lowered.
        cursor.execute(
            "CREATE TEMP TABLE dividend_release_calc ON COMMIT DROP AS"
            f" WITH tiers(code, weight) AS (VALUES {tier_values}),"
            " later AS (SELECT e.account_id, sum(e.amount) AS amount"
            "   FROM dividend_transaction t JOIN dividend_entry e ON e.transaction_id = t.id"
            "   WHERE t.channel_id = %s AND t.day > %s GROUP BY e.account_id)"
            " SELECT e.member_id, c.balance - coalesce(lc.amount, 0) AS contribution,"
            "        coalesce(t.weight, %s::numeric) AS weight,"
            "        least(e.balance, e.balance - coalesce(le.amount, 0)) AS energy,"
            "        e.id AS energy_account, w.id AS wallet_account"
            "   FROM dividend_account e"
            "   JOIN dividend_member m ON m.id = e.member_id"
            "   JOIN dividend_account c ON c.member_id = e.member_id AND c.kind = 'contribution'"
            "   JOIN dividend_account w ON w.member_id = e.member_id AND w.kind = 'wallet'"
            "   LEFT JOIN tiers t ON t.code = m.tier_code"
            "   LEFT JOIN later le ON le.account_id = e.id"
            "   LEFT JOIN later lc ON lc.account_id = c.id"
            "  WHERE e.channel_id = %s AND e.kind = 'energy' AND e.balance > 0"
            "    AND e.balance - coalesce(le.amount, 0) > 0",
            [*tier_params, channel.pk, day, default_weight, channel.pk],
        )
        budget_minor = to_minor(budget, scale)
        if budget_minor <= 0:
            return ReleaseResult(budget, ZERO, 0, ZERO)
        # The shares are the kernel's (kernel/rules.py), computed a slice of members at a time so
        # that a million members never sit in memory at once: one pass for the total they are
        # split over, one for each member's share, written back for the set-based postings.
        figures = {"minor": 10**scale, "scaled": SCALE}
        total = 0
        for chunk in _chunks(cursor, _SHARE_FIGURES.format(**figures)):
            total += release_total(*_kernel_figures(chunk, 0))
        if total <= 0:
            return ReleaseResult(budget, ZERO, 0, ZERO)
        unit = Decimal(release_unit(budget_minor, total)).scaleb(-UNIT_SCALE)
        cursor.execute("DROP TABLE IF EXISTS dividend_release_paid")
        cursor.execute(
            "CREATE TEMP TABLE dividend_release_paid (member_id bigint, contribution numeric,"
            " weight numeric, energy numeric, energy_account bigint, wallet_account bigint,"
            " amount bigint) ON COMMIT DROP"
        )
        # The shares go to a file first: a connection reads one COPY at a time.
        released = paid = 0
        with tempfile.TemporaryFile("w+") as shares:
            for chunk in _chunks(cursor, _FIGURES.format(**figures)):
                amounts = release_amounts(*_kernel_figures(chunk, 1), budget_minor, total)
                lines = [
                    f"{r[0]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\t{r[8]}\t{a}\n"
                    for r, a in zip(chunk, amounts, strict=True)
                    if a > 0
                ]
                shares.write("".join(lines))
                released += sum(amounts)
                paid += len(lines)
            shares.seek(0)
            with cursor.cursor.copy("COPY dividend_release_paid FROM STDIN") as copy:
                while block := shares.read(1 << 20):
                    copy.write(block)
        if released <= 0:
            return ReleaseResult(budget, ZERO, 0, unit)
        released = from_minor(released, scale)
        now = timezone.now()
        cursor.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, %s, 'daily_release', %s, %s, %s) RETURNING id",
            [channel.pk, key, day, f"release of {day}", now],
        )
        txn = cursor.fetchone()[0]
        # Two transfers per member in one statement: the pool to the wallet, the energy back to
        # where it was issued from. The ledger trigger applies them to the balances set-based.
        params = {
            "txn": txn,
            "pool": pool.pk,
            "issued": issued.pk,
            "cur": channel.currency,
            "q": Decimal(1).scaleb(-scale),
        }
        cursor.execute(
            "INSERT INTO dividend_transfer"
            " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
            " SELECT %(txn)s, %(pool)s, wallet_account, %(cur)s, amount * %(q)s"
            "   FROM dividend_release_paid"
            " UNION ALL SELECT %(txn)s, energy_account, %(issued)s, 'ENERGY', amount * %(q)s"
            "   FROM dividend_release_paid",
            params,
        )
        cursor.execute(
            "INSERT INTO dividend_release"
            " (channel_id, day, member_id, contribution, weight, energy, unit_value, amount)"
            " SELECT %s, %s, member_id, contribution, weight, energy, %s, amount * %s"
            "   FROM dividend_release_paid",
            [channel.pk, day, unit, params["q"]],
        )
    return ReleaseResult(budget, released, paid, unit)


# Each member's figures as the kernel takes them (integers: minor units, weights scaled; the
# calculation table holds whole minor units, so trunc only changes the type) and as the release
# row shows them.
_SHARES = "trunc(contribution * {minor}), trunc(weight * {scaled}), trunc(energy * {minor})"
_SHARE_FIGURES = f"COPY (SELECT {_SHARES} FROM dividend_release_calc) TO STDOUT"
_FIGURES = (
    f"COPY (SELECT member_id, {_SHARES}, contribution, weight, energy, energy_account,"
    " wallet_account FROM dividend_release_calc) TO STDOUT"
)
_CHUNK = 50_000


def _kernel_figures(chunk, first: int) -> tuple[list[int], list[int]]:
    """Each row's weighted contribution and energy, from the _SHARES columns at `first`."""
    weighted = [weighted_contribution(int(r[first]), int(r[first + 1])) for r in chunk]
    return weighted, [int(r[first + 2]) for r in chunk]


def _chunks(cursor, statement: str):
    """The rows COPY gives, as text, in lists of up to _CHUNK."""
    chunk = []
    with cursor.cursor.copy(statement) as copy:
        for row in copy.rows():
            chunk.append(row)
            if len(chunk) == _CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _recorded(channel: Channel, day: datetime.date, accounts: Accounts) -> ReleaseResult:
    paid = Release.objects.filter(channel=channel, day=day)
    totals = paid.aggregate(released=Sum("amount"), members=Count("pk"), unit=Max("unit_value"))
    released = totals["released"] or ZERO
    # The posting took `released` out of the pool for this day: add it back to get the budget.
    return ReleaseResult(
        release_budget(channel, day, accounts) + released,
        released,
        totals["members"],
        totals["unit"] or ZERO,
    )
