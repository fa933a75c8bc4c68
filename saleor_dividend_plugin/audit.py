"""The audit: every invariant of DESIGN §11, checked from the database alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from .models import MEMBER_KINDS, POOL_KINDS, AccountKind, Channel
from .money import POINTS, quantum


@dataclass
class Problem:
    invariant: str
    message: str
    rows: list = field(default_factory=list)

    def __str__(self):
        shown = "; ".join(str(r) for r in self.rows[:10])
        more = f" (+{len(self.rows) - 10} more)" if len(self.rows) > 10 else ""
        return f"[{self.invariant}] {self.message}" + (f": {shown}{more}" if shown else "")


INVARIANTS = {
    "1-balanced": "every transaction balances per unit (each transfer in its accounts' unit)",
    "2-balances": "each balance equals the sum of its entries (its transfers' sides)",
    "3-non-negative": "member balances and pools are never negative",
    "4-funding": "platform funding = member payouts + pools - write-offs",
    "5-queue": "no queue entry receives more than its target; the queue is FIFO by confirmation",
    "6-release": "a day's releases stay within its budget and each member's energy",
    "7-replay": "each effect is posted once (one posting per order effect and settlement step)",
    "8-pools": "each pool = platform funding - payouts + what members' balances gave back",
}

# Invariant 8, per pool account: each posting's credit to a pool is matched against what the same
# posting took from the platform (funding) and from members' accounts (given back), in that order;
# a write-off (or anything else) never counts. A pool credited by several legs of one posting
# (an order's funding) draws on those sources in account-kind order, so nothing counts twice.
_POOL_SOURCES = """
WITH pools AS (
  SELECT id, kind, balance FROM dividend_account
  WHERE channel_id = %(channel)s AND member_id IS NULL AND unit = %(currency)s
    AND kind = ANY(%(pools)s)),
legs AS (
  SELECT e.transaction_id AS txn, p.id AS account, p.kind, sum(e.amount) AS amount
  FROM dividend_entry e JOIN pools p ON p.id = e.account_id GROUP BY 1, 2, 3),
sources AS (
  SELECT e.transaction_id AS txn,
    coalesce(-sum(least(e.amount, 0)) FILTER (WHERE a.kind = 'platform'), 0) AS funded,
    coalesce(-sum(least(e.amount, 0)) FILTER (WHERE a.member_id IS NOT NULL), 0) AS given
  FROM dividend_entry e JOIN dividend_account a ON a.id = e.account_id
  WHERE e.transaction_id IN (SELECT txn FROM legs) AND e.unit = %(currency)s
  GROUP BY 1),
