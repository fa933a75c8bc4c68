"""The daily release (DESIGN §8), computed set-based in SQL over all members of a channel.

budget B    = release pool funding of days <= D not yet released (the carry-over included)
unit u      = B / W, W = sum(contribution_i * weight_i) over members with energy > 0
release r_i = min(energy_i, round_down(contribution_i * weight_i * u))
Each r_i is computed from the exact quotient (contribution_i * weight_i * B) / W by integer
division, so it is rounded down once and sum(r_i) <= B exactly; a truncated u would shave a cent
off shares that come out even. What is left stays in the release pool for the next day. The
Release rows show u truncated to 20 decimals.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Sum
from django.utils import timezone

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
            "        e.id AS energy_account, w.id AS wallet_account, 0::numeric AS amount"
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
        cursor.execute("SELECT coalesce(sum(contribution * weight), 0) FROM dividend_release_calc")
        weighted = cursor.fetchone()[0]
        if budget <= 0 or weighted <= 0:
            return ReleaseResult(budget, ZERO, 0, ZERO)
        # `div` truncates exactly; numeric `/` rounds its last digit, which could round a share
        # up and release more than the budget.
        cursor.execute(
            "SELECT div(%s::numeric * %s::numeric, %s::numeric) * %s::numeric",
            [budget, Decimal(1).scaleb(UNIT_SCALE), weighted, Decimal(1).scaleb(-UNIT_SCALE)],
        )
        unit = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE dividend_release_calc SET amount = least(energy,"
            "   div(contribution * weight * %s::numeric * %s::numeric, %s::numeric) * %s::numeric)",
            [budget, Decimal(1).scaleb(scale), weighted, Decimal(1).scaleb(-scale)],
        )
        cursor.execute(
            "SELECT coalesce(sum(amount), 0), count(*) FILTER (WHERE amount > 0)"
            " FROM dividend_release_calc"
        )
        released, paid = cursor.fetchone()
        if released <= 0:
            return ReleaseResult(budget, ZERO, 0, unit)
        now = timezone.now()
        cursor.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, %s, 'daily_release', %s, %s, %s) RETURNING id",
            [channel.pk, key, day, f"release of {day}", now],
        )
        txn = cursor.fetchone()[0]
        # Two transfers per member in one statement: the pool to the wallet, the energy back to
        # where it was issued from. The ledger trigger applies them to the balances set-based.
        cursor.execute(
            "INSERT INTO dividend_transfer"
            " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
            " SELECT %(txn)s, %(pool)s, wallet_account, %(cur)s, amount"
            "   FROM dividend_release_calc WHERE amount > 0"
            " UNION ALL SELECT %(txn)s, energy_account, %(issued)s, 'ENERGY', amount"
            "   FROM dividend_release_calc WHERE amount > 0",
            {"txn": txn, "pool": pool.pk, "issued": issued.pk, "cur": channel.currency},
        )
        cursor.execute(
            "INSERT INTO dividend_release"
            " (channel_id, day, member_id, contribution, weight, energy, unit_value, amount)"
            " SELECT %s, %s, member_id, contribution, weight, energy, %s, amount"
            "   FROM dividend_release_calc WHERE amount > 0",
            [channel.pk, day, unit],
        )
    return ReleaseResult(budget, released, paid, unit)


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
