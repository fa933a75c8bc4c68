from __future__ import annotations

import graphene
from graphene import relay
from graphql_relay import to_global_id
from promise import Promise

from .. import models
from ..money import ZERO
from . import resolvers
from .core.connection import CountableConnection, paginate
from .core.scalars import Date, Decimal
from .core.types import Money, money, points
from .dataloaders import BalancesByMemberIdLoader, EmailByUserIdLoader, MemberByIdLoader
from .enums import (
    QueueEntryStatusEnum,
    RewardAccountKindEnum,
    RewardHistoryKindEnum,
    SettlementDayStatusEnum,
    WithdrawalStatusEnum,
)
from .resolvers import AccountView


def _currency(info) -> str:
    return info.context.channel.currency


class DateRangeInput(graphene.InputObjectType):
    gte = Date(description="First day included (channel timezone).")
    lte = Date(description="Last day included (channel timezone).")


class QueueEntryFilterInput(graphene.InputObjectType):
    statuses = graphene.List(graphene.NonNull(QueueEntryStatusEnum))


class ReleaseFilterInput(graphene.InputObjectType):
    day = graphene.Field(DateRangeInput)


class RewardHistoryFilterInput(graphene.InputObjectType):
    day = graphene.Field(DateRangeInput, description="The channel day the line was booked on.")
    kinds = graphene.List(graphene.NonNull(RewardHistoryKindEnum))
    accounts = graphene.List(graphene.NonNull(RewardAccountKindEnum))


class RewardWithdrawalFilterInput(graphene.InputObjectType):
    statuses = graphene.List(graphene.NonNull(WithdrawalStatusEnum))


class PointValueFilterInput(graphene.InputObjectType):
    day = graphene.Field(DateRangeInput)


class RewardTier(graphene.ObjectType):
    code = graphene.String(required=True)
    name = graphene.String(required=True)
    min_contribution = graphene.Field(
        Money, required=True, description="Contribution that reaches this tier."
    )
    release_weight = Decimal(
        required=True, description="Weight of the member's contribution in daily releases."
    )
    points_multiplier = Decimal(required=True, description="Multiplier of points earned.")

    class Meta:
        description = "An honorary membership tier of the channel."

    @staticmethod
    def resolve_min_contribution(root, info):
        return money(root.min_contribution, _currency(info))


class QueueEntry(graphene.ObjectType):
    order_number = graphene.String(required=True)
    status = QueueEntryStatusEnum(required=True)
    position = graphene.Int(
        description="Place in the channel's queue, 1 being the next to be paid; null once the "
        "entry has left the queue."
    )
    original_target = graphene.Field(
        Money, required=True, description="What the entry was to receive when it joined."
    )
    target = graphene.Field(
        Money, required=True, description="What the entry receives in all (less after a refund)."
    )
    received = graphene.Field(Money, required=True, description="Paid to the wallet so far.")
    remaining = graphene.Field(Money, required=True, description="Still to be paid.")
    created_at = graphene.DateTime(required=True)
    expires_at = graphene.DateTime(description="When the entry leaves the queue unpaid, if ever.")
    closed_at = graphene.DateTime(description="When the entry was freed, expired or cancelled.")

    class Meta:
        interfaces = (relay.Node,)
        description = "A paid order in the free-order queue."

    @staticmethod
    def resolve_order_number(root, _info):
        return root.order_number

    @staticmethod
    def resolve_position(root, _info):
        return root.position if root.status == models.QueueStatus.WAITING else None

    @staticmethod
    def resolve_original_target(root, info):
        return money(root.original_target, _currency(info))

    @staticmethod
    def resolve_target(root, info):
        return money(root.target, _currency(info))

    @staticmethod
    def resolve_received(root, info):
        return money(root.received, _currency(info))

    @staticmethod
    def resolve_remaining(root, info):
        return money(root.target - root.received, _currency(info))


class RewardRelease(graphene.ObjectType):
    day = Date(required=True)
    amount = graphene.Field(Money, required=True, description="Moved from energy to the wallet.")
    contribution = graphene.Field(Money, required=True, description="Contribution that day.")
    weight = Decimal(required=True, description="Tier weight applied to the contribution.")
    energy = graphene.Field(Money, required=True, description="Energy before the release.")

    class Meta:
        interfaces = (relay.Node,)
        description = "The member's share of one day's release."

    @staticmethod
    def resolve_amount(root, info):
        return money(root.amount, _currency(info))

    @staticmethod
    def resolve_contribution(root, info):
        return money(root.contribution, _currency(info))

    @staticmethod
    def resolve_energy(root, info):
        return money(root.energy, _currency(info))

    @staticmethod
    def resolve_weight(root, _info):
        return root.weight.normalize()


