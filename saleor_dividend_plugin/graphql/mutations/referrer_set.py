import graphene

from ... import members
from ..core.mutations import BaseMutation
from ..core.validators import clean_text, invalid
from ..error_codes import REFERRAL_CODES
from ..resolvers import AccountView
from ..types import RewardAccount
from .utils import customer_member


class ReferrerSet(BaseMutation):
    account = graphene.Field(RewardAccount, description="The account with its referrer.")

    class Arguments:
        code = graphene.String(required=True, description="The referrer's referral code.")

    class Meta:
        description = (
            "Name the customer who referred you, by their referral code: once, and before your "
            "first paid order. Requires a signed-in customer."
        )

    @classmethod
    def perform_mutation(cls, info, code):
        code = clean_text(code, "code", required=True, max_length=32)
        member = customer_member(info)
        try:
            member = members.set_referrer(member, code)
        except members.ReferralError as error:
            raise invalid("code", error.message, REFERRAL_CODES[error.code]) from error
        return cls(account=AccountView(member), errors=[])
