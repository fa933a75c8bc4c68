import graphene
from graphene import relay

from . import resolvers
from .core.connection import paginate
from .mutations.points_redeem import PointsRedeem
from .mutations.referrer_set import ReferrerSet
from .mutations.reward_account_adjust import RewardAccountAdjust
from .mutations.settlement_run import SettlementRun
from .mutations.wallet_convert_to_gift_card import WalletConvertToGiftCard
from .mutations.withdrawal_approve import WithdrawalApprove
from .mutations.withdrawal_reject import WithdrawalReject
from .mutations.withdrawal_request import WithdrawalRequest
from .types import (
    DividendPool,
    PointValue,
    PointValueCountableConnection,
    PointValueFilterInput,
    RewardAccount,
    RewardProgram,
    RewardReport,
    RewardTier,
    RewardWithdrawalCountableConnection,
    RewardWithdrawalFilterInput,
)


class RewardQueries(graphene.ObjectType):
    reward_account = graphene.Field(
        RewardAccount,
        description="The signed-in customer's rewards in this channel; null when nobody is "
        "signed in.",
    )
    reward_member = graphene.Field(
        RewardAccount,
        id=graphene.ID(description="ID of the RewardAccount."),
        email=graphene.String(description="The customer's email address."),
        description="Any member's rewards in this channel, by account ID or email. "
        "Requires MANAGE_ORDERS.",
    )
    reward_withdrawals = relay.ConnectionField(
        RewardWithdrawalCountableConnection,
        filter=RewardWithdrawalFilterInput(),
        description="Withdrawal requests of the channel, oldest first. Requires MANAGE_GIFT_CARD.",
    )
    dividend_pool = graphene.Field(DividendPool, required=True)
    reward_tiers = graphene.List(
        graphene.NonNull(RewardTier), required=True, description="The tiers, lowest first."
    )
    reward_program = graphene.Field(
        RewardProgram,
        required=True,
        description="What orders earn, the smallest redemption and whether withdrawals are "
        "possible in this channel.",
    )
    point_value = graphene.Field(
        PointValue, required=True, description="What one point redeems for today."
    )
    reward_report = graphene.Field(
        RewardReport,
        days=graphene.Int(default_value=90, description="The last N days, today included."),
        description="The channel's rewards report: daily payouts, the queue, liabilities, tiers "
        "and top referrers. Requires MANAGE_ORDERS.",
    )
    point_value_history = relay.ConnectionField(
        PointValueCountableConnection,
        filter=PointValueFilterInput(),
        description="The point value of each settled day, newest first.",
    )

    @staticmethod
    def resolve_reward_account(_root, info):
        return resolvers.resolve_reward_account(info)

    @staticmethod
    def resolve_reward_member(_root, info, id=None, email=None):
        info.context.require_any_permission("MANAGE_ORDERS")
        return resolvers.resolve_reward_member(info, id=id, email=email)

    @staticmethod
    def resolve_reward_withdrawals(_root, info, filter=None, **pagination):
        info.context.require_any_permission("MANAGE_GIFT_CARD")
        withdrawals = resolvers.resolve_channel_withdrawals(info, filter)
        return paginate(
            withdrawals, RewardWithdrawalCountableConnection, ("pk",), info=info, **pagination
        )

    @staticmethod
    def resolve_dividend_pool(_root, info):
        return resolvers.resolve_dividend_pool(info)

    @staticmethod
    def resolve_reward_tiers(_root, info):
        return resolvers.resolve_reward_tiers(info)

    @staticmethod
    def resolve_reward_program(_root, info):
        return resolvers.resolve_reward_program(info)

    @staticmethod
    def resolve_point_value(_root, info):
        return resolvers.resolve_point_value(info)

    @staticmethod
    def resolve_reward_report(_root, info, days=90):
        info.context.require_any_permission("MANAGE_ORDERS")
        return resolvers.resolve_reward_report(info, days)

    @staticmethod
    def resolve_point_value_history(_root, info, filter=None, **pagination):
        values = resolvers.resolve_point_value_history(info, filter)
        return paginate(values, PointValueCountableConnection, ("-day",), info=info, **pagination)


class RewardMutations(graphene.ObjectType):
    points_redeem = PointsRedeem.Field()
    wallet_convert_to_gift_card = WalletConvertToGiftCard.Field()
    withdrawal_request = WithdrawalRequest.Field()
    referrer_set = ReferrerSet.Field()
    reward_account_adjust = RewardAccountAdjust.Field()
    withdrawal_approve = WithdrawalApprove.Field()
    withdrawal_reject = WithdrawalReject.Field()
    settlement_run = SettlementRun.Field()


class Query(RewardQueries):
    pass


class Mutation(RewardMutations):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