class RewardHistoryEntry(graphene.ObjectType):
    created_at = graphene.DateTime(required=True)
    day = Date(required=True, description="The channel day it was booked on.")
    kind = RewardHistoryKindEnum(required=True)
    account = RewardAccountKindEnum(required=True, description="Which balance changed.")
    amount = Decimal(required=True, description="The change: positive in, negative out.")
    currency = graphene.String(description="The channel currency; null for points.")
    order_number = graphene.String(description="The member's own order it came from, if any.")
    memo = graphene.String(required=True)

    class Meta:
        interfaces = (relay.Node,)
        description = "One change of one of the member's balances."

    @staticmethod
    def resolve_created_at(root, _info):
        return root.transaction.created_at

    @staticmethod
    def resolve_day(root, _info):
        return root.transaction.day

    @staticmethod
    def resolve_kind(root, _info):
        return root.transaction.kind

    @staticmethod
    def resolve_account(root, _info):
        return root.account.kind

    @staticmethod
    def resolve_amount(root, info):
        if root.account.kind == models.AccountKind.POINTS:
            return points(root.amount)
        return money(root.amount, _currency(info)).amount

    @staticmethod
    def resolve_currency(root, info):
        return None if root.account.kind == models.AccountKind.POINTS else _currency(info)

    @staticmethod
    def resolve_order_number(root, _info):
        # Payouts and referral rewards are booked against someone else's order: not theirs to see.
        order = root.transaction.order
        return order.number if order and order.member_id == root.account.member_id else None

    @staticmethod
    def resolve_memo(root, _info):
        return root.transaction.memo


class RewardWithdrawal(graphene.ObjectType):
    amount = graphene.Field(Money, required=True)
    status = WithdrawalStatusEnum(required=True)
    details = graphene.String(required=True, description="Where the customer wants the money.")
    requested_at = graphene.DateTime(required=True)
    decided_at = graphene.DateTime()
    reason = graphene.String(required=True, description="Staff's note on the decision.")
    account = graphene.Field(lambda: RewardAccount, required=True)

    class Meta:
        interfaces = (relay.Node,)
        description = "A request to pay wallet credit out of the store, decided by staff."

    @staticmethod
    def resolve_amount(root, info):
        return money(root.amount, _currency(info))

    @staticmethod
    def resolve_account(root, info):
        return MemberByIdLoader(info.context).load(root.member_id).then(AccountView)


class RewardGiftCard(graphene.ObjectType):
    code = graphene.String(required=True, description="The code to enter at checkout.")
    gift_card_id = graphene.String(required=True, description="The store's gift card ID.")
    amount = graphene.Field(Money, required=True, description="Its initial balance.")
    created_at = graphene.DateTime(required=True)

    class Meta:
        interfaces = (relay.Node,)
        description = "A gift card issued from the wallet."

    @staticmethod
    def resolve_amount(root, info):
        return money(root.amount, _currency(info))


class QueueEntryCountableConnection(CountableConnection):
    class Meta:
        node = QueueEntry


class RewardReleaseCountableConnection(CountableConnection):
    class Meta:
        node = RewardRelease


class RewardHistoryEntryCountableConnection(CountableConnection):
    class Meta:
        node = RewardHistoryEntry


class RewardWithdrawalCountableConnection(CountableConnection):
    class Meta:
        node = RewardWithdrawal


class RewardGiftCardCountableConnection(CountableConnection):
    class Meta:
        node = RewardGiftCard


