"""The ledger's rules are kept by PostgreSQL, not only by `post`."""

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from saleor_dividend_plugin.ledger import Accounts, UnbalancedPosting, channel_day, post
from saleor_dividend_plugin.members import member_for
from saleor_dividend_plugin.models import Account, AccountKind, Entry, LedgerTransaction


@pytest.fixture
def accounts(channel):
    return Accounts(channel)


def _raw_posting(channel, key, legs):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dividend_transaction (channel_id, key, kind, day, memo, created_at)"
            " VALUES (%s, %s, 'test', current_date, '', now()) RETURNING id",
            [channel.pk, key],
        )
        txn = cursor.fetchone()[0]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(legs))
        params = [p for account, amount in legs for p in (txn, account.pk, account.unit, amount)]
        cursor.execute(
            "INSERT INTO dividend_entry (transaction_id, account_id, unit, amount)"
            f" VALUES {values}",
            params,
        )
    return txn


def test_database_refuses_a_posting_that_does_not_balance(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    with (
        pytest.raises(IntegrityError, match="does not balance in USD: off by 1"),
        transaction.atomic(),
    ):
        _raw_posting(channel, "bad", [(platform, D("-10")), (pool, D("11"))])
    assert pool.__class__.objects.get(pk=pool.pk).balance == 0
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
    assert Entry.objects.filter(transaction__key="fund:1").count() == 2


def test_entries_and_transactions_are_append_only(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    post(channel, "x", "test", [(platform, D(-5)), (pool, D(5))], day=channel.created_at.date())
    for statement in (
        "UPDATE dividend_entry SET amount = amount * 2",
        "DELETE FROM dividend_entry",
        "UPDATE dividend_transaction SET kind = 'other'",
        "DELETE FROM dividend_transaction",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)


def test_entries_cannot_be_added_to_an_existing_transaction(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    txn = post(
        channel, "y", "test", [(platform, D(-5)), (pool, D(5))], day=channel.created_at.date()
    )
    with pytest.raises(IntegrityError, match="already has entries"), transaction.atomic():
        Entry.objects.bulk_create(
            [
                Entry(transaction_id=txn.pk, account=platform, unit="USD", amount=D(-1)),
                Entry(transaction_id=txn.pk, account=pool, unit="USD", amount=D(1)),
            ]
        )


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


def test_entry_unit_must_be_its_accounts_unit(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    points = accounts.system(AccountKind.POINTS_ISSUED)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_posting(channel, "units", [(platform, D(-1)), (points, D(1))])
        # the legs balance in numbers but not per unit: PTS is not USD
    fake = Account(pk=points.pk, unit="USD")
    with pytest.raises(IntegrityError, match="has another unit"), transaction.atomic():
        _raw_posting(channel, "units2", [(platform, D(-1)), (fake, D(1))])
    missing = Account(pk=10**9, unit="USD")
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        _raw_posting(channel, "units3", [(platform, D(-1)), (missing, D(1))])
    assert not Entry.objects.exists()


def test_entries_need_their_transaction(channel, accounts):
    platform = accounts.system(AccountKind.PLATFORM)
    pool = accounts.system(AccountKind.DIVIDEND_POOL)
    with (
        pytest.raises(IntegrityError, match="ledger transaction 999999 does not exist"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO dividend_entry (transaction_id, account_id, unit, amount)"
            " VALUES (999999, %s, 'USD', -1), (999999, %s, 'USD', 1)",
            [platform.pk, pool.pk],
        )


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
