"""Benchmark 4: the storefront's account query (`rewardAccount`) through the plugin's GraphQL
endpoint, for a customer with 1,000 releases and 1,000 ledger rows, first page of each. Its query
count with 10 rows of each is the baseline: a page must not cost more as the history grows."""

from __future__ import annotations

import datetime
import json
import time
from decimal import Decimal

from .common import median, progress

PAGE = 20
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


def run(runs: int) -> dict:
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
    for _ in range(5):
        request()
    progress(f"{runs} account queries")
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        request()
        durations.append(time.perf_counter() - start)
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
            "runs": runs,
            "queries_10_rows": small,
            "queries_1000_rows": large,
            "page_size": PAGE,
            "p90_ms": round(sorted(durations)[int(len(durations) * 0.9)] * 1000, 2),
        },
    }