shares AS (
  SELECT l.account, greatest(l.amount, 0) AS credit, greatest(-l.amount, 0) AS paid,
    coalesce(sum(greatest(l.amount, 0)) OVER (PARTITION BY l.txn ORDER BY l.kind
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
    coalesce(s.funded, 0) AS funded, coalesce(s.given, 0) AS given
  FROM legs l LEFT JOIN sources s ON s.txn = l.txn),
totals AS (
  SELECT account,
    sum(least(credit, greatest(funded - before, 0))) AS funding,
    sum(paid) AS payouts,
    sum(least(credit, greatest(funded + given - before, 0))
        - least(credit, greatest(funded - before, 0))) AS given_back
  FROM shares GROUP BY account)
SELECT p.kind, p.balance, t.funding, t.payouts, t.given_back
FROM pools p JOIN totals t ON t.account = p.id
WHERE p.balance <> t.funding - t.payouts + t.given_back
ORDER BY p.kind
"""


def _rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def audit_channel(channel: Channel) -> list[Problem]:
    cid = channel.pk
    problems: list[Problem] = []

    def check(invariant, message, rows):
        if rows:
            problems.append(Problem(invariant, message, rows))

    # A transfer takes from one account what it gives another, so a posting balances by
    # construction; what remains to check is that both accounts are in the transfer's unit and
    # in the posting's channel (the ledger trigger and the accounts' channel keep both).
    check(
        "1-balanced",
        "transfers whose unit is not both accounts' unit (transfer id, unit, debit, credit)",
        _rows(
            "SELECT x.id, x.unit, d.unit, c.unit FROM dividend_transfer x"
            " JOIN dividend_transaction t ON t.id = x.transaction_id"
            " JOIN dividend_account d ON d.id = x.debit_account_id"
            " JOIN dividend_account c ON c.id = x.credit_account_id"
            " WHERE t.channel_id = %s AND (d.unit <> x.unit OR c.unit <> x.unit)",
            [cid],
        ),
    )
    check(
        "1-balanced",
        "transfers with an account of another channel (transfer id, debit's, credit's channel)",
        _rows(
            "SELECT x.id, d.channel_id, c.channel_id FROM dividend_transfer x"
            " JOIN dividend_transaction t ON t.id = x.transaction_id"
            " LEFT JOIN dividend_account d ON d.id = x.debit_account_id"
            " LEFT JOIN dividend_account c ON c.id = x.credit_account_id"
            " WHERE t.channel_id = %s AND (d.channel_id IS DISTINCT FROM t.channel_id"
            "   OR c.channel_id IS DISTINCT FROM t.channel_id)",
            [cid],
        ),
    )
    check(
        "2-balances",
        "accounts whose balance differs from their entries (id, balance, sum)",
        _rows(
            "SELECT a.id, a.balance, coalesce(s.total, 0) FROM dividend_account a"
            " LEFT JOIN (SELECT account_id, sum(amount) AS total FROM dividend_entry"
            "            GROUP BY account_id) s ON s.account_id = a.id"
            " WHERE a.channel_id = %s AND a.balance <> coalesce(s.total, 0)",
            [cid],
        ),
    )
    check(
        "2-balances",
        "accounts whose totals in and out differ from their entries (id, in, sum, out, sum)",
        _rows(
            "SELECT a.id, a.total_in, coalesce(s.total_in, 0), a.total_out,"
            " coalesce(s.total_out, 0) FROM dividend_account a"
            " LEFT JOIN (SELECT account_id, sum(amount) FILTER (WHERE amount > 0) AS total_in,"
            "            -sum(amount) FILTER (WHERE amount < 0) AS total_out"
            "            FROM dividend_entry GROUP BY account_id) s ON s.account_id = a.id"
            " WHERE a.channel_id = %s AND (a.total_in <> coalesce(s.total_in, 0)"
            "   OR a.total_out <> coalesce(s.total_out, 0))",
            [cid],
        ),
    )
    non_negative = sorted(
        MEMBER_KINDS
        | POOL_KINDS
        | {AccountKind.GIFT_CARDS, AccountKind.WITHDRAWALS_PENDING, AccountKind.WITHDRAWALS_PAID}
    )
    check(
        "3-non-negative",
        "negative balances (account id, kind, balance)",
        _rows(
            "SELECT id, kind, balance FROM dividend_account WHERE channel_id = %s AND balance < 0"
            " AND kind = ANY(%s)",
            [cid, non_negative],
        ),
    )
    check(
        "3-non-negative",
        "point lots that do not add up to the points held (member, lots, held)",
        _rows(
            "SELECT a.member_id, coalesce(l.total, 0), a.balance FROM dividend_account a"
            " LEFT JOIN (SELECT member_id, sum(remaining) AS total FROM dividend_point_lot"
            "            GROUP BY member_id) l ON l.member_id = a.member_id"
            " WHERE a.channel_id = %s AND a.kind = 'points'"
            " AND a.balance <> coalesce(l.total, 0)",
            [cid],
        ),
    )

    money = dict(
        _rows(
            "SELECT kind, sum(balance) FROM dividend_account WHERE channel_id = %s AND unit = %s"
            " GROUP BY kind",
            [cid, channel.currency],
        )
    )
    z = Decimal(0)
    funded = -money.get(AccountKind.PLATFORM, z)
    held = sum(
        (
            money.get(k, z)
            for k in (
                AccountKind.WALLET,
                AccountKind.GIFT_CARDS,
                AccountKind.WITHDRAWALS_PENDING,
                AccountKind.WITHDRAWALS_PAID,
            )
        ),
        z,
    )
    pools = sum((money.get(k, z) for k in POOL_KINDS), z)
    written_off = -money.get(AccountKind.WRITE_OFF, z)
    if funded != held + pools - written_off:
        check(
            "4-funding",
            "funding does not match where it went",
            [
                f"funded {funded} != member payouts {held} + pools {pools}"
                f" - write-offs {written_off}"
            ],
        )

    check(
        "5-queue",
        "entries paid above their target (entry, received, target)",
        _rows(
            "SELECT id, received, target FROM dividend_queue_entry"
            " WHERE channel_id = %s AND received > target",
            [cid],
        ),
    )
    check(
        "5-queue",
        "queue tally that differs from the entries (waiting, still owed, freed: kept, counted)",
        _rows(
            "SELECT t.waiting, t.remaining, t.freed, q.waiting, q.remaining, q.freed FROM"
            " (SELECT count(*) FILTER (WHERE status = 'waiting') AS waiting,"
            "  coalesce(sum(target - received) FILTER (WHERE status = 'waiting'), 0) AS remaining,"
            "  count(*) FILTER (WHERE status = 'freed') AS freed"
            "  FROM dividend_queue_entry WHERE channel_id = %s) q"
            " LEFT JOIN dividend_queue_tally t ON t.channel_id = %s"
            " WHERE (coalesce(t.waiting, 0), coalesce(t.remaining, 0), coalesce(t.freed, 0))"
            "   <> (q.waiting, q.remaining, q.freed)",
            [cid, cid],
        ),
    )
    # Payouts reach entries only from the front: in fifo mode only the head of the waiting queue
    # may be part-paid; in even mode only the first even_k.
    config = channel.settings
    front = 1 if config.payout_mode == "fifo" else config.even_k
    check(
        "5-queue",
        f"part-paid entries behind the first {front} waiting (entry, position)",
        _rows(
            "SELECT id, position FROM (SELECT id, received,"
            "  row_number() OVER (ORDER BY seq) AS position FROM dividend_queue_entry"
            "  WHERE channel_id = %s AND status = 'waiting') q"
            " WHERE received > 0 AND position > %s",
            [cid, front],
        ),
    )
    check(
        "5-queue",
        "queue payouts that do not match the entries' received amounts",
        _rows(
            "SELECT q.member_id, q.received, coalesce(p.paid, 0) FROM"
            " (SELECT member_id, sum(received) AS received FROM dividend_queue_entry"
            "   WHERE channel_id = %s GROUP BY member_id) q FULL JOIN"
            " (SELECT a.member_id, sum(e.amount) AS paid FROM dividend_entry e"
            "   JOIN dividend_transaction t ON t.id = e.transaction_id"
            "   JOIN dividend_account a ON a.id = e.account_id"
            "   WHERE t.channel_id = %s AND t.kind IN ('queue_payout', 'queue_clawback')"
            "   AND a.kind = 'wallet' GROUP BY a.member_id) p ON p.member_id = q.member_id"
            " WHERE coalesce(q.received, 0) <> coalesce(p.paid, 0) + coalesce(("
            "   SELECT sum(e.amount) FROM dividend_entry e"
            "   JOIN dividend_transaction t ON t.id = e.transaction_id"
            "   JOIN dividend_account a ON a.id = e.account_id"
            "   WHERE t.channel_id = %s AND t.kind = 'queue_clawback' AND a.kind = 'write_off'"
            "   AND t.member_id = coalesce(q.member_id, p.member_id)), 0)",
            [cid, cid, cid],
        ),
    )

    check(
        "6-release",
        "days released above their budget (day, released, budget)",
        _rows(
            "SELECT day, released, budget FROM dividend_settlement_day"
            " WHERE channel_id = %s AND released > budget",
            [cid],
        ),
    )
    check(
        "6-release",
        "releases above the member's energy (release id, amount, energy)",
        _rows(
            "SELECT id, amount, energy FROM dividend_release WHERE channel_id = %s"
            " AND (amount > energy OR amount < 0)",
            [cid],
        ),
    )
    check(
        "6-release",
        "days whose release rows differ from the posting (day, rows, posted)",
        _rows(
            "SELECT s.day, coalesce(r.total, 0), coalesce(p.total, 0)"
            " FROM dividend_settlement_day s"
            " LEFT JOIN (SELECT day, sum(amount) AS total FROM dividend_release"
            "            WHERE channel_id = %s GROUP BY day) r ON r.day = s.day"
            " LEFT JOIN (SELECT t.day, sum(e.amount) AS total FROM dividend_entry e"
            "            JOIN dividend_transaction t ON t.id = e.transaction_id"
            "            JOIN dividend_account a ON a.id = e.account_id"
            "            WHERE t.channel_id = %s AND t.kind = 'daily_release' AND a.kind = 'wallet'"
            "            GROUP BY t.day) p ON p.day = s.day"
            " WHERE s.channel_id = %s AND (coalesce(r.total, 0) <> coalesce(p.total, 0)"
            "   OR coalesce(r.total, 0) <> s.released)",
            [cid, cid, cid],
        ),
    )

    check(
        "7-replay",
        "orders with effects posted more than once (order, kind, postings)",
        _rows(
            "SELECT order_id, kind, count(*) FROM dividend_transaction WHERE channel_id = %s"
            " AND order_id IS NOT NULL"
            " AND kind IN ('order_funding', 'order_rewards', 'queue_payout')"
            " GROUP BY 1, 2 HAVING count(*) > 1",
            [cid],
        ),
    )
    check(
        "7-replay",
        "orders that are not confirmed but have postings (order, status)",
        _rows(
            "SELECT DISTINCT o.id, o.status FROM dividend_transaction t JOIN dividend_order o"
            " ON o.id = t.order_id WHERE t.channel_id = %s AND o.status <> 'confirmed'",
            [cid],
        ),
    )
    check(
        "7-replay",
        "confirmed member orders without exactly one funding and reward posting",
        _rows(
            "SELECT o.id FROM dividend_order o WHERE o.channel_id = %s"
            " AND o.status = 'confirmed' AND o.member_id IS NOT NULL AND (SELECT count(*)"
            " FROM dividend_transaction t WHERE t.order_id = o.id AND t.kind IN"
            " ('order_funding', 'order_rewards')) <> 2",
            [cid],
        ),
    )
    check(
        "7-replay",
        "points issued that do not match the members' points (issued, held+burned)",
        _check_points(channel),
    )
    cents = quantum(channel.currency)
    check(
        "8-pools",
        "pools holding money that neither paid orders funded nor members gave back",
        [
            "{} {} != funding {} - payouts {} + given back {}".format(
                kind, *(figure.quantize(cents) for figure in figures)
            )
            for kind, *figures in _rows(
                _POOL_SOURCES,
                {"channel": cid, "currency": channel.currency, "pools": sorted(POOL_KINDS)},
            )
        ],
    )
    return problems


def _check_points(channel: Channel) -> list:
    rows = _rows(
        "SELECT kind, balance FROM dividend_account WHERE channel_id = %s AND unit = %s",
        [channel.pk, POINTS],
    )
    total = sum((b for _, b in rows), Decimal(0))
    return [] if total == 0 else [f"points do not sum to zero: off by {total}"]


def audit(channels=None) -> dict[str, list[Problem]]:
    channels = channels if channels is not None else Channel.objects.order_by("slug")
    return {channel.slug: audit_channel(channel) for channel in channels}
