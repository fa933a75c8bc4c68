"""The management commands: dividend_settle and dividend_audit."""

import datetime
import io
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.db import connection

from saleor_dividend_plugin.models import LedgerTransaction, SettlementDay

UTC = datetime.UTC


def at(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time(hour), tzinfo=UTC
    )


def settle(*args) -> str:
    out = io.StringIO()
    call_command("dividend_settle", *args, stdout=out)
    return out.getvalue()


def ledger_state():
    return (
        LedgerTransaction.objects.count(),
        list(SettlementDay.objects.order_by("day").values_list("day", "finished_at")),
    )


@pytest.fixture
def paid_days(shop, make_user, clock):
    """Orders paid on March 10 (100 and 300) and March 12 (200); the clock stands on March 14."""
    alice, bob = make_user("alice"), make_user("bob")
    clock.set(at("2025-03-10"))
    shop.order(alice, "100")
    shop.order(bob, "300")
    clock.set(at("2025-03-12"))
    shop.order(alice, "200")
    clock.set(at("2025-03-14", 1))
    return SimpleNamespace(shop=shop, alice=alice, bob=bob)


def test_a_range_catches_up_the_missed_days_in_order(paid_days):
    shop, alice, bob = paid_days.shop, paid_days.alice, paid_days.bob
    out = settle("web", "--from", "2025-03-11", "--to", "2025-03-12")

    # The 10th had not been settled: it goes first. The 12th releases 20 over contributions
    # 300 and 300.
    assert out.splitlines() == [
        "[1/3] web 2025-03-10: settled, released 40.00 to 2 members",
        "[2/3] web 2025-03-11: settled, released 0.00 to 0 members",
        "[3/3] web 2025-03-12: settled, released 20.00 to 2 members",
    ]
    days = SettlementDay.objects.order_by("pk")
    assert [d.day.isoformat() for d in days] == ["2025-03-10", "2025-03-11", "2025-03-12"]
    assert all(d.finished_at for d in days)
    # Queue payouts 80 + 20 + 20 and releases 40 + 20
    assert shop.wallet(alice) + shop.wallet(bob) == D("180.00")


def test_without_days_every_ended_day_is_settled(paid_days):
    out = settle("web")
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "[1/4] web 2025-03-10",
        "[2/4] web 2025-03-11",
        "[3/4] web 2025-03-12",
        "[4/4] web 2025-03-13",
    ]
    assert settle("web") == "web: every day up to 2025-03-13 is already settled\n"


def test_a_settled_day_says_so_and_changes_nothing(paid_days):
    settle("web", "--day", "2025-03-10")
    before = ledger_state()

    out = settle("web", "--day", "2025-03-10")

    assert out == "web 2025-03-10: already settled, left as it was\n"
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["web", "--day", "2025-02-30"], "--day must be a day written YYYY-MM-DD, got '2025-02"),
        (["web", "--from", "10.03.2025"], "--from must be a day written YYYY-MM-DD"),
        (
            ["web", "--from", "2025-03-12", "--to", "2025-03-11"],
            "--from 2025-03-12 is after --to 2025-03-11",
        ),
        (["web", "--day", "2025-03-10", "--to", "2025-03-11"], "give either --day or --from/--to"),
        (["shop", "--day", "2025-03-10"], "no rewards channel 'shop' (channels: web)"),
        (
            ["web", "--day", "2025-03-14"],
            "2025-03-14 has not ended yet in UTC: the last day that can be settled is 2025-03-13",
        ),
        (["web", "--from", "2025-03-10", "--to", "2025-03-20"], "2025-03-20 has not ended yet"),
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(paid_days, args, message):
    before = ledger_state()
    with pytest.raises(CommandError) as error:
        settle(*args)
    assert message in str(error.value)
    assert ledger_state() == before
    assert not SettlementDay.objects.exists()


def test_before_the_first_paid_order_there_is_nothing_to_settle(paid_days):
    out = settle("web", "--day", "2025-03-09")
    assert out == "web: nothing to settle up to 2025-03-09 (no paid order by then)\n"
    assert not SettlementDay.objects.exists()


def audit(*args):
    out = io.StringIO()
    call_command("dividend_audit", *args, stdout=out)
    return out.getvalue()


def exit_code(name, *args) -> int:
    """Runs the command as `manage.py` does, returning its exit status."""
    command = load_command_class("saleor_dividend_plugin", name)
    command.stdout = command.stderr = io.StringIO()
    try:
        command.run_from_argv(["manage.py", name, *args])
    except SystemExit as exit:
        return exit.code
    return 0


def test_audit_without_channels_has_nothing_to_check(db):
    assert audit() == "no rewards channel is configured: nothing to check\n"


def test_audit_of_a_settled_channel_is_clean(paid_days):
    settle("web")
    assert audit() == "web: all 8 invariants hold\n"
    assert audit("--channel", "web") == "web: all 8 invariants hold\n"
    with pytest.raises(CommandError, match="no rewards channel 'shop'"):
        audit("--channel", "shop")
    # Last: the command closes the connection when it ends
    assert exit_code("dividend_audit") == 0


def test_audit_names_the_broken_invariant_and_fails(paid_days):
    settle("web")
    alice = paid_days.shop.member(paid_days.alice)
    # Bypass the ledger's own guard, as a hand-made UPDATE in a database console could
    # (triggers off for this transaction only).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE dividend_account SET balance = balance + 5 WHERE member_id = %s AND kind = %s",
            [alice.pk, "wallet"],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    out = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("dividend_audit", stdout=out)

    assert error.value.returncode == 1
    assert str(error.value) == "audit failed: 2 problem(s)"
    lines = out.getvalue().splitlines()
    assert lines[0] == "web: 2 problem(s)"
    assert lines[1].startswith("  [2-balances] accounts whose balance differs from their entries")
    assert lines[2].startswith("  [4-funding] funding does not match where it went")
    # Last: the command closes the connection when it ends
    assert exit_code("dividend_audit") == 1
