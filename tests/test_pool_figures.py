"""The figures anyone may read (an account's totals in and out, the queue's tally) are kept by
PostgreSQL in the statement that changes what they count, cannot be written directly, and are
checked by the audit against the rows they count."""

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.dividend import expire_entries
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.models import AccountKind, QueueStatus, queue_tally
from standalone_host.store.models import StoreOrder


def counted(channel):
    entries = channel.queue.all()
    waiting = [e for e in entries if e.status == QueueStatus.WAITING]
    return (
        len(waiting),
        sum(e.target - e.received for e in waiting),
        sum(e.status == QueueStatus.FREED for e in entries),
    )


def test_the_queue_tally_follows_joins_payouts_refunds_and_expiry(make_shop, make_user, clock):
    shop = make_shop(queue_ttl_days="2", queue_max_entries_per_member="10")
    alice, bob = make_user("alice"), make_user("bob")

    def tally():
        kept = queue_tally(shop.channel)
        assert (kept.waiting, kept.remaining, kept.freed) == counted(shop.channel)
        return kept.waiting, kept.remaining, kept.freed

    shop.order(alice, 100)  # target 100.00; its 20.00 waits in the pool
    assert tally() == (1, 100, 0)
    bobs_first = shop.order(bob, 50)  # 30.00 to Alice
    assert tally() == (2, 120, 0)
    for _ in range(4):
        shop.order(bob, 100)  # 4 x 20.00: 70.00 frees Alice, 10.00 to Bob's first entry
    assert tally() == (5, 440, 1)
    # Half of Bob's first order refunded: its target 50.00 becomes 25.00 (it received 10.00).
    shop.refund(StoreOrder.objects.get(pk=bobs_first.order_id), 25)
    assert tally() == (5, 415, 1)
    clock.advance(days=3)
    assert expire_entries(shop.channel) == 5
    assert tally() == (0, 0, 1)
    assert audit_channel(shop.channel) == []


def test_the_pool_totals_are_what_its_entries_put_in_and_took_out(shop, make_user):
    shop.order(make_user("alice"), 100)
    shop.order(make_user("bob"), 35.50)
    pool = Accounts(shop.channel).system(AccountKind.DIVIDEND_POOL)
    # 20.00 + 7.10 in; 27.10 out to Alice's entry.
    assert (pool.total_in, pool.total_out, pool.balance) == (D("27.10"), D("27.10"), 0)
    assert audit_channel(shop.channel) == []


def test_the_figures_cannot_be_written_directly(shop, make_user):
    shop.order(make_user("alice"), 100)
    statements = [
        "UPDATE dividend_account SET total_in = total_in + 1 WHERE kind = 'dividend_pool'",
        "UPDATE dividend_account SET total_out = 0",
        "UPDATE dividend_queue_tally SET waiting = waiting + 1",
        "DELETE FROM dividend_queue_tally",
        f"INSERT INTO dividend_queue_tally VALUES ({shop.channel.pk + 1000}, 1, 1, 1)",
    ]
    for sql in statements:
        with pytest.raises(DatabaseError, match="kept"), transaction.atomic():
            connection.cursor().execute(sql)


def test_the_audit_finds_figures_that_drifted_from_their_rows(shop, make_user):
    shop.order(make_user("alice"), 100)
    with connection.cursor() as cursor:
        # Triggers off for this transaction only, as a hand-made UPDATE in a console could.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE dividend_account SET total_in = total_in + 5 WHERE kind = 'dividend_pool'"
        )
        cursor.execute("UPDATE dividend_queue_tally SET waiting = 7")
        cursor.execute("SET LOCAL session_replication_role = origin")
    problems = audit_channel(shop.channel)
    pool = Accounts(shop.channel).system(AccountKind.DIVIDEND_POOL)
    assert [(p.invariant, p.message, p.rows) for p in problems] == [
        (
            "2-balances",
            "accounts whose totals in and out differ from their entries (id, in, sum, out, sum)",
            [(pool.pk, 25, 20, 0, 0)],
        ),
        (
            "5-queue",
            "queue tally that differs from the entries (waiting, still owed, freed: kept, counted)",
            [(7, 100, 0, 1, 100, 0)],
        ),
    ]
