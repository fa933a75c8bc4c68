"""DESIGN §11 rule 8 under random histories: a pool only ever holds what paid orders funded less
what it paid out, plus what members' wallets actually gave back; the audit says so, and flags any
other credit to a pool.

Release, points backing and referral are off, so that every wallet movement other than a gift
card is the queue's: the model below needs nothing but wallet balances to know what the pool
must hold.
"""

import itertools
from decimal import Decimal as D

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin import wallet
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.ledger import Accounts, post
from saleor_dividend_plugin.models import POOL_KINDS, AccountKind, Member
from saleor_dividend_plugin.money import round_down

from .conftest import Shop

_channels = itertools.count(1)
_keys = itertools.count(1)
CUSTOMERS = 3
AMOUNTS = st.integers(min_value=1, max_value=30000).map(lambda cents: D(cents) / 100)

ORDER = st.tuples(st.just("order"), st.integers(0, CUSTOMERS - 1), AMOUNTS)
# Spend this share of the wallet on a gift card.
SPEND = st.tuples(st.just("spend"), st.integers(0, CUSTOMERS - 1), st.sampled_from(["0.5", "1"]))
# Refund this share of an earlier order (cumulative, capped at the order's amount).
REFUND = st.tuples(st.just("refund"), st.integers(0, 20), st.sampled_from(["0.3", "0.5", "1"]))
# Orders first, so that queue entries have been paid when wallets are spent and orders refunded.
steps = st.builds(
    lambda first, then: first + then,
    st.lists(ORDER, min_size=2, max_size=5),
    st.lists(st.one_of(SPEND, REFUND, ORDER), min_size=1, max_size=8),
)
# The case that once refilled the pool with 40.00 nobody paid for.
SPENT_THEN_REFUNDED = [
    ("order", 0, D("100")),
    ("order", 1, D("100")),
    ("spend", 0, "1"),
    ("refund", 0, "1"),
    ("order", 2, D("100")),
]
CONFIGS = st.fixed_dictionaries(
    {
        "dividend_ratio": st.sampled_from(["0.2", "0.5", "1"]),
        "free_ratio": st.sampled_from(["0.5", "1"]),
        "payout_mode": st.sampled_from(["fifo", "even"]),
    }
)
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def gift_cards(settings):
    settings.DIVIDEND_HOST = "tests.test_wallet.GiftCardHost"


def _wallets(shop, users) -> D:
    members = Member.objects.filter(channel=shop.channel, user__in=users)
    accounts = Accounts(shop.channel)
    return sum((accounts.member(m, AccountKind.WALLET).balance for m in members), D(0))


def _play(shop, users, history):
    """Run `history`, checking after each step what the dividend pool holds against the model;
    returns what it must hold after each step."""
    ratio = shop.channel.settings.dividend_ratio
    placed, expected = [], []
    funding = paid = given_back = D(0)
    for kind, who, how in history:
        before = _wallets(shop, users)
        if kind == "order":
            order = shop.place(users[who], str(how))
            shop.pay(order)
            placed.append(order)
            funding += round_down(ratio * shop.record(order).amount, "USD")
            paid += _wallets(shop, users) - before
        elif kind == "spend":
            member = Member.objects.filter(channel=shop.channel, user=users[who]).first()
            held = shop.wallet(users[who]) if member else D(0)
            amount = round_down(held * D(how), "USD")
            if amount > 0:
                wallet.convert_to_gift_card(member, amount, key=f"card-{next(_keys)}")
        elif placed:
            order = placed[who % len(placed)]
            order.refresh_from_db()
            total = shop.record(order).amount
            refund = min(round_down(total * D(how), "USD"), total - order.refunded)
            if refund > 0:
                shop.refund(order, str(refund))
            given_back += before - _wallets(shop, users)
        expected.append(funding - paid + given_back)
        assert shop.balance(None, AccountKind.DIVIDEND_POOL) == expected[-1], (kind, expected)
    return expected


@SETTINGS
@given(config=CONFIGS, history=steps)
@example(
    config={"dividend_ratio": "0.2", "free_ratio": "1", "payout_mode": "fifo"},
    history=SPENT_THEN_REFUNDED,
)
def test_the_pool_holds_funding_less_payouts_plus_what_wallets_gave_back(
    db, gift_cards, make_user, config, history
):
    shop = Shop(_channel(config))
    users = [make_user() for _ in range(CUSTOMERS)]
    expected = _play(shop, users, history)
    assert shop.balance(None, AccountKind.DIVIDEND_POOL) == expected[-1]
    assert audit_channel(shop.channel) == []


@SETTINGS
@given(
    config=CONFIGS,
    history=steps,
    kind=st.sampled_from(sorted(POOL_KINDS)),
    source=st.sampled_from([AccountKind.WRITE_OFF, AccountKind.GIFT_CARDS]),
    amount=AMOUNTS,
)
def test_the_audit_flags_any_pool_credit_nobody_paid_for(
    db, gift_cards, make_user, config, history, kind, source, amount
):
    shop = Shop(_channel(config))
    users = [make_user() for _ in range(CUSTOMERS)]
    _play(shop, users, history)
    assert audit_channel(shop.channel) == []
    accounts = Accounts(shop.channel)
    if source == AccountKind.GIFT_CARDS:
        # Money that has left the store (a gift card issued) cannot come back into a pool either.
        amount = min(amount, accounts.system(source).balance)
        if amount <= 0:
            return
    post(
        shop.channel,
        f"refill-{next(_keys)}",
        "queue_clawback",
        [(accounts.system(kind), amount), (accounts.system(source), -amount)],
        day=timezone.now().date(),
    )
    assert "8-pools" in {problem.invariant for problem in audit_channel(shop.channel)}


def _channel(config):
    values = {
        **config,
        "release_ratio": "0",
        "points_backing_ratio": "0",
        "referral_mode": "off",
        "queue_max_amount": "1000",
    }
    return configure_channel(f"pools-{next(_channels)}", "USD", values, True)
