from enum import Enum

import graphene

from ..models import QueueStatus, WithdrawalStatus
from .error_codes import RewardErrorCode


class RewardAccountKind(Enum):
    POINTS = "points"
    ENERGY = "energy"
    CONTRIBUTION = "contribution"
    WALLET = "wallet"

    @property
    def description(self):
        return {
            "points": "Points, worth the point value each when redeemed.",
            "energy": "What daily releases may still pay out, in the channel currency.",
            "contribution": "Qualifying spend, which sets the tier and the share of releases.",
            "wallet": "Store credit, spendable as a gift card or withdrawn.",
        }[self.value]


class RewardAdjustmentKind(Enum):
    POINTS = "points"
    WALLET = "wallet"

    @property
    def description(self):
        return {
            "points": "Adjust the points balance (whole points).",
            "wallet": "Adjust the wallet, in the channel currency.",
        }[self.value]


class RewardHistoryKind(Enum):
    """What a line of a member's history was for; the values are the ledger's posting kinds."""

    ORDER_REWARD = "order_rewards"
    ORDER_REFUND = "order_reversal"
    REFERRAL_REWARD = "order_funding"
    QUEUE_PAYOUT = "queue_payout"
    QUEUE_CLAWBACK = "queue_clawback"
    DAILY_RELEASE = "daily_release"
    POINTS_REDEMPTION = "redemption"
    POINTS_EXPIRY = "points_expiry"
    GIFT_CARD = "gift_card"
    WITHDRAWAL_REQUEST = "withdrawal_request"
    WITHDRAWAL_APPROVED = "withdrawal_approved"
    WITHDRAWAL_REJECTED = "withdrawal_rejected"
    POINTS_ADJUSTMENT = "adjustment_points"
    WALLET_ADJUSTMENT = "adjustment_wallet"

    @property
    def description(self):
        return {
            "order_rewards": "Points, energy and contribution earned by a paid order.",
            "order_reversal": "What a refund took back from an order's rewards.",
            "order_funding": "A referral reward from an order of someone you referred.",
            "queue_payout": "A dividend paid to one of your orders in the free-order queue.",
            "queue_clawback": "Dividend returned to the pool after a refund of a queued order.",
            "daily_release": "Your share of a day's release, from energy to the wallet.",
            "redemption": "Points redeemed for store credit.",
            "points_expiry": "Points that expired.",
            "gift_card": "Wallet credit turned into a gift card.",
            "withdrawal_request": "Wallet credit set aside for a withdrawal.",
            "withdrawal_approved": "A withdrawal was paid out.",
            "withdrawal_rejected": "A rejected withdrawal, back in the wallet.",
            "adjustment_points": "A correction of points by staff.",
            "adjustment_wallet": "A correction of the wallet by staff.",
        }[self.value]


class SettlementDayStatus(Enum):
    SETTLED = "settled"
    ALREADY_SETTLED = "already settled"
    BUSY = "busy"

    @property
    def description(self):
        return {
            "settled": "The day was settled by this request.",
            "already settled": "The day had been settled before; nothing changed.",
            "busy": "Another settlement of the channel is running; try again later.",
        }[self.value]


RewardErrorCodeEnum = graphene.Enum.from_enum(RewardErrorCode)
RewardAccountKindEnum = graphene.Enum.from_enum(RewardAccountKind)
RewardAdjustmentKindEnum = graphene.Enum.from_enum(RewardAdjustmentKind)
RewardHistoryKindEnum = graphene.Enum.from_enum(RewardHistoryKind)
SettlementDayStatusEnum = graphene.Enum.from_enum(SettlementDayStatus)


class QueueEntryStatusEnum(graphene.Enum):
    class Meta:
        enum = QueueStatus
        name = "QueueEntryStatus"
        description = "Where an order stands in the free-order queue."


class WithdrawalStatusEnum(graphene.Enum):
    class Meta:
        enum = WithdrawalStatus
        name = "RewardWithdrawalStatus"
        description = "Where a withdrawal request stands."
