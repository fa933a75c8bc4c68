"""Error codes of the rewards API, and how the services' own codes map onto them."""

from enum import Enum


class RewardErrorCode(Enum):
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_CURRENCY = "invalid_currency"
    BELOW_MINIMUM = "below_minimum"
    INSUFFICIENT_POINTS = "insufficient_points"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    POINTS_WORTHLESS = "points_worthless"
    WITHDRAWALS_DISABLED = "withdrawals_disabled"
    GIFT_CARDS_UNAVAILABLE = "gift_cards_unavailable"
    ALREADY_DECIDED = "already_decided"
    DUPLICATE = "duplicate"
    REFERRER_ALREADY_SET = "referrer_already_set"
    REFERRER_TOO_LATE = "referrer_too_late"
    SELF_REFERRAL = "self_referral"
    REFERRAL_CYCLE = "referral_cycle"
    REFERRAL_TOO_DEEP = "referral_too_deep"
    SETTLEMENT_NOT_ALLOWED = "settlement_not_allowed"


# points.RedemptionError codes
REDEMPTION_CODES = {
    "INVALID": RewardErrorCode.INVALID_AMOUNT,
    "BELOW_MINIMUM": RewardErrorCode.BELOW_MINIMUM,
    "INSUFFICIENT": RewardErrorCode.INSUFFICIENT_POINTS,
    "WORTHLESS": RewardErrorCode.POINTS_WORTHLESS,
    "DUPLICATE": RewardErrorCode.DUPLICATE,
}

# wallet.WalletError codes
WALLET_CODES = {
    "INVALID_AMOUNT": RewardErrorCode.INVALID_AMOUNT,
    "INSUFFICIENT_FUNDS": RewardErrorCode.INSUFFICIENT_FUNDS,
    "BELOW_MINIMUM": RewardErrorCode.BELOW_MINIMUM,
    "WITHDRAWALS_DISABLED": RewardErrorCode.WITHDRAWALS_DISABLED,
    "GIFT_CARDS_UNAVAILABLE": RewardErrorCode.GIFT_CARDS_UNAVAILABLE,
    "NOT_FOUND": RewardErrorCode.NOT_FOUND,
    "ALREADY_DECIDED": RewardErrorCode.ALREADY_DECIDED,
    "DUPLICATE": RewardErrorCode.DUPLICATE,
    "INVALID_DETAILS": RewardErrorCode.INVALID,
}

# members.ReferralError codes
REFERRAL_CODES = {
    "ALREADY_SET": RewardErrorCode.REFERRER_ALREADY_SET,
    "TOO_LATE": RewardErrorCode.REFERRER_TOO_LATE,
    "NOT_FOUND": RewardErrorCode.NOT_FOUND,
    "SELF_REFERRAL": RewardErrorCode.SELF_REFERRAL,
    "CYCLE": RewardErrorCode.REFERRAL_CYCLE,
    "DEPTH_EXCEEDED": RewardErrorCode.REFERRAL_TOO_DEEP,
}
