"""The ledger's rules are kept by PostgreSQL, not only by `post`: one row per transfer, from a debit
account to a credit account."""

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.ledger import (
    Accounts,
    UnbalancedPosting,
    channel_day,
    post,
    transfers_from_legs,
)
from saleor_dividend_plugin.members import member_for
from saleor_dividend_plugin.models import Account, AccountKind, Entry, LedgerTransaction, Transfer


@pytest.fixture
def accounts(channel):
    return Accounts(channel)


def _raw_posting(channel, key, transfers):
    """A posting written as raw transfers `(debit account, credit account, unit, amount)`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, %s, 'test', current_date, '', now()) RETURNING id",
            [channel.pk, key],
        )
        txn = cursor.fetchone()[0]
        _raw_transfers(cursor, txn, transfers)
    return txn


def _raw_transfers(cursor, txn, transfers):
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(transfers))
    params = [
        p
        for debit, credit, unit, amount in transfers
        for p in (txn, debit.pk, credit.pk, unit, amount)
    ]
    cursor.execute(
        "INSERT INTO dividend_transfer"
        " (transaction_id, debit_account_id, credit_account_id, unit, amount)"
        f" VALUES {values}",
        params,
    )


@pytest.mark.parametrize(
    "amount, same_account, constraint",
    [
        (D(0), False, "dividend_transfer_positive"),
        (D(-5), False, "dividend_transfer_positive"),
        (D(5), True, "dividend_transfer_two_accounts"),
    ],
)
def test_a_transfer_moves_a_positive_amount_between_two_accounts(
    channel, accounts, amount, same_account, constraint
):
    # A posting balances by construction: each row takes from one account what it gives another.
    platform = accounts.system(AccountKind.PLATFORM)
    pool = platform if same_account else accounts.system(AccountKind.DIVIDEND_POOL)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _raw_posting(channel, "bad", [(platform, pool, "USD", amount)])
    assert Account.objects.get(pk=pool.pk).balance == 0
    assert not LedgerTransaction.objects.filter(key="bad").exists()


def test_post_refuses_unbalanced_legs_before_the_database(channel, accounts):
    with pytest.raises(UnbalancedPosting):
        post(
            channel,
            "k",
            "test",
            [(accounts.system(AccountKind.PLATFORM), D(-1))],
            day=channel.created_at.date(),
        )


def test_balanced_posting_moves_balances_once_and_replay_is_a_no_op(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    day = channel.created_at.date()
    first = post(channel, "fund:1", "test", [(platform, D("-12.34")), (pool, D("12.34"))], day=day)
    again = post(channel, "fund:1", "test", [(platform, D("-12.34")), (pool, D("12.34"))], day=day)
    assert first is not None and again is None
    assert Account.objects.get(pk=pool.pk).balance == D("12.34")
    assert Account.objects.get(pk=platform.pk).balance == D("-12.34")
    [moved] = Transfer.objects.filter(transaction__key="fund:1")
    assert (moved.debit_account_id, moved.credit_account_id, moved.amount) == (
        platform.pk,
        pool.pk,
        D("12.34"),
    )
    # The account lines (a view of the transfers): one per side.
    assert sorted(
        Entry.objects.filter(transaction__key="fund:1").values_list("account_id", "amount")
    ) == sorted([(platform.pk, D("-12.34")), (pool.pk, D("12.34"))])
    totals = Account.objects.get(pk=pool.pk)
    assert (totals.total_in, totals.total_out) == (D("12.34"), 0)


def test_legs_become_one_transfer_per_overlap_of_a_debit_with_a_credit(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    release = accounts.system(AccountKind.RELEASE_POOL)
    backing = accounts.system(AccountKind.POINTS_BACKING)
    legs = [(platform, D(-10)), (pool, D(6)), (release, D(3)), (backing, D(1))]
    post(channel, "fund:2", "test", legs, day=channel.created_at.date())
    assert sorted(
        Transfer.objects.filter(transaction__key="fund:2").values_list(
            "debit_account_id", "credit_account_id", "amount"
        )
    ) == sorted(
        [(platform.pk, pool.pk, 6), (platform.pk, release.pk, 3), (platform.pk, backing.pk, 1)]
    )
    assert [Account.objects.get(pk=a.pk).balance for a, _ in legs] == [D(-10), 6, 3, 1]
    # Two debits and two credits that do not pair up one to one.
    assert transfers_from_legs(
        [(1, "USD", D(-5)), (2, "USD", D(-5)), (3, "USD", D(7)), (4, "USD", D(3))]
    ) == [
        (1, 3, "USD", D(5)),
        (2, 3, "USD", D(2)),
        (2, 4, "USD", D(3)),
    ]


def test_transfers_and_transactions_are_append_only(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    post(channel, "x", "test", [(platform, D(-5)), (pool, D(5))], day=channel.created_at.date())
    for statement in (
        "UPDATE dividend_transfer SET amount = amount * 2",
        "DELETE FROM dividend_transfer",
        "UPDATE dividend_transaction SET kind = 'other'",
        "DELETE FROM dividend_transaction",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)


def test_transfers_cannot_be_added_to_an_existing_transaction(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    txn = post(
        channel, "y", "test", [(platform, D(-5)), (pool, D(5))], day=channel.created_at.date()
    )
    with pytest.raises(IntegrityError, match="already has transfers"), transaction.atomic():
        Transfer.objects.bulk_create(
            [
                Transfer(
                    transaction_id=txn.pk,
                    debit_account=platform,
                    credit_account=pool,
                    unit="USD",
                    amount=D(1),
                )
            ]
        )
    assert Account.objects.get(pk=pool.pk).balance == 5
    # The lines are a view of the transfers: they cannot be written either.
    with pytest.raises(DatabaseError, match="cannot insert into view"), transaction.atomic():
        Entry.objects.create(transaction_id=txn.pk, account=pool, unit="USD", amount=D(1))


def test_balances_cannot_be_written_directly(channel, accounts):
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    with pytest.raises(DatabaseError, match="kept by the ledger"), transaction.atomic():
        Account.objects.filter(pk=pool.pk).update(balance=D(100))


def test_member_balance_never_goes_below_zero(channel, accounts, make_user):
    member = member_for(channel, make_user().pk)
    wallet = accounts.member(member, AccountKind.WALLET)
    platform = accounts.system(AccountKind.PLATFORM)
    with pytest.raises(IntegrityError, match="dividend_account_not_negative"), transaction.atomic():
        post(
            channel, "z", "test", [(wallet, D(-1)), (platform, D(1))], day=channel.created_at.date()
        )
    assert Account.objects.get(pk=wallet.pk).balance == 0


def test_a_transfer_unit_must_be_both_accounts_unit(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    points = accounts.system(AccountKind.POINTS_ISSUED)
    # USD into a PTS account.
    with pytest.raises(IntegrityError, match="has another unit"), transaction.atomic():
        _raw_posting(channel, "units", [(platform, points, "USD", D(1))])
    missing = Account(pk=10**9, unit="USD")
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        _raw_posting(channel, "units3", [(platform, missing, "USD", D(1))])
    assert not Transfer.objects.exists()
    assert Account.objects.get(pk=platform.pk).balance == 0


def test_transfers_need_their_transaction(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    with (
        pytest.raises(IntegrityError, match="ledger transaction 999999 does not exist"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_transfers(cursor, 999999, [(platform, pool, "USD", D(1))])


def test_an_account_with_entries_cannot_go_away_or_change_unit(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    post(channel, "k", "test", [(platform, D(-5)), (pool, D(5))], day=channel_day(channel))
    for statement in (
        "DELETE FROM dividend_account WHERE id = %s",
        "UPDATE dividend_account SET unit = 'EUR' WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="has ledger entries"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [pool.pk])
    assert Account.objects.get(pk=pool.pk).unit == "USD"
    # An account nobody posted to yet may still be tidied away.
    unused = accounts.system(AccountKind.WRITE_OFF)
    Account.objects.filter(pk=unused.pk).delete()


def test_points_are_whole(channel, accounts, make_user):
    member = member_for(channel, make_user().pk)
    with pytest.raises(IntegrityError, match="whole_points"), transaction.atomic():
        post(
            channel,
            "p",
            "test",
            [
                (accounts.member(member, AccountKind.POINTS), D("1.5")),
                (accounts.system(AccountKind.POINTS_ISSUED), D("-1.5")),
            ],
            day=channel.created_at.date(),
        )


def test_the_audit_flags_a_transfer_in_another_unit_or_channel(channel, accounts, make_shop):
    platform = accounts.system(AccountKind.PLATFORM)
    points = accounts.system(AccountKind.POINTS_ISSUED)
    other = Accounts(make_shop(slug="other").channel).system(AccountKind.DIVIDEND_POOL)
    # With the ledger's triggers off for this transaction, as a hand-made INSERT in a database
    # console could.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        _raw_posting(channel, "units", [(platform, points, "USD", D(1))])
        _raw_posting(channel, "channels", [(platform, other, "USD", D(2))])
        cursor.execute("SET LOCAL session_replication_role = origin")
    flagged = [p for p in audit_channel(channel) if p.invariant == "1-balanced"]
    assert [p.message.split(" (")[0] for p in flagged] == [
        "transfers whose unit is not both accounts' unit",
        "transfers with an account of another channel",
    ]
    assert [len(p.rows) for p in flagged] == [1, 1]
