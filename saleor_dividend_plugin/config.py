"""The channel configuration: one parser for the Dashboard, the CLI and the simulator.

Saleor stores every plugin setting as a string per channel. `FIELDS` lists them with their
defaults and help text (the plugin builds DEFAULT_CONFIGURATION and CONFIG_STRUCTURE from it);
`parse_config` turns the strings into a `ChannelConfig` or raises `ConfigError` naming the field.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import zoneinfo
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

ONE = Decimal(1)
ZERO = Decimal(0)


class ConfigError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    min_contribution: Decimal
    release_weight: Decimal
    points_multiplier: Decimal


@dataclass(frozen=True)
class ChannelConfig:
    amount_basis: str
    timezone: str
    settlement_time: datetime.time
    # Order dividend (DESIGN §6)
    dividend_enabled: bool
    dividend_ratio: Decimal
    free_ratio: Decimal
    payout_mode: str
    even_k: int
    queue_min_amount: Decimal
    queue_max_amount: Decimal
    queue_max_length: int
    queue_max_entries_per_member: int
    queue_ttl_days: int
    referral_mode: str
    referral_ratios: tuple[Decimal, ...]
    # Points (DESIGN §7)
    points_per_unit: Decimal
    point_value_mode: str
    point_value_initial: Decimal
    point_daily_appreciation: Decimal
    point_value_max: Decimal
    points_backing_ratio: Decimal
    points_min_redemption: int
    points_expire_days: int
    # Energy, contribution, release, tiers (DESIGN §8)
    energy_multiplier: Decimal
    gift_package_energy_multiplier: Decimal
    gift_package_product_types: tuple[str, ...]
    gift_package_tier: str
    release_ratio: Decimal
    tiers: tuple[Tier, ...]
    # Wallet (DESIGN §10)
    withdrawals_enabled: bool
    min_withdrawal: Decimal

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def tier(self, code: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.code == code), None)

    def tier_rank(self, code: str | None) -> int:
        return next((i for i, t in enumerate(self.tiers) if t.code == code), -1)

    def tier_for_contribution(self, contribution: Decimal) -> Tier | None:
        reached = [t for t in self.tiers if contribution >= t.min_contribution]
        return reached[-1] if reached else None

    def referral_share(self) -> Decimal:
        return sum(self.referral_ratios, ZERO) if self.referral_mode != "off" else ZERO

    def to_strings(self) -> dict[str, str]:
        """The configuration as the Dashboard stores it; `parse_config(c.to_strings()) == c`."""
        return {f.name: _format(f.name, getattr(self, f.name)) for f in fields(self)}


DEFAULT_TIERS = [
    {
        "code": "member",
        "name": "Member",
        "min_contribution": "0",
        "release_weight": "1",
        "points_multiplier": "1",
    },
    {
        "code": "silver",
        "name": "Silver",
        "min_contribution": "500",
        "release_weight": "1.2",
        "points_multiplier": "1.1",
    },
    {
        "code": "gold",
        "name": "Gold",
        "min_contribution": "2000",
        "release_weight": "1.5",
        "points_multiplier": "1.25",
    },
    {
        "code": "platinum",
        "name": "Platinum",
        "min_contribution": "10000",
        "release_weight": "2",
        "points_multiplier": "1.5",
    },
]


@dataclass(frozen=True)
class Field:
    name: str
    default: str
    label: str
    help: str
    kind: str  # bool, ratio, decimal, multiplier, int, choice, list, tiers, timezone, time
    choices: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field(
        "amount_basis",
        "subtotal_gross",
        "Qualifying amount",
        "Which order amount earns rewards: subtotal_gross (products after discounts, with tax, "
        "without shipping), subtotal_net, total_gross or total_net.",
        "choice",
        ("subtotal_gross", "subtotal_net", "total_gross", "total_net"),
    ),
    Field(
        "timezone",
        "UTC",
        "Channel timezone",
        "IANA timezone whose calendar days the daily settlement follows, e.g. Europe/Berlin.",
        "timezone",
    ),
    Field(
        "settlement_time",
        "00:15",
        "Daily settlement time",
        "Local time (HH:MM) at which the previous day is settled.",
        "time",
    ),
    Field(
        "dividend_enabled",
        "true",
        "Order dividend",
        "Paid orders join the free-order queue and fund the dividend pool.",
        "bool",
    ),
    Field(
        "dividend_ratio",
        "0.2",
        "Dividend ratio",
        "Share of every confirmed order's amount that funds the dividend pool (0 to 1).",
        "ratio",
    ),
    Field(
        "free_ratio",
        "1",
        "Free ratio",
        "Share of a queued order's amount it gets back before it leaves the queue (0 to 1).",
        "ratio",
    ),
    Field(
        "payout_mode",
        "fifo",
        "Payout mode",
        "fifo pays the head of the queue in full first; even splits each funding equally among "
        "the first even_k entries.",
        "choice",
        ("fifo", "even"),
    ),
    Field(
        "even_k",
        "5",
        "Entries paid at once (even mode)",
        "How many queue entries share each funding in even mode.",
        "int",
    ),
    Field(
        "queue_min_amount",
        "0",
        "Minimum order amount to queue",
        "Orders below this amount fund the pool but do not join the queue.",
        "decimal",
    ),
    Field(
        "queue_max_amount",
        "1000",
        "Maximum refundable amount",
        "A queued order's target is free_ratio x min(amount, this).",
        "decimal",
    ),
    Field(
        "queue_max_length",
        "10000",
        "Queue length limit",
        "Orders confirmed while the queue is this long do not join it.",
        "int",
    ),
    Field(
        "queue_max_entries_per_member",
        "3",
        "Open entries per customer",
        "A customer with this many waiting entries does not get another.",
        "int",
    ),
    Field(
        "queue_ttl_days",
        "0",
        "Queue entry lifetime (days)",
        "Entries older than this leave the queue unpaid; 0 keeps them until freed.",
        "int",
    ),
    Field(
        "referral_mode",
        "chain",
        "Referral mode",
        "chain pays each referrer level its ratio to their wallet; queue adds the referral "
        "share to the dividend pool; off pays nothing.",
        "choice",
        ("off", "chain", "queue"),
    ),
    Field(
        "referral_ratios",
        "0.05,0.02,0.01",
        "Referral ratios",
        "Comma-separated shares for referrer levels 1 to 3, e.g. 0.05,0.02,0.01.",
        "list",
    ),
    Field(
        "points_per_unit",
        "1",
        "Points per currency unit",
        "Points earned per unit of qualifying amount, before the tier multiplier.",
        "decimal",
    ),
    Field(
        "point_value_mode",
        "backed",
        "Point value mode",
        "backed: value = points backing / outstanding points; rate: starts at "
        "point_value_initial and grows daily by point_daily_appreciation up to point_value_max, "
        "never above what the backing covers.",
        "choice",
        ("backed", "rate"),
    ),
    Field(
        "point_value_initial",
        "0.01",
        "Initial point value",
        "Value of one point on the first day in rate mode.",
        "decimal",
    ),
    Field(
        "point_daily_appreciation",
        "0.001",
        "Daily appreciation",
        "Daily compounding growth of the point value in rate mode, e.g. 0.001 = 0.1% a day.",
        "ratio",
    ),
    Field(
        "point_value_max",
        "0.05",
        "Maximum point value",
        "Cap of the point value in rate mode.",
        "decimal",
    ),
    Field(
        "points_backing_ratio",
        "0.05",
        "Points backing ratio",
        "Share of every confirmed order's amount set aside to pay point redemptions.",
        "ratio",
    ),
    Field(
        "points_min_redemption",
        "100",
        "Minimum redemption (points)",
        "Smallest number of points a customer can redeem at once.",
        "int",
    ),
    Field(
        "points_expire_days",
        "0",
        "Points lifetime (days)",
        "Points expire this many days after they were earned; 0 means never.",
        "int",
    ),
    Field(
        "energy_multiplier",
        "3",
        "Energy multiplier",
        "Energy earned per unit of qualifying amount.",
        "multiplier",
    ),
    Field(
        "gift_package_energy_multiplier",
        "5",
        "Gift package energy multiplier",
        "Energy earned per unit spent on gift-package products.",
        "multiplier",
    ),
    Field(
        "gift_package_product_types",
        "",
        "Gift package product types",
        "Comma-separated product type slugs whose lines count as gift packages.",
        "list",
    ),
    Field(
        "gift_package_tier",
        "gold",
        "Gift package tier",
        "Tier code granted to a customer who buys a gift package.",
        "str",
    ),
    Field(
        "release_ratio",
        "0.1",
        "Daily release ratio",
        "Share of every confirmed order's amount released to members as store credit, daily, "
        "in proportion to contribution x tier weight and up to each member's energy.",
        "ratio",
    ),
    Field(
        "tiers",
        json.dumps(DEFAULT_TIERS),
        "Honorary tiers (JSON)",
        'Ordered list of {"code","name","min_contribution","release_weight",'
        '"points_multiplier"}, lowest first.',
        "tiers",
    ),
    Field(
        "withdrawals_enabled",
        "false",
        "Withdrawals",
        "Customers may ask staff to pay out wallet credit outside the store.",
        "bool",
    ),
    Field("min_withdrawal", "10", "Minimum withdrawal", "Smallest withdrawal request.", "decimal"),
)

FIELD_NAMES = tuple(f.name for f in FIELDS)
DEFAULTS = {f.name: f.default for f in FIELDS}
_MAX_MULTIPLIER = Decimal(100)


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _decimal(name: str, raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ConfigError(name, f"{name} must be a number, got {raw!r}") from None
    if not value.is_finite():
        raise ConfigError(name, f"{name} must be a finite number, got {raw!r}")
    if value < 0:
        raise ConfigError(name, f"{name} must not be negative, got {value}")
    if value > Decimal("1e12") or value.as_tuple().exponent < -8:
        raise ConfigError(name, f"{name} is out of range, got {raw!r}")
    return value


def _int(name: str, raw: Any) -> int:
    text = str(raw).strip()
    if not re.fullmatch(r"\d{1,9}", text):
        raise ConfigError(name, f"{name} must be a whole number from 0 to 999999999, got {raw!r}")
    return int(text)


def _bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off", ""}:
        return False
    raise ConfigError(name, f"{name} must be true or false, got {raw!r}")


def _parse_field(f: Field, raw: Any) -> Any:
    name = f.name
    if f.kind == "bool":
        return _bool(name, raw)
    if f.kind == "int":
        return _int(name, raw)
    if f.kind in {"decimal", "ratio", "multiplier"}:
        value = _decimal(name, raw)
        if f.kind == "ratio" and value > 1:
            raise ConfigError(name, f"{name} must be between 0 and 1, got {value}")
        if f.kind == "multiplier" and value > _MAX_MULTIPLIER:
            raise ConfigError(name, f"{name} must be between 0 and {_MAX_MULTIPLIER}, got {value}")
        return value
    if f.kind == "choice":
        text = str(raw).strip().lower()
        if text not in f.choices:
            raise ConfigError(name, f"{name} must be one of {', '.join(f.choices)}, got {raw!r}")
        return text
    if f.kind == "timezone":
        text = str(raw).strip()
        # A set lookup, not ZoneInfo(text): ZoneInfo turns the text into a file path, and
        # odd input then fails with OSError (name too long, directory) instead of "not found".
        if text not in _timezones():
            raise ConfigError(
                name, f"{name} must be an IANA timezone such as Europe/Berlin, got {raw!r}"
            )
        return text
    if f.kind == "time":
        text = str(raw).strip()
        m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
        if not m:
            raise ConfigError(name, f"{name} must be a time of day as HH:MM, got {raw!r}")
        return datetime.time(int(m[1]), int(m[2]))
    if f.kind == "str":
        return str(raw).strip()
    if f.kind == "list":
        items = tuple(p.strip() for p in str(raw).split(",") if p.strip())
        if name == "referral_ratios":
            if len(items) > 3:
                raise ConfigError(name, f"{name} allows at most 3 levels, got {len(items)}")
            values = tuple(_decimal(name, p) for p in items)
            if any(v > 1 for v in values):
                raise ConfigError(name, f"{name} must each be between 0 and 1, got {raw!r}")
            return values
        return items
    if f.kind == "tiers":
        return _tiers(name, raw)
    raise AssertionError(f"unknown field kind {f.kind}")


def _tiers(name: str, raw: Any) -> tuple[Tier, ...]:
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except (json.JSONDecodeError, RecursionError):
        raise ConfigError(name, f"{name} must be a JSON list of tiers, got invalid JSON") from None
    if not isinstance(data, list) or not data:
        raise ConfigError(name, f"{name} must be a non-empty JSON list of tiers")
    if len(data) > 20:
        raise ConfigError(name, f"{name} allows at most 20 tiers, got {len(data)}")
    tiers = []
    for i, item in enumerate(data, 1):
        where = f"{name}: tier {i}"
        if not isinstance(item, dict):
            raise ConfigError(name, f"{where} must be an object")
        missing = {"code", "name", "min_contribution"} - item.keys()
        if missing:
            raise ConfigError(name, f"{where} is missing {', '.join(sorted(missing))}")
        unknown = item.keys() - {
            "code",
            "name",
            "min_contribution",
            "release_weight",
            "points_multiplier",
        }
        if unknown:
            raise ConfigError(name, f"{where} has unknown keys {', '.join(sorted(unknown))}")
        code = item["code"]
        if not isinstance(code, str) or not _CODE.match(code):
            raise ConfigError(
                name, f"{where} code must be lowercase letters, digits, - or _, got {code!r}"
            )
        if not isinstance(item["name"], str) or not item["name"].strip():
            raise ConfigError(name, f"{where} needs a name")
        try:
            tier = Tier(
                code=code,
                name=item["name"].strip()[:64],
                min_contribution=_decimal(f"{where} min_contribution", item["min_contribution"]),
                release_weight=_decimal(f"{where} release_weight", item.get("release_weight", 1)),
                points_multiplier=_decimal(
                    f"{where} points_multiplier", item.get("points_multiplier", 1)
                ),
            )
        except ConfigError as error:
            raise ConfigError(name, error.message) from None
        if tier.release_weight > _MAX_MULTIPLIER or tier.points_multiplier > _MAX_MULTIPLIER:
            raise ConfigError(name, f"{where} weights must be at most {_MAX_MULTIPLIER}")
        tiers.append(tier)
    codes = [t.code for t in tiers]
    if len(set(codes)) != len(codes):
        raise ConfigError(name, f"{name} codes must be unique, got {codes}")
    mins = [t.min_contribution for t in tiers]
    if mins != sorted(mins) or len(set(mins)) != len(mins):
        raise ConfigError(name, f"{name} must be ordered by strictly rising min_contribution")
    if mins[0] != 0:
        raise ConfigError(name, f"{name}: the first tier must start at min_contribution 0")
    return tuple(tiers)


def parse_config(values: dict[str, Any] | None = None) -> ChannelConfig:
    """Parse the stored strings (missing keys take their defaults; unknown keys are ignored,
    since Saleor keeps fields such as `active` in the same list)."""
    values = values or {}
    parsed = {}
    for f in FIELDS:
        raw = values.get(f.name)
        parsed[f.name] = _parse_field(f, f.default if raw is None else raw)
    config = ChannelConfig(**parsed)
    _check_consistency(config)
    return config


def _check_consistency(c: ChannelConfig) -> None:
    funded = c.dividend_ratio + c.release_ratio + c.points_backing_ratio + c.referral_share()
    if funded > 1:
        raise ConfigError(
            "dividend_ratio",
            "dividend_ratio + release_ratio + points_backing_ratio + referral ratios must not "
            f"exceed 1 (the whole order), got {funded}",
        )
    if c.payout_mode == "even" and c.even_k < 1:
        raise ConfigError("even_k", f"even_k must be at least 1 in even mode, got {c.even_k}")
    if c.point_value_mode == "rate" and c.point_value_initial > c.point_value_max:
        raise ConfigError(
            "point_value_initial",
            f"point_value_initial ({c.point_value_initial}) must not exceed point_value_max "
            f"({c.point_value_max})",
        )
    if c.queue_min_amount > c.queue_max_amount:
        raise ConfigError(
            "queue_min_amount",
            f"queue_min_amount ({c.queue_min_amount}) must not exceed queue_max_amount "
            f"({c.queue_max_amount})",
        )
    if c.gift_package_product_types and c.tier(c.gift_package_tier) is None:
        raise ConfigError(
            "gift_package_tier",
            f"gift_package_tier must be one of the tier codes "
            f"({', '.join(t.code for t in c.tiers)}), got {c.gift_package_tier!r}",
        )


def _format(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if name == "tiers":
        return json.dumps(
            [
                {
                    "code": t.code,
                    "name": t.name,
                    "min_contribution": str(t.min_contribution),
                    "release_weight": str(t.release_weight),
                    "points_multiplier": str(t.points_multiplier),
                }
                for t in value
            ]
        )
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def with_overrides(values: dict[str, Any], overrides: dict[str, Any]) -> ChannelConfig:
    """The configuration `values` with some settings changed (a proposal, a what-if): unlike the
    stored configuration, an override must name a setting."""
    for name in overrides:
        if name not in FIELD_NAMES:
            raise ConfigError(
                name, f"unknown setting {name!r} (settings: {', '.join(FIELD_NAMES)})"
            )
    return parse_config({**values, **overrides})
