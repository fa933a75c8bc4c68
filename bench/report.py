"""Benchmark 6: the live report's figures and the forecast's reads for a channel of N members and N
paid orders over 90 days, against one scan of the channel's ledger entries."""

from __future__ import annotations

import datetime

from .common import progress, timed

DAYS = 90
# Members whose ledger transfers one statement writes (7 each): a progress line each.
BATCH = 250_000

# What confirming a member's one paid order leaves in the ledger: three postings and their
# transfers, as (posting, debit account, credit account, share of the order's amount). An account
# in lower case is the member's own, in upper case the channel's.
POSTINGS = ("order_funding", "order_rewards", "queue_payout")
MEMBER_ACCOUNTS = {"points": "PTS", "energy": "ENERGY", "contribution": "CONTRIB", "wallet": None}
SYSTEM_UNITS = {"POINTS_ISSUED": "PTS", "ENERGY_ISSUED": "ENERGY", "CONTRIBUTION_ISSUED": "CONTRIB"}
TRANSFERS = (
    ("order_funding", "PLATFORM", "DIVIDEND_POOL", "0.2"),
    ("order_funding", "PLATFORM", "RELEASE_POOL", "0.1"),
    ("order_funding", "PLATFORM", "POINTS_BACKING", "0.05"),
    ("queue_payout", "DIVIDEND_POOL", "wallet", "0.2"),
    ("order_rewards", "POINTS_ISSUED", "points", "1"),
    ("order_rewards", "ENERGY_ISSUED", "energy", "1"),
    ("order_rewards", "CONTRIBUTION_ISSUED", "contribution", "1"),
)
# The same as each account's lines: (posting, account, share), debits negative.
LEGS = tuple(
    leg
    for posting, debit, credit, share in TRANSFERS
    for leg in ((posting, debit, f"-{share}"), (posting, credit, share))
)
# Member i (1..N) pays AMOUNT and joins on day i % DAYS; its id, its accounts', its order's and
# its postings' are at fixed offsets from the first id of a block reserved for each table.
AMOUNT = "(20 + i %% 80)"
JOINED = "%(first)s::date + (i %% %(days)s) * interval '1 day'"
PAID = f"({JOINED} + interval '12 hours')"


def _unit(account: str, currency: str) -> str:
    return MEMBER_ACCOUNTS.get(account) or SYSTEM_UNITS.get(account) or currency


def _unit_sql(account: str) -> str:
    """The unit of `account` in SQL: a literal, or the channel's currency as a parameter."""
    unit = _unit(account, "")
    return f"'{unit}'" if unit else "%(cur)s"


def _check_units(currency: str) -> None:
    """Every transfer of TRANSFERS is between two accounts of one unit, as the ledger's trigger
    would insist."""
    mixed = [t for t in TRANSFERS if _unit(t[1], currency) != _unit(t[2], currency)]
    if mixed:
        raise AssertionError(f"the report's set-up transfers mix units: {mixed}")


def _reserve(c, table: str, count: int) -> int:
    """The first of `count` consecutive ids taken at once from `table`'s identity."""
    c.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
    first = c.fetchone()[0]
    c.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count])
    return first


