"""Rewards data. Host objects are referenced by id (orders) or through AUTH_USER_MODEL (customers),
so the same models serve Saleor and the standalone host."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .config import ChannelConfig, parse_config

MONEY = {"max_digits": 20, "decimal_places": 3}


class Channel(models.Model):
    """A Saleor channel the plugin has been configured for (slug and currency are Saleor's)."""

    slug = models.CharField(max_length=255, unique=True)
    currency = models.CharField(max_length=3)
    active = models.BooleanField(default=False)
    # The configuration strings as saved in the Dashboard; parsed by `config.parse_config`.
    config = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dividend_channel"

    def __str__(self):
        return self.slug

    @property
    def settings(self) -> ChannelConfig:
        cached = self.__dict__.get("_settings")
        if cached is None or cached[0] != self.config:
            cached = (self.config, parse_config(self.config))
            self.__dict__["_settings"] = cached
        return cached[1]


class Member(models.Model):
    """A customer's rewards membership in one channel."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="members")
    # Kept when the customer account is deleted: the ledger must still add up.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral_code = models.CharField(max_length=16, unique=True)
    referrer = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    referrer_set_at = models.DateTimeField(null=True, blank=True)
    tier_code = models.CharField(max_length=32, blank=True, default="")
    granted_tier_code = models.CharField(max_length=32, blank=True, default="")
    first_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dividend_member"
        constraints = [
            models.UniqueConstraint(fields=["channel", "user"], name="dividend_member_per_channel"),
            models.CheckConstraint(
                condition=~Q(referrer=F("id")), name="dividend_member_no_self_referral"
            ),
        ]


class AccountKind(models.TextChoices):
    # Per member
    POINTS = "points", "Points"
    ENERGY = "energy", "Energy"
    CONTRIBUTION = "contribution", "Contribution"
    WALLET = "wallet", "Wallet"
    # Per channel
    PLATFORM = "platform", "Platform funding"
    DIVIDEND_POOL = "dividend_pool", "Dividend pool"
    RELEASE_POOL = "release_pool", "Release pool"
    POINTS_BACKING = "points_backing", "Points backing"
    WRITE_OFF = "write_off", "Write-off"
    GIFT_CARDS = "gift_cards", "Gift cards issued"
    WITHDRAWALS_PENDING = "withdrawals_pending", "Withdrawals awaiting approval"
    WITHDRAWALS_PAID = "withdrawals_paid", "Withdrawals paid"
    POINTS_ISSUED = "points_issued", "Points issued"
    ENERGY_ISSUED = "energy_issued", "Energy issued"
    CONTRIBUTION_ISSUED = "contribution_issued", "Contribution issued"


MEMBER_KINDS = {
    AccountKind.POINTS,
    AccountKind.ENERGY,
    AccountKind.CONTRIBUTION,
    AccountKind.WALLET,
}
# Accounts that are the other side of every issue: their balance is minus what they gave out.
SOURCE_KINDS = {
    AccountKind.PLATFORM,
    AccountKind.WRITE_OFF,
    AccountKind.POINTS_ISSUED,
    AccountKind.ENERGY_ISSUED,
    AccountKind.CONTRIBUTION_ISSUED,
}
POOL_KINDS = {AccountKind.DIVIDEND_POOL, AccountKind.RELEASE_POOL, AccountKind.POINTS_BACKING}


class Account(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="accounts")
    # Looked up by the (member, kind) index below: one index less to maintain per balance update.
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        db_index=False,
    )
    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    unit = models.CharField(max_length=8)
    # Kept by the database from the transfers (sql/transfers.sql); never written by Python.
    # `total_in` and `total_out` are what the transfers put in and took out (balance = total_in -
    # total_out): public figures such as what the dividend pool has received are read from here,
    # not summed over the history.
    balance = models.DecimalField(default=Decimal(0), **MONEY)
    total_in = models.DecimalField(default=Decimal(0), **MONEY)
    total_out = models.DecimalField(default=Decimal(0), **MONEY)
    may_go_negative = models.BooleanField(default=False)

    class Meta:
        db_table = "dividend_account"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=Q(member__isnull=False),
                name="dividend_account_member_kind",
            ),
            models.UniqueConstraint(
                fields=["channel", "kind", "unit"],
                condition=Q(member__isnull=True),
                name="dividend_account_system_kind",
            ),
            models.CheckConstraint(
                condition=Q(may_go_negative=True) | Q(balance__gte=0),
                name="dividend_account_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.kind}:{self.unit}:{self.member_id or self.channel_id}"


class LedgerTransaction(models.Model):
    """One posting: its transfers (a balanced whole by construction); `key` makes it happen at
    most once."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32)
    # The channel's business day the posting belongs to (channel timezone).
    day = models.DateField()
    order = models.ForeignKey(
        "OrderRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dividend_transaction"
        indexes = [
            models.Index(fields=["channel", "kind", "day"], name="dividend_txn_channel_kind_day"),
            # The release budget sums only the postings dated after the day it releases.
            models.Index(fields=["channel", "day"], name="dividend_txn_channel_day"),
            models.Index(fields=["member", "created_at"], name="dividend_txn_member_created"),
        ]


class Transfer(models.Model):
    """One movement: `amount` (> 0) of `unit` leaves the debit account and reaches the credit
    account, so every posting balances by construction (TigerBeetle's shape). A posting's
    transfers are written by one statement; the ledger trigger (sql/transfers.sql) keeps the two
    balances and refuses an account of another unit. Both references are checked once per
    statement there, not once per row by foreign keys; whole points are checked there too.
    Indexes: (transaction, id) tells the
    trigger in O(1) whether a posting already had transfers; the account indexes serve a member's
    history and the audit."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        on_delete=models.PROTECT,
        related_name="transfers",
        db_index=False,
        db_constraint=False,
    )
    debit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    unit = models.CharField(max_length=8)
    amount = models.DecimalField(**MONEY)

    class Meta:
        db_table = "dividend_transfer"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dividend_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")),
                name="dividend_transfer_two_accounts",
            ),
        ]
        indexes = [
            models.Index(fields=["transaction", "id"], name="dividend_transfer_transaction"),
            models.Index(fields=["debit_account", "id"], name="dividend_transfer_debit"),
            models.Index(fields=["credit_account", "id"], name="dividend_transfer_credit"),
        ]


class Entry(models.Model):
    """A transfer as one of its accounts sees it: the credit side adds `amount`, the debit side
    takes it (a negative amount). A view over the transfers (`dividend_entry`), so that a
    member's history, the audit and the reports read an account's lines as they always did; the
    ledger itself keeps one row per movement. The id is the transfer's id times two, plus one on
    the debit side: unique, and in posting order."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.DO_NOTHING, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.DO_NOTHING, related_name="entries")
    unit = models.CharField(max_length=8)
    amount = models.DecimalField(**MONEY)

    class Meta:
        db_table = "dividend_entry"
        managed = False


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    CONFIRMED = "confirmed", "Confirmed"
    VOID = "void", "Void"


class OrderRecord(models.Model):
    """What the plugin knows of a host order and what it gave for it."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="orders")
    order_id = models.CharField(max_length=64)
    number = models.CharField(max_length=64, blank=True, default="")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(max_length=16, choices=OrderStatus.choices)
    # Qualifying amount A and the part of it spent on gift packages.
    amount = models.DecimalField(**MONEY)
    gift_amount = models.DecimalField(default=Decimal(0), **MONEY)
    # Expected (pending) or granted (confirmed) rewards.
    points = models.DecimalField(default=Decimal(0), **MONEY)
    energy = models.DecimalField(default=Decimal(0), **MONEY)
    # Cumulative refunds that have been applied (capped at `amount`).
    refunded = models.DecimalField(default=Decimal(0), **MONEY)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_day = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dividend_order"
        constraints = [
            models.UniqueConstraint(fields=["channel", "order_id"], name="dividend_order_once"),
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=F("amount")),
                name="dividend_order_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["channel", "confirmed_day"], name="dividend_order_day")]


class QueueStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    FREED = "freed", "Freed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class QueueEntry(models.Model):
    """A confirmed order waiting in the free-order queue."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="queue")
    order = models.OneToOneField(OrderRecord, on_delete=models.PROTECT, related_name="queue_entry")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="queue_entries")
    # Confirmation order, drawn from a database sequence: the queue is strictly FIFO by it.
    seq = models.BigIntegerField(unique=True)
    original_target = models.DecimalField(**MONEY)
    target = models.DecimalField(**MONEY)
    received = models.DecimalField(default=Decimal(0), **MONEY)
    status = models.CharField(max_length=16, choices=QueueStatus.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dividend_queue_entry"
        constraints = [
            models.CheckConstraint(
                condition=Q(received__gte=0) & Q(received__lte=F("target")),
                name="dividend_queue_received_within_target",
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel", "seq"],
                condition=Q(status="waiting"),
                name="dividend_queue_waiting",
            )
        ]

    @property
    def remaining(self) -> Decimal:
        return self.target - self.received


class QueueTally(models.Model):
    """The free-order queue of a channel in three figures, kept by the database from the queue
    entries in the same statement that changes them (sql/pool_figures.sql); never written by
    Python. Anyone may read them, so they must not cost a scan of the queue's history."""

    channel = models.OneToOneField(
        Channel, primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    waiting = models.BigIntegerField(default=0)
    # What the waiting entries are still to receive.
    remaining = models.DecimalField(default=Decimal(0), **MONEY)
    freed = models.BigIntegerField(default=0)

    class Meta:
        db_table = "dividend_queue_tally"


def queue_tally(channel: Channel) -> QueueTally:
    """The channel's tally; a channel whose queue never had an entry has no row yet."""
    return QueueTally.objects.filter(channel=channel).first() or QueueTally(channel=channel)


class PointLot(models.Model):
    """Points earned together, which expire together; spent soonest-expiring first."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="point_lots")
    order = models.ForeignKey(
        OrderRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    earned_day = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    points = models.DecimalField(**MONEY)
    remaining = models.DecimalField(**MONEY)

    class Meta:
        db_table = "dividend_point_lot"
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")),
                name="dividend_point_lot_remaining",
            ),
        ]


class PointValue(models.Model):
    """The value of one point on a channel day, as set by that day's settlement."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="point_values")
    day = models.DateField()
    # What a point pays that day: never above backing / outstanding.
    value = models.DecimalField(max_digits=24, decimal_places=8)
    # Mode `rate` only: where the daily appreciation schedule stands; `value` is lower when the
    # backing covers less. The next day compounds from here.
    scheduled_value = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    backing = models.DecimalField(**MONEY)
    outstanding = models.DecimalField(**MONEY)

    class Meta:
        db_table = "dividend_point_value"
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="dividend_point_value_day")
        ]


class Release(models.Model):
    """A member's share of one day's release, with the figures that produced it."""

    # Served by the (channel, day, member) and (member, day) indexes below: a release writes a
    # row per member, each index less is a million fewer index insertions.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="releases", db_index=False
    )
    contribution = models.DecimalField(**MONEY)
    weight = models.DecimalField(max_digits=20, decimal_places=8)
    energy = models.DecimalField(**MONEY)
    unit_value = models.DecimalField(max_digits=40, decimal_places=20)
    amount = models.DecimalField(**MONEY)

    class Meta:
        db_table = "dividend_release"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "day", "member"], name="dividend_release_once"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lte=F("energy")),
                name="dividend_release_within_energy",
            ),
        ]
        indexes = [models.Index(fields=["member", "day"], name="dividend_release_member_day")]