class RewardAccount(graphene.ObjectType):
    id = graphene.ID(
        description="Null until the customer has a membership (their first paid "
        "order, or setting a referrer)."
    )
    email = graphene.String()
    currency = graphene.String(required=True)
    points = Decimal(required=True, description="Points held (whole points).")
    point_value = Decimal(required=True, description="Today's value of one point.")
    points_worth = graphene.Field(
        Money, required=True, description="What the points would redeem for today."
    )
    energy = graphene.Field(
        Money, required=True, description="The most that daily releases may still pay."
    )
    contribution = graphene.Field(Money, required=True, description="Qualifying spend so far.")
    wallet = graphene.Field(Money, required=True, description="Store credit.")
    tier = graphene.Field(RewardTier, required=True)
    next_tier = graphene.Field(RewardTier, description="Null at the highest tier.")
    contribution_to_next_tier = graphene.Field(
        Money, description="Contribution still needed for the next tier."
    )
    referral_code = graphene.String(
        description="The code others enter to name this customer as their referrer."
    )
    referrer_code = graphene.String(description="The referral code of this customer's referrer.")
    queue_entries = relay.ConnectionField(
        QueueEntryCountableConnection,
        filter=QueueEntryFilterInput(),
        description="Orders in the free-order queue, newest first.",
    )
    releases = relay.ConnectionField(
        RewardReleaseCountableConnection,
        filter=ReleaseFilterInput(),
        description="Daily releases, newest first.",
    )
    history = relay.ConnectionField(
        RewardHistoryEntryCountableConnection,
        filter=RewardHistoryFilterInput(),
        description="Every change of points, energy, contribution and wallet, newest first.",
    )
    withdrawals = relay.ConnectionField(
        RewardWithdrawalCountableConnection,
        filter=RewardWithdrawalFilterInput(),
        description="Withdrawal requests, newest first.",
    )
    gift_cards = relay.ConnectionField(
        RewardGiftCardCountableConnection, description="Gift cards issued, newest first."
    )

    class Meta:
        description = "A customer's rewards in the channel."

    @staticmethod
    def resolve_id(root: AccountView, _info):
        return to_global_id("RewardAccount", root.member.pk) if root.member else None

    @staticmethod
    def resolve_email(root: AccountView, info):
        if root.member is None or root.member.user_id is None:
            return None
        return EmailByUserIdLoader(info.context).load(root.member.user_id)

    @staticmethod
    def resolve_currency(_root, info):
        return _currency(info)

    @staticmethod
    def resolve_points(root: AccountView, info):
        return _balance(root, info, models.AccountKind.POINTS).then(points)

    @staticmethod
    def resolve_point_value(_root, info):
        return info.context.point_value.normalize()

    @staticmethod
    def resolve_points_worth(root: AccountView, info):
        value = info.context.point_value
        return _balance(root, info, models.AccountKind.POINTS).then(
            lambda held: money(points(held) * value, _currency(info))
        )

    @staticmethod
    def resolve_energy(root: AccountView, info):
        return _money_balance(root, info, models.AccountKind.ENERGY)

    @staticmethod
    def resolve_contribution(root: AccountView, info):
        return _money_balance(root, info, models.AccountKind.CONTRIBUTION)

    @staticmethod
    def resolve_wallet(root: AccountView, info):
        return _money_balance(root, info, models.AccountKind.WALLET)

    @staticmethod
    def resolve_tier(root: AccountView, info):
        return _tier(root, info)

    @staticmethod
    def resolve_next_tier(root: AccountView, info):
        return _next_tier(root, info)

    @staticmethod
    def resolve_contribution_to_next_tier(root: AccountView, info):
        following = _next_tier(root, info)
        if following is None:
            return None
        return _balance(root, info, models.AccountKind.CONTRIBUTION).then(
            lambda reached: money(max(following.min_contribution - reached, ZERO), _currency(info))
        )

    @staticmethod
    def resolve_referral_code(root: AccountView, _info):
        return root.member.referral_code if root.member else None

    @staticmethod
    def resolve_referrer_code(root: AccountView, info):
        if root.member is None or root.member.referrer_id is None:
            return None
        return (
            MemberByIdLoader(info.context)
            .load(root.member.referrer_id)
            .then(lambda referrer: referrer.referral_code)
        )

    @staticmethod
    def resolve_queue_entries(root: AccountView, info, filter=None, **pagination):
        entries = resolvers.resolve_queue_entries(info, root.member, filter)
        return paginate(entries, QueueEntryCountableConnection, ("-seq",), info=info, **pagination)

    @staticmethod
    def resolve_releases(root: AccountView, info, filter=None, **pagination):
        releases = resolvers.resolve_releases(info, root.member, filter)
        return paginate(
            releases, RewardReleaseCountableConnection, ("-day", "-pk"), info=info, **pagination
        )

    @staticmethod
    def resolve_history(root: AccountView, info, filter=None, **pagination):
        history = resolvers.History(root.member, filter)
        page = paginate(
            history.lines, RewardHistoryEntryCountableConnection, ("-pk",), info=info, **pagination
        )
        history.show([edge.node for edge in page.edges])
        return page

    @staticmethod
    def resolve_withdrawals(root: AccountView, info, filter=None, **pagination):
        withdrawals = resolvers.resolve_withdrawals(info, root.member, filter)
        return paginate(
            withdrawals, RewardWithdrawalCountableConnection, ("-pk",), info=info, **pagination
        )

    @staticmethod
    def resolve_gift_cards(root: AccountView, info, **pagination):
        cards = resolvers.resolve_gift_cards(info, root.member)
        return paginate(cards, RewardGiftCardCountableConnection, ("-pk",), info=info, **pagination)


