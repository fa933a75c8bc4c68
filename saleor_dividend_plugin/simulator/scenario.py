"""Scenario files: an order flow and a channel configuration (the Dashboard's strings).

    {
      "name": "steady",
      "currency": "EUR",
      "start": "2026-01-01",
      "days": 365,
      "seed": 1,
      "flow": {"orders_per_day": 300, "monthly_growth": 0, "average_order_value": "60", ...},
      "config": {"dividend_ratio": "0.2", "free_ratio": "0.2", ...}
    }

Everything but `config` and `flow` has a default, and so does every flow setting (`FLOW`); the
configuration is parsed by `config.parse_config`, the parser the Dashboard uses.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..config import ChannelConfig, ConfigError, parse_config


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Flow:
    """How customers order. Shares are 0 to 1; money in the scenario's currency."""

    orders_per_day: Decimal = Decimal(100)
    # Change of the daily order count every 30 days, compounding: 0.05 grows 5% a month,
    # -0.1 shrinks 10% a month.
    monthly_growth: Decimal = Decimal(0)
    average_order_value: Decimal = Decimal(50)
    # Coefficient of variation of the order value (log-normal): 0 makes every order alike.
    order_value_spread: Decimal = Decimal("0.5")
    # How many different customers there are; orders by new customers stop once all have come.
    customers: int = 5000
    returning_share: Decimal = Decimal("0.6")
    guest_share: Decimal = Decimal("0.05")
    cancel_rate: Decimal = Decimal("0.02")
    refund_rate: Decimal = Decimal("0.05")
    full_refund_share: Decimal = Decimal("0.3")
    refund_within_days: int = 14
    gift_package_share: Decimal = Decimal("0.03")
    gift_package_value: Decimal = Decimal(199)
    referral_rate: Decimal = Decimal("0.3")
    redemption_rate: Decimal = Decimal("0.05")
    wallet_spend_rate: Decimal = Decimal("0.2")


SHARES = {
    "returning_share",
    "guest_share",
    "cancel_rate",
    "refund_rate",
    "full_refund_share",
    "gift_package_share",
    "referral_rate",
    "redemption_rate",
    "wallet_spend_rate",
}
FLOW = {f.name: f for f in fields(Flow)}


@dataclass(frozen=True)
class Scenario:
    name: str
    config: ChannelConfig
    config_values: dict[str, str]
    flow: Flow = field(default_factory=Flow)
    description: str = ""
    currency: str = "USD"
    start: datetime.date = datetime.date(2026, 1, 1)
    days: int = 365
    seed: int = 1

    def with_config(self, overrides: dict[str, str]) -> Scenario:
        values = {**self.config_values, **overrides}
        return replace(self, config=_parse_config(values), config_values=values)

    def with_flow(self, overrides: dict[str, Any]) -> Scenario:
        return replace(self, flow=parse_flow({**_flow_values(self.flow), **overrides}))

    def with_run(self, days: int | None = None, seed: int | None = None) -> Scenario:
        data = {
            "days": self.days if days is None else days,
            "seed": self.seed if seed is None else seed,
        }
        _check_run(data["days"], data["seed"])
        return replace(self, **data)


def _flow_values(flow: Flow) -> dict[str, Any]:
    return {name: getattr(flow, name) for name in FLOW}


def _parse_config(values: dict[str, Any]) -> ChannelConfig:
    try:
        return parse_config(values)
    except ConfigError as error:
        raise ScenarioError(f"config.{error.field}: {error.message}") from None


def parse_flow(values: dict[str, Any]) -> Flow:
    unknown = set(values) - set(FLOW)
    if unknown:
        raise ScenarioError(
            f"flow: unknown settings {', '.join(sorted(unknown))} (known: {', '.join(FLOW)})"
        )
    parsed = {}
    for name, raw in values.items():
        if FLOW[name].type == "int":
            if isinstance(raw, bool) or not str(raw).strip().isdigit():
                raise ScenarioError(f"flow.{name} must be a whole number, got {raw!r}")
            parsed[name] = int(str(raw).strip())
            continue
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ScenarioError(f"flow.{name} must be a number, got {raw!r}") from None
        if not value.is_finite():
            raise ScenarioError(f"flow.{name} must be a finite number, got {raw!r}")
        if name == "monthly_growth":
            if not Decimal(-1) < value <= 10:
                raise ScenarioError(f"flow.{name} must be above -1 and at most 10, got {value}")
        elif value < 0:
            raise ScenarioError(f"flow.{name} must not be negative, got {value}")
        elif name in SHARES and value > 1:
            raise ScenarioError(f"flow.{name} is a share from 0 to 1, got {value}")
        parsed[name] = value
    flow = Flow(**parsed)
    if flow.average_order_value <= 0:
        raise ScenarioError("flow.average_order_value must be above 0")
    if flow.customers < 1:
        raise ScenarioError("flow.customers must be at least 1")
    return flow


def scenario_from_dict(data: dict[str, Any], name: str = "scenario") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a JSON object")
    known = {"name", "description", "currency", "start", "days", "seed", "flow", "config"}
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(
            f"unknown keys {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})"
        )
    config_values = data.get("config") or {}
    flow_values = data.get("flow") or {}
    if not isinstance(config_values, dict) or not isinstance(flow_values, dict):
        raise ScenarioError("config and flow are JSON objects")
    config_values = {
        k: v
        if isinstance(v, str)
        else json.dumps(v)
        if isinstance(v, list | dict)
        else str(v).lower()
        if isinstance(v, bool)
        else str(v)
        for k, v in config_values.items()
    }
    currency = str(data.get("currency", "USD")).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ScenarioError(f"currency must be a 3-letter code, got {currency!r}")
    try:
        start = datetime.date.fromisoformat(str(data.get("start", "2026-01-01")))
    except ValueError:
        raise ScenarioError(f"start must be a date as YYYY-MM-DD, got {data['start']!r}") from None
    days, seed = data.get("days", 365), data.get("seed", 1)
    _check_run(days, seed)
    return Scenario(
        name=str(data.get("name", name)),
        description=str(data.get("description", "")),
        config=_parse_config(config_values),
        config_values=config_values,
        flow=parse_flow(flow_values),
        currency=currency,
        start=start,
        days=days,
        seed=seed,
    )


def _check_run(days, seed) -> None:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
        raise ScenarioError(f"days must be a whole number from 1 to 3650, got {days!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ScenarioError(f"seed must be a whole number, got {seed!r}")


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ScenarioError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ScenarioError(f"{path} is not valid JSON: {error}") from None
    return scenario_from_dict(data, name=path.stem)
