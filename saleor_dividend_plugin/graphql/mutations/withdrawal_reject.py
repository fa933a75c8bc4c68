import graphene

from ..core.mutations import BaseMutation
from ..types import RewardWithdrawal
from .withdrawal_decide import PERMISSION, decide


class WithdrawalReject(BaseMutation):
    withdrawal = graphene.Field(RewardWithdrawal, description="The rejected request.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of the RewardWithdrawal.")
        reason = graphene.String(
            required=True, description="Why, for the customer (255 characters)."
        )

    class Meta:
        description = (
            "Reject a withdrawal request: the amount goes back to the customer's wallet. "
            "Requires MANAGE_GIFT_CARD."
        )

    permissions = (PERMISSION,)

    @classmethod
    def perform_mutation(cls, info, id, reason):
        return cls(withdrawal=decide(info, id, reason, approve=False), errors=[])
