"""Benchmark 2: the daily release for N members with energy in one channel, against one raw SQL
UPDATE of the same N account rows; and the settling process's peak memory."""

from __future__ import annotations

import datetime

from .common import add_members, peak_rss_mb, progress, timed


def _populate(channel, members: int) -> None:
    """Members, their accounts and one posting that gives each energy and contribution, all
    set-based (creating a million members one by one would take longer than the benchmark)."""
    from django.db import connection

    progress(f"creating {members} members with accounts")
    add_members(channel, members, "B", ("member", "silver", "gold", "platinum"))
    with connection.cursor() as c:
        progress("one posting giving every member energy and contribution")
        c.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, 'bench:seed', 'bench_seed', %s, '', now()) RETURNING id",
            [channel.pk, datetime.date(2026, 1, 1)],
        )
        txn = c.fetchone()[0]
        c.execute(
            "WITH legs AS (SELECT a.id, a.unit, CASE a.kind WHEN 'energy'"
            "   THEN 10 + (a.member_id %% 50) * 7 ELSE 5 + (a.member_id %% 97)"
            "   END::numeric AS amount"
            "   FROM dividend_account a WHERE a.channel_id = %(ch)s"
            "   AND a.kind IN ('energy', 'contribution'))"
            " INSERT INTO dividend_transfer"
            " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
            " SELECT %(txn)s, s.id, l.id, l.unit, l.amount FROM legs l"
            " JOIN dividend_account s ON s.channel_id = %(ch)s AND s.member_id IS NULL"
            "   AND s.kind IN ('energy_issued', 'contribution_issued') AND s.unit = l.unit",
            {"ch": channel.pk, "txn": txn},
        )
        c.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, 'bench:fund', 'order_funding', %s, '', now()) RETURNING id",
            [channel.pk, datetime.date(2026, 1, 1)],
        )
        txn = c.fetchone()[0]
        c.execute(
            "INSERT INTO dividend_transfer"
            " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
            " SELECT %s, p.id, r.id, p.unit, %s::numeric FROM dividend_account p"
            " JOIN dividend_account r ON r.channel_id = p.channel_id AND r.member_id IS NULL"
            "   AND r.kind = 'release_pool' AND r.unit = p.unit"
            " WHERE p.channel_id = %s AND p.member_id IS NULL AND p.kind = 'platform'"
            "   AND p.unit = %s",
            [txn, members * 3, channel.pk, channel.currency],
        )
        c.execute("VACUUM ANALYZE dividend_account")
        c.execute("VACUUM ANALYZE dividend_member")
        c.execute("VACUUM ANALYZE dividend_transfer")


def run(members: int) -> dict:
    from django.db import connection, transaction

    from saleor_dividend_plugin.channels import configure_channel
    from saleor_dividend_plugin.locks import lock_channel
    from saleor_dividend_plugin.release import run_release

    channel = configure_channel("bench-release", "USD", {}, True)
    _populate(channel, members)

    progress(f"baseline: one UPDATE of {members} wallet rows")
    with timed() as baseline, transaction.atomic(), connection.cursor() as c:
        c.execute(
            "UPDATE dividend_account SET may_go_negative = NOT may_go_negative"
            " WHERE channel_id = %s AND kind = 'wallet'",
            [channel.pk],
        )
        transaction.set_rollback(True)
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE dividend_account")

    progress(f"release for {members} members")
    with timed() as release, transaction.atomic():
        lock_channel(channel.pk)
        result = run_release(channel, datetime.date(2026, 1, 1), "bench:release")
    ratio = release["seconds"] / baseline["seconds"]
    memory = peak_rss_mb()
    return {
        "name": f"daily release, {members} members",
        "value": round(release["seconds"], 2),
        "unit": "s",
        "baseline": round(baseline["seconds"], 2),
        "baseline_name": f"one raw UPDATE of {members} account rows",
        "ratio": round(ratio, 2),
        "targets": {"ratio <= 3": ratio <= 3, "peak memory <= 300 MB": memory <= 300},
        "details": {
            "members_paid": result.members_paid,
            "released": str(result.released),
            "peak_rss_mb": round(memory, 1),
        },
    }
