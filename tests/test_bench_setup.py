"""The benchmarks' set-ups write what the plugin's own paths would have written, only faster."""

from decimal import Decimal

import pytest

from bench import report
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.lifecycle import sync_order
from saleor_dividend_plugin.models import AccountKind, OrderRecord, QueueEntry
from standalone_host.store import services
from standalone_host.store.host import snapshot


@pytest.mark.django_db(transaction=True)
def test_the_report_set_up_keeps_the_ledger_consistent():
    # Given a channel populated with the ledger's triggers off (VACUUM needs a committed set-up)
    channel = configure_channel("bench-report", "USD", {}, True)
    report._populate(channel, 90)

    # Then the balances, their totals and the queue tally are what the triggers would have kept:
    # the audit finds only what the benchmark's shape leaves out on purpose (no point lots; each
    # order's payout goes to its own member's wallet, not to the entries ahead of it)
    problems = audit_channel(channel)
    assert sorted(p.message.split(" (")[0] for p in problems) == [
        "point lots that do not add up to the points held",
        "queue payouts that do not match the entries' received amounts",
    ]
    assert OrderRecord.objects.filter(channel=channel, status="confirmed").count() == 90
    assert QueueEntry.objects.filter(channel=channel, status="waiting").count() == 9
    pool = channel.accounts.get(member__isnull=True, kind=AccountKind.RELEASE_POOL)
    assert pool.balance == sum(Decimal("0.1") * (20 + i % 80) for i in range(1, 91))


def test_paid_orders_placed_in_bulk_confirm_like_charged_ones(db, make_user):
    # Given orders placed and paid in one go, without order events
    channel = configure_channel("bulk", "USD", {}, True)
    user = make_user()
    placed = services.place_paid_orders(
        "bulk", "USD", [(user, "1", [(Decimal(30), "default")]), (user, "2", [(Decimal(12), "x")])]
    )

    # When the plugin syncs them
    outcomes = [sync_order(snapshot(order)) for order in placed]

    # Then each is fully paid, keeps its number and is confirmed at its amount
    assert all("confirmed" in outcome for outcome in outcomes)
    records = OrderRecord.objects.filter(channel=channel).order_by("number")
    assert [(r.number, r.amount) for r in records] == [("1", Decimal(30)), ("2", Decimal(12))]