def _populate(channel, size: int) -> None:
    """Members, their accounts, a paid order each (spread over the last 90 days) with its funding,
    rewards and queue payout postings and its queue entry: what confirming the orders one by one
    would leave, written set-based. Each table is one INSERT ... SELECT over generate_series
    (the entries a few), with ids computed from reserved blocks rather than looked up, so that no
    statement joins. The ledger's triggers are off meanwhile (session_replication_role =
    replica, which also skips the deferred foreign-key checks of millions of rows); what they
    keep is written here from the same legs as the entries: every balance with its total_in and
    total_out, and the queue tally (by the tally's own function)."""
    from django.db import connection

    currency = channel.currency
    _check_units(currency)
    today = datetime.date.today()
    system = {
        kind.upper(): pk
        for kind, pk in channel.accounts.filter(member__isnull=True).values_list("kind", "pk")
    }
    kinds = list(MEMBER_ACCOUNTS)
    with connection.cursor() as c:
        c.execute("SET session_replication_role = replica")
        c.execute("SET synchronous_commit = off")
        try:
            p = {
                "ch": channel.pk,
                "cur": currency,
                "first": today - datetime.timedelta(days=DAYS - 1),
                "today": today,
                "days": DAYS,
                "size": size,
                "m0": _reserve(c, "dividend_member", size),
                "a0": _reserve(c, "dividend_account", size * len(kinds)),
                "o0": _reserve(c, "dividend_order", size),
                "t0": _reserve(c, "dividend_transaction", size * len(POSTINGS)),
                "n_acc": len(kinds),
                "n_txn": len(POSTINGS),
                "freed": size * 9 // 10,
            }
            progress(f"creating {size} members (a third referred by the one before)")
            c.execute(
                "INSERT INTO dividend_member (id, channel_id, referral_code, tier_code,"
                " granted_tier_code, referrer_id, created_at, first_confirmed_at)"
                " SELECT %(m0)s + i - 1, %(ch)s, 'R' || lpad(i::text, 12, '0'),"
                " (ARRAY['member','silver','gold','platinum'])[1 + i %% 4], '',"
                f" CASE WHEN i %% 3 = 0 THEN %(m0)s + i - 2 END, {JOINED}, {JOINED}"
                " FROM generate_series(1, %(size)s) AS i",
                p,
            )
            progress(f"creating {size * len(kinds)} member accounts with their balances")
            # A member account's balance and total_in: the sum of its legs (all positive).
            balances = ", ".join(
                f"({n}, '{kind}', {_unit_sql(kind)}, ("
                + " + ".join(f"{share}::numeric" for _, a, share in LEGS if a == kind)
                + f") * {AMOUNT})"
                for n, kind in enumerate(kinds)
            )
            c.execute(
                "INSERT INTO dividend_account (id, channel_id, member_id, kind, unit, balance,"
                " total_in, total_out, may_go_negative)"
                " SELECT %(a0)s + (i - 1) * %(n_acc)s + k.n, %(ch)s, %(m0)s + i - 1, k.kind,"
                " k.unit, k.balance, k.balance, 0, false FROM generate_series(1, %(size)s) AS i"
                f" CROSS JOIN LATERAL (VALUES {balances}) AS k(n, kind, unit, balance)",
                p,
            )
            progress(f"creating {size} paid orders")
            c.execute(
                "INSERT INTO dividend_order (id, channel_id, order_id, number, member_id, status,"
                " amount, gift_amount, points, energy, refunded, created_at, confirmed_at,"
                " confirmed_day)"
                " SELECT %(o0)s + i - 1, %(ch)s, 'o' || i, '', %(m0)s + i - 1, 'confirmed',"
                f" {AMOUNT}, 0, {AMOUNT}, {AMOUNT}, 0, {PAID}, {PAID}, ({JOINED})::date"
                " FROM generate_series(1, %(size)s) AS i",
                p,
            )
            progress(f"creating {size * len(POSTINGS)} postings")
            # Keys in the order of the ids, so that their unique index is appended to.
            kinds_of_posting = ", ".join(
                f"({n}, '{kind}', 'o' || lpad(i::text, 9, '0') || ':{kind}')"
                for n, kind in enumerate(POSTINGS)
            )
            c.execute(
                "INSERT INTO dividend_transaction (id, channel_id, key, kind, day, order_id,"
                " member_id, memo, created_at)"
                " SELECT %(t0)s + (i - 1) * %(n_txn)s + t.n, %(ch)s, t.key, t.kind,"
                f" ({JOINED})::date, %(o0)s + i - 1, %(m0)s + i - 1, '', {PAID}"
                " FROM generate_series(1, %(size)s) AS i"
                f" CROSS JOIN LATERAL (VALUES {kinds_of_posting}) AS t(n, kind, key)",
                p,
            )

            # (posting, debit and credit: member account index or NULL, channel account id or
            # NULL, unit, amount): the amount refers to i, so each member's transfers come out
            # together, in posting order.
            def account_sql(account):
                if account in MEMBER_ACCOUNTS:
                    return f"{kinds.index(account)}, NULL::bigint"
                return f"NULL::int, {system[account]}"

            moves = ", ".join(
                f"({POSTINGS.index(posting)}, {account_sql(debit)}, {account_sql(credit)},"
                f" {_unit_sql(credit)}, {share}::numeric * {AMOUNT})"
                for posting, debit, credit, share in TRANSFERS
            )
            for low in range(1, size + 1, BATCH):
                high = min(low + BATCH - 1, size)
                count = (high - low + 1) * len(TRANSFERS)
                progress(f"ledger transfers of orders {low}-{high} ({count})")
                c.execute(
                    "INSERT INTO dividend_transfer"
                    " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
                    " SELECT %(t0)s + (i - 1) * %(n_txn)s + l.posting,"
                    " coalesce(%(a0)s + (i - 1) * %(n_acc)s + l.debit, l.debit_system),"
                    " coalesce(%(a0)s + (i - 1) * %(n_acc)s + l.credit, l.credit_system),"
                    " l.unit, l.amount FROM generate_series(%(low)s, %(high)s) AS i"
                    f" CROSS JOIN LATERAL (VALUES {moves})"
                    " AS l(posting, debit, debit_system, credit, credit_system, unit, amount)",
                    {**p, "low": low, "high": high},
                )
            progress("the channel's accounts: balances of the legs on them")
            c.execute(
                "UPDATE dividend_account a SET balance = a.balance + s.amount,"
                " total_in = a.total_in + s.total_in, total_out = a.total_out + s.total_out"
                " FROM (SELECT l.account, sum(l.share) * o.total AS amount,"
                "   coalesce(sum(l.share) FILTER (WHERE l.share > 0), 0) * o.total AS total_in,"
                "   coalesce(-sum(l.share) FILTER (WHERE l.share < 0), 0) * o.total AS total_out"
                f"   FROM (SELECT sum({AMOUNT}) AS total FROM generate_series(1, %(size)s) AS i) o"
                "   CROSS JOIN (VALUES "
                + ", ".join(
                    f"({system[account]}, {share}::numeric)"
                    for _, account, share in LEGS
                    if account not in MEMBER_ACCOUNTS
                )
                + ") AS l(account, share) GROUP BY l.account, o.total) s WHERE a.id = s.account",
                p,
            )
            progress("queue entries: nine in ten freed, the latest waiting; the queue tally")
            c.execute(
                "INSERT INTO dividend_queue_entry (channel_id, order_id, member_id, seq,"
                " original_target, target, received, status, created_at, closed_at)"
                " SELECT %(ch)s, %(o0)s + i - 1, %(m0)s + i - 1, nextval('dividend_queue_seq'),"
                f" 0.2 * {AMOUNT}, 0.2 * {AMOUNT},"
                f" CASE WHEN i <= %(freed)s THEN 0.2 * {AMOUNT} ELSE 0 END,"
                " CASE WHEN i <= %(freed)s THEN 'freed' ELSE 'waiting' END, " + PAID + ","
                f" CASE WHEN i <= %(freed)s THEN {PAID} + (i %% 20) * interval '1 day' END"
                " FROM generate_series(1, %(size)s) AS i",
                p,
            )
            c.execute(
                "SELECT dividend_queue_tally_add(array_agg(channel_id), array_agg(status),"
                " array_agg(target - received), array_agg(1))"
                " FROM dividend_queue_entry WHERE channel_id = %(ch)s",
                p,
            )
            c.execute(
                "INSERT INTO dividend_point_value (channel_id, day, value, backing, outstanding)"
                " SELECT %(ch)s, d::date, 0.05, 0, 0 FROM generate_series(%(first)s::date,"
                " %(today)s::date, interval '1 day') AS d",
                p,
            )
        finally:
            c.execute("SET session_replication_role = DEFAULT")
            c.execute("SET synchronous_commit = DEFAULT")
        progress("VACUUM ANALYZE of the tables written")
        for table in ("member", "account", "order", "transaction", "entry", "queue_entry"):
            c.execute(f"VACUUM ANALYZE dividend_{table}")