def _balance(root: AccountView, info, kind: str):
    if root.member is None:
        return Promise.resolve(ZERO)
    return (
        BalancesByMemberIdLoader(info.context)
        .load(root.member.pk)
        .then(lambda balances: balances.get(kind, ZERO))
    )


def _money_balance(root: AccountView, info, kind: str):
    return _balance(root, info, kind).then(lambda amount: money(amount, _currency(info)))


def _tier(root: AccountView, info):
    config = info.context.channel.settings
    code = root.member.tier_code if root.member else None
    return config.tier(code) or config.tiers[0]


def _next_tier(root: AccountView, info):
    config = info.context.channel.settings
    rank = config.tiers.index(_tier(root, info))
    return config.tiers[rank + 1] if rank + 1 < len(config.tiers) else None


class DividendPool(graphene.ObjectType):
    enabled = graphene.Boolean(required=True, description="Whether orders join the queue.")
    balance = graphene.Field(Money, required=True, description="Waiting to be paid out.")
    funded = graphene.Field(Money, required=True, description="Everything paid into the pool.")
    paid = graphene.Field(Money, required=True, description="Everything paid out of the pool.")
    queue_length = graphene.Int(required=True, description="Orders waiting in the queue.")
    queue_remaining = graphene.Field(
        Money, required=True, description="What the waiting orders are still to receive."
    )
    entries_freed = graphene.Int(required=True, description="Orders that have been paid in full.")

    class Meta:
        description = "The channel's dividend pool and free-order queue."


class RewardProgram(graphene.ObjectType):
    currency = graphene.String(required=True, description="The channel currency.")
    points_per_unit = Decimal(
        required=True,
        description="Points earned per currency unit of a paid order, before the tier multiplier.",
    )
    points_min_redemption = Decimal(
        required=True, description="Fewest points that can be redeemed at once."
    )
    points_expire_days = graphene.Int(
        description="Days points can be used after they were earned; null when they never expire."
    )
    free_ratio = Decimal(
        required=True,
        description="Share of a queued order's amount it gets back from the dividend pool.",
    )
    withdrawals_enabled = graphene.Boolean(
        required=True, description="Whether customers may ask for wallet credit to be paid out."
    )
    min_withdrawal = graphene.Field(
        Money, required=True, description="Smallest withdrawal request."
    )

    class Meta:
        description = (
            "The channel's rules a storefront shows before a customer acts: what orders earn, "
            "the smallest redemption and whether withdrawals are possible."
        )


class PointValue(graphene.ObjectType):
    day = Date(required=True)
    value = Decimal(required=True, description="Value of one point, in the channel currency.")
    currency = graphene.String(required=True)
    backing = graphene.Field(Money, required=True, description="Set aside to pay redemptions.")
    outstanding_points = Decimal(required=True, description="Points held by all customers.")

    class Meta:
        description = "The value of one point on a channel day."

    @staticmethod
    def resolve_value(root, _info):
        return root.value.normalize()

    @staticmethod
    def resolve_currency(_root, info):
        return _currency(info)

    @staticmethod
    def resolve_backing(root, info):
        return money(root.backing, _currency(info))

    @staticmethod
    def resolve_outstanding_points(root, _info):
        return points(root.outstanding)


class PointValueCountableConnection(CountableConnection):
    class Meta:
        node = PointValue


class SettlementDayResult(graphene.ObjectType):
    day = Date(required=True)
    status = SettlementDayStatusEnum(required=True)
    released = graphene.Field(Money, description="Released to members that day.")
    members_paid = graphene.Int(required=True)

    @staticmethod
    def resolve_released(root, info):
        return None if root.released is None else money(root.released, _currency(info))


