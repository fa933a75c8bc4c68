"""Benchmark 4: the storefront's account query (`rewardAccount`) through the plugin's GraphQL
endpoint, for a customer with 1,000 releases and 1,000 ledger rows, first page of each, in a store
whose ledger holds N transfers of other customers. Its query count with 10 rows of each is the
baseline: a page must not cost more as the history grows. It is timed twice: right after the
second half of the store's transfers was written, while PostgreSQL's statistics still describe
the ledger of half the size (as after a day's release, until autovacuum analyzes the table; a
plan that reads the whole ledger shows then), and again after ANALYZE; the slower p50 counts."""

from __future__ import annotations

import datetime
import json
import time
from decimal import Decimal

from .common import add_members, median, progress

PAGE = 20
RUNS = 200
STORE_MEMBERS = 10_000
QUERY = """
query MyRewards {
  rewardAccount {
    id points pointValue pointsWorth { amount currency } energy { amount currency }
    contribution { amount currency } wallet { amount currency } tier { code name }
    nextTier { code name minContribution { amount } } contributionToNextTier { amount currency }
    referralCode referrerCode
    queueEntries(first: PAGE, filter: {statuses: [WAITING]}) {
      totalCount
      edges { node { id orderNumber position target { amount } received { amount } } }
    }
    releases(first: PAGE) { totalCount edges { node { day amount { amount currency } } } }
    history(first: PAGE) {
      totalCount edges { node { id kind account amount currency orderNumber memo day } }
    }
  }
}
""".replace("PAGE", str(PAGE))


def _add_rows(member, start: int, count: int) -> None:
    """`count` releases and `count` ledger rows (staff wallet corrections) for `member`."""
    from saleor_dividend_plugin import wallet
    from saleor_dividend_plugin.models import Release

    first_day = datetime.date(2024, 1, 1)
    Release.objects.bulk_create(
        Release(
            channel=member.channel,
            day=first_day + datetime.timedelta(days=start + n),
            member=member,
            contribution=Decimal(10),
            weight=Decimal(1),
            energy=Decimal(30),
            unit_value=Decimal("0.1"),
            amount=Decimal(1),
        )
        for n in range(count)
    )
    for n in range(start, start + count):
        wallet.adjust(member, "wallet", Decimal(1), reason="bench", staff="bench", key=f"bench{n}")


def _store_ledger(channel, transfers: int, prefix: str) -> None:
    """`transfers` transfers to the energy accounts of STORE_MEMBERS new members of the channel
    (referral codes `prefix` + 12 digits), set-based, in one posting."""
    from django.db import connection

    add_members(channel, STORE_MEMBERS, prefix)
    with connection.cursor() as c:
        c.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, %s, 'bench_seed', current_date, '', now()) RETURNING id",
            [channel.pk, f"bench:store:{prefix}"],
        )
        txn = c.fetchone()[0]
        c.execute(
            "WITH energy AS (SELECT row_number() OVER (ORDER BY a.id) - 1 AS n, a.id"
            "   FROM dividend_account a JOIN dividend_member m ON m.id = a.member_id"
            "  WHERE a.channel_id = %(ch)s AND a.kind = 'energy'"
            "    AND m.referral_code LIKE %(prefix)s || '____________')"
            " INSERT INTO dividend_transfer"
            " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
            " SELECT %(txn)s, s.id, e.id, 'ENERGY', 1 FROM generate_series(1, %(n)s) AS i"
            " JOIN energy e ON e.n = i %% %(members)s"
            " JOIN dividend_account s ON s.channel_id = %(ch)s AND s.member_id IS NULL"
            "   AND s.kind = 'energy_issued'",
            {
                "ch": channel.pk,
                "txn": txn,
                "n": transfers,
                "members": STORE_MEMBERS,
                "prefix": prefix,
            },
        )


def run(transfers: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from saleor_dividend_plugin.channels import configure_channel
    from saleor_dividend_plugin.members import member_for
    from standalone_host.store.host import token_for

    channel = configure_channel("bench-account", "USD", {}, True)
    user = get_user_model().objects.create(username="bench-account", email="acc@example.com")
    member = member_for(channel, user.pk)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"}
    body = json.dumps({"query": QUERY, "variables": {}})

    def request() -> dict:
        response = client.post(
            f"/graphql/?channel={channel.slug}", body, content_type="application/json", **headers
        )
        data = response.json()
        if response.status_code != 200 or "errors" in data:
            raise RuntimeError(f"the account query failed: {data}")
        return data["data"]["rewardAccount"]

    def counted() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            account = request()
        return len(captured.captured_queries), account

    progress("10 releases and 10 ledger rows")
    _add_rows(member, 0, 10)
    small, _ = counted()
    progress("1,000 releases and 1,000 ledger rows")
    _add_rows(member, 10, 990)
    large, account = counted()
    totals = (account["releases"]["totalCount"], account["history"]["totalCount"])
    pages = (len(account["releases"]["edges"]), len(account["history"]["edges"]))
    if totals[0] != 1000 or totals[1] < 1000 or pages != (PAGE, PAGE):
        raise RuntimeError(f"unexpected account page: totals {totals}, pages {pages}")
    progress(f"{transfers:,} transfers of {2 * STORE_MEMBERS:,} other customers")
    _store_ledger(channel, transfers // 2, "S")
    with connection.cursor() as c:
        c.execute("ANALYZE")
    _store_ledger(channel, transfers - transfers // 2, "T")

    def timed_runs() -> list[float]:
        for _ in range(5):
            request()
        durations = []
        for _ in range(RUNS):
            start = time.perf_counter()
            request()
            durations.append(time.perf_counter() - start)
        return sorted(durations)

    progress(f"{RUNS} account queries, statistics of half the ledger")
    stale = timed_runs()
    with connection.cursor() as c:
        c.execute("ANALYZE")
    progress(f"{RUNS} account queries, after ANALYZE")
    fresh = timed_runs()
    durations = max(stale, fresh, key=median)
    ms = median(durations) * 1000
    return {
        "name": "account query, 1,000 releases + 1,000 rows",
        "value": round(ms, 2),
        "unit": "ms (p50)",
        "baseline": small,
        "baseline_name": "SQL queries with 10 rows of each",
        "ratio": round(large / small, 2),
        "targets": {
            "same query count for 10 and 1,000 rows": large == small,
            "p50 <= 15 ms": ms <= 15,
        },
        "details": {
            "runs": RUNS,
            "store_transfers": transfers,
            "p50_ms_before_analyze": round(median(stale) * 1000, 2),
            "p50_ms_after_analyze": round(median(fresh) * 1000, 2),
            "queries_10_rows": small,
            "queries_1000_rows": large,
            "page_size": PAGE,
            "p90_ms": round(durations[int(len(durations) * 0.9)] * 1000, 2),
        },
    }
