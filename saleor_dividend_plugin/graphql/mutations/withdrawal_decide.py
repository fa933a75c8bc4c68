"""What approving and rejecting a withdrawal share."""

from ... import wallet
from ...models import Withdrawal
from ..core.validators import clean_text, decode_id, invalid
from ..error_codes import RewardErrorCode
from .utils import staff_name, wallet_error

PERMISSION = "MANAGE_GIFT_CARD"


def decide(info, id, reason, *, approve: bool) -> Withdrawal:
    context = info.context
    reason = clean_text(reason, "reason", required=not approve)
    pk = decode_id(id, "RewardWithdrawal")
    if not Withdrawal.objects.filter(pk=pk, member__channel=context.channel).exists():
        raise invalid("id", "No such withdrawal in this channel.", RewardErrorCode.NOT_FOUND)
    try:
        return wallet.decide_withdrawal(
            pk, approve=approve, staff=staff_name(context.user), reason=reason
        )
    except wallet.WalletError as error:
        raise wallet_error(error) from error
