"""Sample settings shared by tests that drive the rules through different paths."""

# Three tiers: weights and points multipliers that differ, so that tiers change what is earned
# and released.
TIERS = (
    '[{"code": "member", "name": "Member", "min_contribution": "0", "release_weight": "1",'
    ' "points_multiplier": "1"},'
    ' {"code": "silver", "name": "Silver", "min_contribution": "150", "release_weight": "1.25",'
    ' "points_multiplier": "1.1"},'
    ' {"code": "gold", "name": "Gold", "min_contribution": "400", "release_weight": "1.5",'
    ' "points_multiplier": "1.25"}]'
)
