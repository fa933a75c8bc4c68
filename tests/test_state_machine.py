"""A channel driven by random customers, staff and days: every invariant holds after every step.

Hypothesis picks the next step from orders, payments (in full or in part), refunds,
cancellations, replayed events, referrals, point redemptions, gift cards, withdrawals, new channel
settings and settled days. After each step the audit must be clean, the figures the test keeps
for itself (gift cards issued, withdrawals paid and pending, each order's status) must match the
ledger, and replaying the step's order events and settlement must change nothing.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from saleor_dividend_plugin import wallet
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.host import GiftCard
from saleor_dividend_plugin.ledger import Accounts
from saleor_dividend_plugin.lifecycle import sync_order
from saleor_dividend_plugin.members import ReferralError, member_for, set_referrer
from saleor_dividend_plugin.models import (
    Account,
    AccountKind,
    Entry,
    LedgerTransaction,
    OrderRecord,
    OrderStatus,
    QueueEntry,
    Withdrawal,
)
from saleor_dividend_plugin.points import RedemptionError, redeem
from saleor_dividend_plugin.settlement import settle_due
from saleor_dividend_plugin.wallet import WalletError
from standalone_host.store import services
from standalone_host.store.host import StandaloneHost, snapshot
from standalone_host.store.models import StoreOrder

from .tally import count

D = Decimal
START = datetime.datetime(2025, 3, 10, 9, 0, tzinfo=datetime.UTC)
CUSTOMERS = 4

# Settings a store owner may switch between while the channel runs; withdrawals stay enabled so
# that requests made under one setting can be decided under another.
BASE = {"withdrawals_enabled": "true", "min_withdrawal": "1", "points_min_redemption": "10"}
CONFIGURATIONS = [
    BASE,
    {**BASE, "dividend_ratio": "0.35", "free_ratio": "0.8", "referral_mode": "queue"},
    {**BASE, "payout_mode": "even", "even_k": "3", "queue_max_entries_per_member": "2"},
    {**BASE, "referral_ratios": "0.1,0.05", "release_ratio": "0.25", "energy_multiplier": "2"},
    {**BASE, "point_value_mode": "rate", "point_value_initial": "0.02", "queue_min_amount": "20"},
    {**BASE, "dividend_enabled": "false", "queue_ttl_days": "2", "points_expire_days": "3"},
]
REFERRAL_REFUSALS = {"ALREADY_SET", "TOO_LATE", "SELF_REFERRAL", "CYCLE", "DEPTH_EXCEEDED"}
amounts = st.integers(min_value=1, max_value=40_000).map(lambda cents: D(cents) / 100)


class GiftCardHost(StandaloneHost):
    """The standalone host issuing gift cards, remembering every card it issued."""

    issued: list[Decimal] = []

    def issue_gift_card(self, *, user_id, channel, currency, amount, note):
        self.issued.append(amount)
        return GiftCard(id=f"card-{len(self.issued)}", code=f"GIFT-{len(self.issued):05d}")


class Steps:
    run = 0


def ledger_state():
    return (
        LedgerTransaction.objects.count(),
        Entry.objects.count(),
        sorted(Account.objects.values_list("pk", "balance")),
        sorted(OrderRecord.objects.values_list("pk", "status", "refunded")),
        sorted(QueueEntry.objects.values_list("pk", "status", "received", "target")),
    )


class ChannelMachine(RuleBasedStateMachine):
    clock = None  # the test's stopped clock, set before the run

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at its end: examples never see each other.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock.set(START)
        GiftCardHost.issued.clear()
        self.channel = configure_channel("machine", "USD", CONFIGURATIONS[0], True)
        users = get_user_model().objects
        self.users = [users.create_user(username=f"sm-{n}") for n in range(CUSTOMERS)]
        self.orders: list[StoreOrder] = []
        # What the test expects the plugin to make of each order, from the store's side alone.
        self.expected_status: dict[int, str] = {}
        self.withdrawals: list[int] = []
        self.touched: list[StoreOrder] = []
        self.keys = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def key(self) -> str:
        self.keys += 1
        return f"sm-{self.keys}"

    def member(self, index):
        return member_for(self.channel, self.users[index % CUSTOMERS].pk)

    def order(self, index) -> StoreOrder | None:
        if not self.orders:
            return None
        order = self.orders[index % len(self.orders)]
        order.refresh_from_db()
        return order

    def deliver(self, order: StoreOrder) -> None:
        sync_order(snapshot(StoreOrder.objects.get(pk=order.pk)))
        self.touched = [order]

    def step(self):
        Steps.run += 1
        self.touched = []

    @rule(
        customer=st.integers(0, CUSTOMERS),  # CUSTOMERS itself: a guest checkout
        lines=st.lists(st.tuples(amounts, st.sampled_from(["default", "gift"])), min_size=1,
                       max_size=3),
        shipping=st.sampled_from([D(0), D("4.99")]),
    )  # fmt: skip
    def place_order(self, customer, lines, shipping):
        self.step()
        user = self.users[customer] if customer < CUSTOMERS else None
        order = services.place_order("machine", "USD", user, lines, shipping=shipping, notify=False)
        self.orders.append(order)
        self.expected_status[order.pk] = OrderStatus.PENDING
        self.deliver(order)

    @rule(index=st.integers(0, 100), part=st.sampled_from([None, D("0.5"), D("0.01")]))
    def pay(self, index, part):
        self.step()
        order = self.order(index)
        if order is None:
            return
        due = services.total(order) - order.charged
        if due <= 0:
            return
        amount = due if part is None else max((due * part).quantize(D("0.01")), D("0.01"))
        services.charge(order, min(amount, due), notify=False)
        order.refresh_from_db()
        # Paid in full confirms a pending order, even one the host has cancelled since (it may
        # have been paid first); a void order stays void, whatever is charged afterwards.
        if (
            order.charged >= services.total(order)
            and self.expected_status[order.pk] == OrderStatus.PENDING
        ):
            self.expected_status[order.pk] = OrderStatus.CONFIRMED
        self.deliver(order)

    @rule(index=st.integers(0, 100), share=st.sampled_from([D("0.1"), D("0.5"), D(1), D(2)]))
    def refund(self, index, share):
        self.step()
        order = self.order(index)
        if order is None or order.charged <= order.refunded:
            return
        amount = min((order.charged * share).quantize(D("0.01")), order.charged - order.refunded)
        services.refund(order, amount, notify=False)
        self.deliver(order)

    @rule(index=st.integers(0, 100), status=st.sampled_from(["cancelled", "expired"]))
    def cancel(self, index, status):
        self.step()
        order = self.order(index)
        if order is None:
            return
        services.cancel(order, status, notify=False)
        if self.expected_status[order.pk] == OrderStatus.PENDING:
            self.expected_status[order.pk] = OrderStatus.VOID
        self.deliver(order)

    @rule(index=st.integers(0, 100))
    def replay_every_event(self, index):
        self.step()
        before = ledger_state()
        for order in self.orders:
            sync_order(snapshot(StoreOrder.objects.get(pk=order.pk)))
        assert ledger_state() == before

    @rule(referred=st.integers(0, CUSTOMERS - 1), referrer=st.integers(0, CUSTOMERS - 1))
    def set_referrer(self, referred, referrer):
        self.step()
        member, code = self.member(referred), self.member(referrer).referral_code
        before = ledger_state()
        try:
            set_referrer(member, code)
        except ReferralError as refused:
            assert refused.code in REFERRAL_REFUSALS, refused.code
            assert ledger_state() == before

    @rule(customer=st.integers(0, CUSTOMERS - 1), points=st.integers(1, 500))
    def redeem_points(self, customer, points):
        self.step()
        member = self.member(customer)
        key = self.key()
        try:
            credit = redeem(member, points, key=key)
        except RedemptionError:
            return
        assert credit > 0
        before = ledger_state()
        with pytest.raises(RedemptionError):
            redeem(member, points, key=key)
        assert ledger_state() == before

    @rule(customer=st.integers(0, CUSTOMERS - 1), amount=amounts)
    def convert_to_gift_card(self, customer, amount):
        self.step()
        member = self.member(customer)
        key = self.key()
        try:
            wallet.convert_to_gift_card(member, amount, key=key)
        except WalletError as refused:
            assert refused.code == "INSUFFICIENT_FUNDS", refused.code
            return
        before, issued = ledger_state(), len(GiftCardHost.issued)
        with pytest.raises(WalletError):
            wallet.convert_to_gift_card(member, amount, key=key)
        assert (ledger_state(), len(GiftCardHost.issued)) == (before, issued)

    @rule(customer=st.integers(0, CUSTOMERS - 1), amount=amounts)
    def request_withdrawal(self, customer, amount):
        self.step()
        try:
            request = wallet.request_withdrawal(
                self.member(customer), amount, "IBAN DE00", key=self.key()
            )
        except WalletError as refused:
            assert refused.code in {"INSUFFICIENT_FUNDS", "BELOW_MINIMUM"}, refused.code
            return
        self.withdrawals.append(request.pk)

    @rule(index=st.integers(0, 100), approve=st.booleans())
    def decide_withdrawal(self, index, approve):
        self.step()
        if not self.withdrawals:
            return
        pk = self.withdrawals[index % len(self.withdrawals)]
        decided = Withdrawal.objects.get(pk=pk).status != "requested"
        before = ledger_state()
        try:
            wallet.decide_withdrawal(pk, approve=approve, staff="staff@example.com")
        except WalletError as refused:
            assert decided and refused.code == "ALREADY_DECIDED"
            assert ledger_state() == before
        else:
            assert not decided

    @rule(configuration=st.sampled_from(CONFIGURATIONS))
    def configure(self, configuration):
        self.step()
        self.channel = configure_channel("machine", "USD", configuration, True)

    @rule(hours=st.sampled_from([5, 24, 49]))
    def settle(self, hours):
        self.step()
        self.clock.advance(hours=hours)
        settle_due(self.channel)
        before = ledger_state()
        settle_due(self.channel)
        assert ledger_state() == before

    @invariant()
    def audit_is_clean(self):
        assert audit_channel(self.channel) == []

    @invariant()
    def replaying_the_last_step_changes_nothing(self):
        before = ledger_state()
        for order in self.touched:
            sync_order(snapshot(StoreOrder.objects.get(pk=order.pk)))
        if self.channel.settings and self.clock.now > START + datetime.timedelta(days=1):
            settle_due(self.channel)
        assert ledger_state() == before

    @invariant()
    def the_ledger_matches_the_store(self):
        accounts = Accounts(self.channel)
        assert accounts.system(AccountKind.GIFT_CARDS).balance == sum(GiftCardHost.issued, D(0))
        withdrawals = Withdrawal.objects.filter(member__channel=self.channel)
        for status, kind in (
            ("requested", AccountKind.WITHDRAWALS_PENDING),
            ("approved", AccountKind.WITHDRAWALS_PAID),
        ):
            expected = sum(withdrawals.filter(status=status).values_list("amount", flat=True), D(0))
            assert accounts.system(kind).balance == expected, status
        records = dict(
            OrderRecord.objects.filter(channel=self.channel).values_list("order_id", "status")
        )
        assert records == {str(pk): status for pk, status in self.expected_status.items()}
        for record in OrderRecord.objects.filter(channel=self.channel, status="confirmed"):
            order = StoreOrder.objects.get(pk=record.order_id)
            assert record.refunded == min(order.refunded, record.amount)
        for entry in QueueEntry.objects.filter(channel=self.channel):
            assert D(0) <= entry.received <= entry.target


def run_machine(clock, settings_, **options):
    settings_.DIVIDEND_HOST = f"{__name__}.GiftCardHost"
    ChannelMachine.clock = clock
    Steps.run = 0
    run_state_machine_as_test(
        ChannelMachine,
        settings=settings(
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **options,
        ),
    )
    count("state machine: steps, each followed by the audit", Steps.run)
    count("state machine: random runs", options["max_examples"])
    return Steps.run


def test_every_invariant_holds_after_every_step(db, clock, settings):
    steps = run_machine(clock, settings, max_examples=15, stateful_step_count=25)
    # Hypothesis stops a run early when its steps fail to draw, never this far below its budget.
    assert steps >= 15 * 10, steps


@pytest.mark.slow
def test_every_invariant_holds_after_every_step_of_long_runs(db, clock, settings):
    steps = run_machine(clock, settings, max_examples=200, stateful_step_count=60)
    assert steps >= 10_000, steps