class SettlementDay(models.Model):
    """The daily settlement of one channel day; each step runs once."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="settlements")
    day = models.DateField()
    revenue = models.DecimalField(default=Decimal(0), **MONEY)
    budget = models.DecimalField(default=Decimal(0), **MONEY)
    released = models.DecimalField(default=Decimal(0), **MONEY)
    members_paid = models.IntegerField(default=0)
    released_at = models.DateTimeField(null=True, blank=True)
    point_value = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    appreciated_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dividend_settlement_day"
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="dividend_settlement_once"),
            models.CheckConstraint(
                condition=Q(released__lte=F("budget")), name="dividend_settlement_within_budget"
            ),
        ]


class TierChange(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="tier_changes")
    previous = models.CharField(max_length=32, blank=True, default="")
    tier = models.CharField(max_length=32)
    reason = models.CharField(max_length=32)  # contribution, gift_package, refund, configuration
    order = models.ForeignKey(
        OrderRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dividend_tier_change"


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Withdrawal(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="withdrawals")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=16, choices=WithdrawalStatus.choices)
    details = models.CharField(max_length=255, blank=True, default="")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=255, blank=True, default="")
    reason = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "dividend_withdrawal"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dividend_withdrawal_positive")
        ]


class GiftCardIssue(models.Model):
    """Wallet credit converted into a host gift card."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="gift_cards")
    amount = models.DecimalField(**MONEY)
    gift_card_id = models.CharField(max_length=64)
    code = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dividend_gift_card_issue"


class OrderEvent(models.Model):
    """An order event waiting for its channel's next drain (`lifecycle.drain`), which reads the
    order from the host."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    order_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)
    # Set when the rules could not apply the event: later drains pass it by, and the order's next
    # event (or the channel's catch-up) brings the order in line.
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        db_table = "dividend_order_event"
        indexes = [
            models.Index(
                fields=["channel", "id"],
                condition=Q(failed_at__isnull=True),
                name="dividend_order_event_pending",
            )
        ]


class DrainCall(models.Model):
    """Whether a drain of the channel's order events has been asked for and has not begun yet.
    An order event calls a drain (a Celery task) only when none is outstanding, so a burst of
    events wakes one worker instead of sending a task per order (`lifecycle.queue_event`)."""

    channel = models.OneToOneField(
        Channel, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # When the outstanding call was sent; None once a drain has begun. A call older than
    # `lifecycle.CALL_AGAIN_AFTER` counts as lost (a broker that dropped its messages) and the
    # next event calls again.
    called_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dividend_order_drain"
