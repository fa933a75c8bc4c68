"""Benchmark 6: the live report's figures and the forecast's reads for a channel of N members and N
paid orders over 90 days, against one scan of the channel's ledger entries."""

from __future__ import annotations

import datetime

from .common import progress, timed

DAYS = 90
BATCH = 100_000


def _populate(channel, size: int) -> None:
    """Members, their accounts, a paid order each (spread over the last 90 days) with its funding,
    rewards and queue payout postings and its queue entry; set-based, in batches."""
    from django.db import connection

    today = datetime.date.today()
    first = today - datetime.timedelta(days=DAYS - 1)
    with connection.cursor() as c:
        progress(f"creating {size} members with accounts")
        c.execute(
            "INSERT INTO dividend_member (channel_id, referral_code, tier_code, granted_tier_code,"
            " created_at, first_confirmed_at)"
            " SELECT %s, 'R' || lpad(i::text, 12, '0'),"
            " (ARRAY['member','silver','gold','platinum'])[1 + i %% 4], '',"
            " %s::date + (i %% %s) * interval '1 day', %s::date + (i %% %s) * interval '1 day'"
            " FROM generate_series(1, %s) AS i",
            [channel.pk, first, DAYS, first, DAYS, size],
        )
        c.execute(
            "UPDATE dividend_member m SET referrer_id = m.id - 1"
            " WHERE m.channel_id = %s AND m.id %% 3 = 0"
            " AND EXISTS (SELECT 1 FROM dividend_member r WHERE r.id = m.id - 1"
            "   AND r.channel_id = m.channel_id)",
            [channel.pk],
        )
        c.execute(
            "INSERT INTO dividend_account (channel_id, member_id, kind, unit, balance,"
            " may_go_negative) SELECT %s, m.id, k.kind, k.unit, 0, false"
            " FROM dividend_member m CROSS JOIN (VALUES ('points', 'PTS'), ('energy', 'ENERGY'),"
            " ('contribution', 'CONTRIB'), ('wallet', %s)) AS k(kind, unit)"
            " WHERE m.channel_id = %s",
            [channel.pk, channel.currency, channel.pk],
        )
        progress(f"creating {size} paid orders")
        c.execute(
            "INSERT INTO dividend_order (channel_id, order_id, number, member_id, status, amount,"
            " gift_amount, points, energy, refunded, created_at, confirmed_at, confirmed_day)"
            " SELECT %s, 'o' || m.id, '', m.id, 'confirmed', 20 + m.id %% 80, 0,"
            " 20 + m.id %% 80, 20 + m.id %% 80, 0, m.created_at + interval '12 hours',"
            " m.created_at + interval '12 hours', m.created_at::date"
            " FROM dividend_member m WHERE m.channel_id = %s",
            [channel.pk, channel.pk],
        )
        c.execute("SELECT min(id), max(id) FROM dividend_order WHERE channel_id = %s", [channel.pk])
        low, high = c.fetchone()
        accounts = {
            kind: pk
            for kind, pk in channel.accounts.filter(member__isnull=True).values_list("kind", "pk")
        }
        for start in range(low, high + 1, BATCH):
            end = min(start + BATCH - 1, high)
            progress(f"postings of orders {start - low + 1}-{end - low + 1}")
            for kind in ("order_funding", "order_rewards", "queue_payout"):
                c.execute(
                    "INSERT INTO dividend_transaction (channel_id, key, kind, day, order_id,"
                    " member_id, memo, created_at)"
                    " SELECT channel_id, %s || id, %s, confirmed_day, id, member_id, '',"
                    " confirmed_at FROM dividend_order WHERE id BETWEEN %s AND %s",
                    [f"{kind}:", kind, start, end],
                )
            c.execute(
                "WITH o AS (SELECT o.amount, t.kind, t.id AS txn, w.id AS wallet, p.id AS points,"
                "   e.id AS energy, k.id AS contribution"
                "   FROM dividend_order o JOIN dividend_transaction t ON t.order_id = o.id"
                "   JOIN dividend_account w ON w.member_id = o.member_id AND w.kind = 'wallet'"
                "   JOIN dividend_account p ON p.member_id = o.member_id AND p.kind = 'points'"
                "   JOIN dividend_account e ON e.member_id = o.member_id AND e.kind = 'energy'"
                "   JOIN dividend_account k ON k.member_id = o.member_id"
                "    AND k.kind = 'contribution'"
                "  WHERE o.id BETWEEN %(start)s AND %(end)s)"
                " INSERT INTO dividend_entry (transaction_id, account_id, unit, amount)"
                " SELECT txn, s.account, s.unit, s.share * amount FROM o CROSS JOIN LATERAL (VALUES"
                "   (%(platform)s, %(cur)s, -0.35, 'order_funding'),"
                "   (%(pool)s, %(cur)s, 0.2, 'order_funding'),"
                "   (%(release)s, %(cur)s, 0.1, 'order_funding'),"
                "   (%(backing)s, %(cur)s, 0.05, 'order_funding'),"
                "   (%(pool)s, %(cur)s, -0.2, 'queue_payout'),"
                "   (o.wallet, %(cur)s, 0.2, 'queue_payout'),"
                "   (o.points, 'PTS', 1, 'order_rewards'),"
                "   (%(points)s, 'PTS', -1, 'order_rewards'),"
                "   (o.energy, 'ENERGY', 1, 'order_rewards'),"
                "   (%(energy)s, 'ENERGY', -1, 'order_rewards'),"
                "   (o.contribution, 'CONTRIB', 1, 'order_rewards'),"
                "   (%(contribution)s, 'CONTRIB', -1, 'order_rewards')"
                " ) s(account, unit, share, kind) WHERE s.kind = o.kind",
                {
                    "start": start,
                    "end": end,
                    "cur": channel.currency,
                    "platform": accounts["platform"],
                    "pool": accounts["dividend_pool"],
                    "release": accounts["release_pool"],
                    "backing": accounts["points_backing"],
                    "points": accounts["points_issued"],
                    "energy": accounts["energy_issued"],
                    "contribution": accounts["contribution_issued"],
                },
            )
        progress("queue entries: nine in ten freed, the latest waiting")
        c.execute(
            "INSERT INTO dividend_queue_entry (channel_id, order_id, member_id, seq,"
            " original_target, target, received, status, created_at, closed_at)"
            " SELECT channel_id, id, member_id, nextval('dividend_queue_seq'), 0.2 * amount,"
            " 0.2 * amount, CASE WHEN id < %s THEN 0.2 * amount ELSE 0 END,"
            " CASE WHEN id < %s THEN 'freed' ELSE 'waiting' END, confirmed_at,"
            " CASE WHEN id < %s THEN confirmed_at + (id %% 20) * interval '1 day' END"
            " FROM dividend_order WHERE channel_id = %s",
            [low + size * 9 // 10, low + size * 9 // 10, low + size * 9 // 10, channel.pk],
        )
        c.execute(
            "INSERT INTO dividend_point_value (channel_id, day, value, backing, outstanding)"
            " SELECT %s, d::date, 0.05, 0, 0 FROM generate_series(%s::date, %s::date,"
            " interval '1 day') AS d",
            [channel.pk, first, today],
        )
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
