import graphene

from ..core.mutations import BaseMutation
from ..types import RewardWithdrawal
from .withdrawal_decide import PERMISSION, decide


class WithdrawalApprove(BaseMutation):
    withdrawal = graphene.Field(RewardWithdrawal, description="The approved request.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of the RewardWithdrawal.")
        reason = graphene.String(description="A note for the customer (255 characters).")

    class Meta:
        description = (
            "Record that a withdrawal request was paid out of the store. Requires MANAGE_GIFT_CARD."
        )

    permissions = (PERMISSION,)

    @classmethod
    def perform_mutation(cls, info, id, reason=None):
        return cls(withdrawal=decide(info, id, reason, approve=True), errors=[])
