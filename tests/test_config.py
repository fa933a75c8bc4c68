"""The one configuration parser, as the Dashboard, the CLI and the simulator use it."""

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin.config import DEFAULTS, FIELDS, ConfigError, parse_config

from .tally import count

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_defaults_are_valid_and_round_trip():
    config = parse_config()
    assert config.dividend_ratio == D("0.2") and config.payout_mode == "fifo"
    assert [t.code for t in config.tiers] == ["member", "silver", "gold", "platinum"]
    assert parse_config(config.to_strings()) == config


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dividend_ratio", "1.5", "dividend_ratio must be between 0 and 1, got 1.5"),
        ("dividend_ratio", "-0.1", "dividend_ratio must not be negative, got -0.1"),
        ("dividend_ratio", "abc", "dividend_ratio must be a number, got 'abc'"),
        ("dividend_ratio", "NaN", "dividend_ratio must be a finite number, got 'NaN'"),
        ("release_ratio", "Infinity", "release_ratio must be a finite number, got 'Infinity'"),
        ("queue_max_length", "-1", "queue_max_length must be a whole number"),
        ("queue_max_length", "2.5", "queue_max_length must be a whole number"),
        ("payout_mode", "random", "payout_mode must be one of fifo, even, got 'random'"),
        ("timezone", "Mars/Olympus", "timezone must be an IANA timezone"),
        # Each of these makes ZoneInfo() itself fail with an OSError or ValueError.
        ("timezone", "x" * 300, "timezone must be an IANA timezone"),
        ("timezone", "America", "timezone must be an IANA timezone"),
        ("timezone", "../../etc/passwd", "timezone must be an IANA timezone"),
        ("timezone", "Europe/Berlin\x00", "timezone must be an IANA timezone"),
        ("settlement_time", "25:00", "settlement_time must be a time of day as HH:MM"),
        ("withdrawals_enabled", "maybe", "withdrawals_enabled must be true or false"),
        ("referral_ratios", "0.1,0.1,0.1,0.1", "referral_ratios allows at most 3 levels, got 4"),
        ("energy_multiplier", "1000", "energy_multiplier must be between 0 and 100, got 1000"),
        ("tiers", "not json", "tiers must be a JSON list of tiers, got invalid JSON"),
        ("tiers", "[]", "tiers must be a non-empty JSON list of tiers"),
        (
            "tiers",
            '[{"code": "a", "name": "A", "min_contribution": "5"}]',
            "the first tier must start at min_contribution 0",
        ),
        (
            "tiers",
            '[{"code": "a", "name": "A", "min_contribution": "0"},'
            ' {"code": "b", "name": "B", "min_contribution": "0"}]',
            "strictly rising min_contribution",
        ),
        ("tiers", '[{"code": "A B", "name": "A", "min_contribution": "0"}]', "code must be"),
        (
            "tiers",
            '[{"code": "a", "name": "A", "min_contribution": "x"}]',
            "tier 1 min_contribution must be a number",
        ),
        (
            "tiers",
            '[{"code": "a", "name": "A", "min_contribution": "0", "bonus": 1}]',
            "unknown keys bonus",
        ),
    ],
)
def test_bad_values_name_the_field_and_say_why(field, value, message):
    with pytest.raises(ConfigError) as error:
        parse_config({field: value})
    assert error.value.field == field
    assert message in error.value.message


def test_ratios_together_cannot_give_away_more_than_the_order():
    with pytest.raises(ConfigError) as error:
        parse_config(
            {
                "dividend_ratio": "0.6",
                "release_ratio": "0.3",
                "points_backing_ratio": "0.1",
                "referral_ratios": "0.05",
            }
        )
    assert error.value.field == "dividend_ratio"
    assert "must not exceed 1" in error.value.message


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="point_value_initial"):
        parse_config(
            {"point_value_mode": "rate", "point_value_initial": "1", "point_value_max": "0.5"}
        )
    with pytest.raises(ConfigError, match="queue_min_amount"):
        parse_config({"queue_min_amount": "500", "queue_max_amount": "100"})
    with pytest.raises(ConfigError, match="gift_package_tier must be one of"):
        parse_config({"gift_package_product_types": "vip-box", "gift_package_tier": "diamond"})
    with pytest.raises(ConfigError, match="even_k must be at least 1"):
        parse_config({"payout_mode": "even", "even_k": "0"})


def test_unknown_keys_such_as_saleors_active_flag_are_ignored():
    assert parse_config({"active": "true", "something": "else"}) == parse_config()


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(
        st.sampled_from([f.name for f in FIELDS]),
        st.one_of(
            st.text(max_size=40),
            st.integers(-(10**12), 10**12).map(str),
            st.decimals(allow_nan=True, allow_infinity=True).map(str),
            st.recursive(
                st.none() | st.booleans() | st.text(max_size=5) | st.integers(),
                lambda c: (
                    st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3)
                ),
                max_leaves=8,
            ).map(json.dumps),
        ),
        max_size=6,
    )
)
def test_random_input_is_either_accepted_or_refused_with_a_config_error(values):
    count("fuzz: Dashboard configurations")
    try:
        config = parse_config(values)
    except ConfigError as error:
        assert error.field in DEFAULTS
        assert error.message
    else:
        assert parse_config(config.to_strings()) == config


def test_readme_documents_every_setting_with_its_default():
    section = README.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    for field in FIELDS:
        if field.name == "tiers":
            assert "`tiers`" in section
            continue
        default = f"`{field.default}`" if field.default else "(none)"
        assert f"| `{field.name}` | {default} |" in section, field.name
