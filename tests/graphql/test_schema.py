"""The exported SDL and the example operations in graphql/: current, valid, and working."""

import datetime
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from saleor_dividend_plugin import wallet
from saleor_dividend_plugin.graphql.enums import RewardHistoryKind
from saleor_dividend_plugin.graphql.export import sdl
from saleor_dividend_plugin.models import LedgerTransaction

from .conftest import account_id, withdrawal_id

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "graphql" / "schema.graphql"
OPERATIONS = ROOT / "graphql" / "operations"


def test_the_exported_sdl_is_current():
    assert SCHEMA.read_text() == sdl(), "graphql/schema.graphql is stale: run `make schema`"


def test_the_readme_examples_are_valid():
    from graphql import parse, validate

    from saleor_dividend_plugin.graphql.schema import schema

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## GraphQL API") : readme.index("## Simulator")]
    blocks = re.findall(r"```graphql\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    for block in blocks:
        assert validate(schema, parse(block)) == []


def test_the_export_command_writes_the_sdl(tmp_path):
    target = tmp_path / "schema.graphql"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "saleor_dividend_plugin.graphql.export", str(target)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    assert target.read_text() == SCHEMA.read_text()


@pytest.fixture
def channel(make_channel):
    return make_channel(withdrawals_enabled="true", min_withdrawal="1")


@pytest.fixture
def store(shop, customer, make_user, make_staff, gift_cards, clock):
    """A channel with a settled day: Alice and Bob ordered yesterday, Carol is new, and Alice
    has a withdrawal waiting."""
    clock.advance(days=-1)
    shop.order(customer, 100)
    shop.order(make_user("bob"), 100)
    clock.advance(days=1)
    yesterday = clock.now.date() - datetime.timedelta(days=1)
    alice = shop.member(customer)
    waiting = wallet.request_withdrawal(alice, D(5), "IBAN DE00", key="seed")
    return {
        "alice": alice,
        "carol": make_user("carol"),
        "staff": make_staff(superuser=True),
        "yesterday": yesterday.isoformat(),
        "withdrawal": withdrawal_id(waiting),
    }


# Who runs each example and with which variables, given the `store` fixture.
EXAMPLES = {
    "ChannelRewards": lambda s: (None, {}),
    "MyRewards": lambda s: (s["alice"].user, {}),
    "RewardHistory": lambda s: (s["alice"].user, {"filter": {"kinds": ["ORDER_REWARD"]}}),
    "PointsRedeem": lambda s: (s["alice"].user, {"points": "100", "idempotencyKey": "3f1c9a"}),
    "WalletConvertToGiftCard": lambda s: (s["alice"].user, {"amount": "10.00", "currency": "USD"}),
    "WithdrawalRequest": lambda s: (
        s["alice"].user,
        {"amount": "20.00", "details": "IBAN DE89 3704 0044"},
    ),
    "ReferrerSet": lambda s: (s["carol"], {"code": s["alice"].referral_code}),
    "RewardMember": lambda s: (s["staff"], {"email": s["alice"].user.email}),
    "RewardAccountAdjust": lambda s: (
        s["staff"],
        {
            "id": account_id(s["alice"]),
            "kind": "WALLET",
            "amount": "-1.50",
            "reason": "Damaged parcel refund",
        },
    ),
    "RewardWithdrawals": lambda s: (s["staff"], {}),
    "WithdrawalApprove": lambda s: (s["staff"], {"id": s["withdrawal"], "reason": "Paid 3 May"}),
    "WithdrawalReject": lambda s: (s["staff"], {"id": s["withdrawal"], "reason": "Unknown IBAN"}),
    "SettlementRun": lambda s: (s["staff"], {"day": s["yesterday"]}),
}


def run_example(api, store, name):
    user, variables = EXAMPLES[name](store)
    return api.data((OPERATIONS / f"{name}.graphql").read_text(), variables, user=user)


def test_every_example_operation_is_run_here():
    assert {path.stem for path in OPERATIONS.glob("*.graphql")} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(p.stem for p in OPERATIONS.glob("*.graphql")))
def test_example_operation_runs(api, store, name):
    data = run_example(api, store, name)
    for field, result in data.items():
        assert result is not None, field
        if isinstance(result, dict) and "errors" in result:
            assert result["errors"] == [], (name, result["errors"])


def test_every_kind_of_posting_has_a_name_in_the_history(api, store):
    """Runs every example mutation, then every posting a member's history can show."""
    for name in (
        "PointsRedeem",
        "WalletConvertToGiftCard",
        "WithdrawalRequest",
        "RewardAccountAdjust",
        "WithdrawalReject",
        "SettlementRun",
    ):
        run_example(api, store, name)
    kinds = set(LedgerTransaction.objects.values_list("kind", flat=True))
    assert kinds <= {kind.value for kind in RewardHistoryKind}
    history = api.data(
        (OPERATIONS / "RewardHistory.graphql").read_text(), {"first": 100}, user=store["alice"].user
    )["rewardAccount"]["history"]
    shown = {edge["node"]["kind"] for edge in history["edges"]}
    assert shown == {
        "ORDER_REWARD",
        "QUEUE_PAYOUT",
        "DAILY_RELEASE",
        "POINTS_REDEMPTION",
        "GIFT_CARD",
        "WITHDRAWAL_REQUEST",
        "WITHDRAWAL_REJECTED",
        "WALLET_ADJUSTMENT",
    }