class RewardReportWaits(graphene.ObjectType):
    p50 = Decimal(required=True, description="Half of the orders waited at most this many days.")
    p90 = Decimal(required=True, description="Nine in ten waited at most this many days.")
    max = Decimal(required=True, description="The longest wait, in days.")

    class Meta:
        description = "How long queued orders waited, in days."


class RewardReportDay(graphene.ObjectType):
    date = Date(required=True, description="The channel day (channel timezone).")
    orders = graphene.Int(required=True, description="Orders paid that day.")
    cancelled = graphene.Int(required=True, description="Orders cancelled before payment.")
    revenue = graphene.Field(Money, required=True, description="Qualifying amount of paid orders.")
    refunds = graphene.Field(Money, required=True, description="Refunds of members' orders.")
    funded = graphene.Field(
        Money, required=True, description="Paid by the store into pools and referral rewards."
    )
    queue_paid = graphene.Field(Money, required=True, description="Paid to queued orders.")
    referral_paid = graphene.Field(Money, required=True, description="Referral rewards paid.")
    released = graphene.Field(Money, required=True, description="Credit released from energy.")
    redeemed = graphene.Field(Money, required=True, description="Points redeemed for credit.")
    spent = graphene.Field(
        Money, required=True, description="Wallet credit turned into gift cards or withdrawn."
    )
    clawed_back = graphene.Field(
        Money, required=True, description="Taken back from queue payouts by refunds."
    )
    written_off = graphene.Field(
        Money, required=True, description="Refunded rewards members had already spent."
    )
    queue_joined = graphene.Int(required=True)
    queue_freed = graphene.Int(required=True)
    queue_expired = graphene.Int(required=True)
    queue_length = graphene.Int(required=True, description="Orders waiting at the day's end.")
    queue_unpaid = graphene.Field(
        Money, required=True, description="What they were still to receive."
    )
    dividend_pool = graphene.Field(Money, required=True)
    release_pool = graphene.Field(Money, required=True)
    points_backing = graphene.Field(Money, required=True)
    point_value = Decimal(description="Value of a point that day; null before the first one.")
    points_outstanding = Decimal(required=True)
    points_worth = graphene.Field(Money, required=True)
    unreleased_energy = graphene.Field(Money, required=True)
    wallets = graphene.Field(Money, required=True)
    liabilities = graphene.Field(
        Money, required=True, description="Wallets, points worth and unreleased energy."
    )
    members = graphene.Int(required=True)

    class Meta:
        description = "One day of the channel's report, stocks as the day ended."


class RewardReportTier(graphene.ObjectType):
    code = graphene.String(required=True)
    members = graphene.Int(required=True, description="Members with a paid order in this tier.")


class RewardReportReferrer(graphene.ObjectType):
    referral_code = graphene.String(required=True)
    email = graphene.String(required=True)
    referred = graphene.Int(required=True, description="Members they referred, ever.")
    rewards = graphene.Field(Money, required=True, description="Rewards in the period.")


class RewardReportWarning(graphene.ObjectType):
    code = graphene.String(required=True)
    message = graphene.String(required=True)


class RewardReport(graphene.ObjectType):
    first_day = Date(required=True)
    last_day = Date(required=True, description="Today: the figures so far.")
    paid_orders = graphene.Int(required=True)
    cancelled_orders = graphene.Int(required=True)
    revenue = graphene.Field(Money, required=True)
    refunds = graphene.Field(Money, required=True)
    funded = graphene.Field(Money, required=True)
    paid_to_customers = graphene.Field(Money, required=True)
    cost_share_of_revenue = Decimal(
        description="Funded over net revenue (0.25 is 25%); null without revenue."
    )
    waiting_days_until_free = graphene.Field(
        RewardReportWaits, description="Orders freed in the period; null if none was."
    )
    waiting_days_so_far = graphene.Field(
        RewardReportWaits, description="Orders waiting now; null if none does."
    )
    liabilities = graphene.Field(Money, required=True, description="Held by customers now.")
    tiers = graphene.List(graphene.NonNull(RewardReportTier), required=True)
    top_referrers = graphene.List(graphene.NonNull(RewardReportReferrer), required=True)
    warnings = graphene.List(
        graphene.NonNull(RewardReportWarning),
        required=True,
        description="Why the configuration may not sustain itself at this pace.",
    )
    days = graphene.List(graphene.NonNull(RewardReportDay), required=True)

    class Meta:
        description = "The channel's rewards report over its last days (the Dashboard's page)."