def run(size: int) -> dict:
    from django.db import connection

    from saleor_dividend_plugin.channels import configure_channel
    from saleor_dividend_plugin.reporting import ledger_figures
    from saleor_dividend_plugin.reporting.live import channel_report

    channel = configure_channel("bench-report", "USD", {}, True)
    _populate(channel, size)

    progress("baseline: one scan of the channel's ledger entries")
    with timed() as baseline, connection.cursor() as c:
        c.execute(
            "SELECT count(*), sum(e.amount) FROM dividend_transaction t"
            " JOIN dividend_entry e ON e.transaction_id = t.id WHERE t.channel_id = %s",
            [channel.pk],
        )
    progress(f"report of {DAYS} days")
    with timed() as report:
        result = channel_report(channel, DAYS)
    today = datetime.date.today()
    progress("the forecast's reads: flow history and channel state")
    with timed() as reads:
        ledger_figures.flow_history(
            channel, today - datetime.timedelta(days=DAYS), today - datetime.timedelta(days=1), 28
        )
        snapshot = ledger_figures.channel_snapshot(channel)
    ratio = report["seconds"] / baseline["seconds"]
    return {
        "name": f"live report, {size} members and orders",
        "value": round(report["seconds"], 2),
        "unit": "s",
        "baseline": round(baseline["seconds"], 2),
        "baseline_name": "one scan of the channel's ledger entries",
        "ratio": round(ratio, 2),
        "targets": {"ratio <= 5": ratio <= 5},
        "details": {
            "paid_orders": result.summary["orders"]["paid"],
            "forecast_reads_seconds": round(reads["seconds"], 2),
            "members_read": len(snapshot.members),
        },
    }
