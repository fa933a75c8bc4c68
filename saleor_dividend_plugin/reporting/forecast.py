"""A channel's next months: the simulator started from the channel's state, driven by the order
flow fitted to its last days, for its configuration and, side by side, a proposed change."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from ..config import ConfigError, with_overrides
from ..kernel.state import WAITING, Entry
from ..ledger import channel_day
from ..models import Channel
from ..simulator import report as simulator_report
from ..simulator.run import Result, simulate
from ..simulator.scenario import Flow, Scenario, ScenarioError, parse_flow
from . import ledger_figures as figures
from .fit import Fit, fit_flow
from .live import check_days
from .report import PLOTS, Report, index_html, to_json, write_report
from .start import state_from_channel

DEFAULT_HISTORY_DAYS = 90
DEFAULT_HORIZON = 365
# Refunds are counted for the orders placed at least this long before the window ends (a third
# of the window when shorter), when most refunds that will come have come.
REFUND_MARGIN_DAYS = 28


class ForecastError(ValueError):
    pass


@dataclass
class Run:
    label: str
    overrides: dict[str, str]
    result: Result
    # The entries waiting at the start, and the day by which none of them waits any more.
    initial: list[Entry]
    cleared_on_day: int | None
    report: Report = field(init=False)

    def __post_init__(self):
        self.report = simulator_report.build(self.result, title=f"Forecast: {self.label}")

    def figures(self) -> dict:
        data = self.report.summary
        start = self.result.scenario.start
        still = sum(1 for e in self.initial if e.status == WAITING)
        return {
            "label": self.label,
            "settings": self.overrides,
            "waiting_at_start": len(self.initial),
            "days_until_waiting_orders_are_free": self.cleared_on_day,
            "date_waiting_orders_are_free": (
                start + datetime.timedelta(days=self.cleared_on_day - 1)
            ).isoformat()
            if self.cleared_on_day
            else None,
            "still_waiting_at_end": still,
            "liabilities_at_end": data["liabilities"]["total"],
            "funded": data["platform"]["funded"],
            "paid_to_customers": data["platform"]["paid_to_customers"],
            "cost_share_of_revenue": data["platform"]["cost_share_of_revenue"],
            "net_revenue": data["orders"]["net_revenue"],
            "queue_waiting_at_end": data["queue"]["waiting"],
            "warnings": data["warnings"],
        }


@dataclass
class Forecast:
    channel: str
    currency: str
    history: tuple[datetime.date, datetime.date]
    fit: Fit | None
    flow: Flow
    runs: list[Run]

    def summary(self) -> dict:
        return {
            "channel": self.channel,
            "currency": self.currency,
            "history": {
                "first_day": self.history[0].isoformat(),
                "last_day": self.history[1].isoformat(),
            },
            "flow": flow_values(self.flow),
            "observations": self.fit.observations if self.fit else None,
            "runs": [run.figures() for run in self.runs],
        }


def flow_values(flow: Flow) -> dict[str, str]:
    return {k: str(v) for k, v in vars(flow).items()}


def read_flow(path: Path) -> Flow:
    """The `flow` of a forecast's flow.json, to run again with the same parameters."""
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ForecastError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ForecastError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("flow"), dict):
        raise ForecastError(f'{path} has no "flow" object (write one with --out)')
    try:
        return parse_flow(data["flow"])
    except ScenarioError as error:
        raise ForecastError(f"{path}: {error}") from None


def proposed_config(channel: Channel, overrides: dict[str, str]):
    try:
        return with_overrides(channel.config, overrides)
    except ConfigError as error:
        raise ForecastError(f"--set {error.field}: {error.message}") from None


def forecast(
    channel: Channel,
    *,
    history_days: int = DEFAULT_HISTORY_DAYS,
    horizon: int = DEFAULT_HORIZON,
    overrides: dict[str, str] | None = None,
    flow: Flow | None = None,
    seed: int = 1,
    progress: Callable[[str, int, Result], None] | None = None,
) -> Forecast:
    """Fit the flow of the `history_days` whole days before today (or take `flow`), then simulate
    `horizon` days from tomorrow for the channel's configuration and, with `overrides`, for the
    proposed one. Both runs draw the same random orders (same seed)."""
    history_days, horizon = check_days(history_days), check_days(horizon)
    configs = [("current configuration", {}, channel.settings)]
    if overrides:
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        configs.append((label, dict(overrides), proposed_config(channel, overrides)))
    today = channel_day(channel, timezone.now())
    last = today - datetime.timedelta(days=1)
    first = last - datetime.timedelta(days=history_days - 1)
    fit = None
    if flow is None:
        refund_days = min(REFUND_MARGIN_DAYS, max(1, history_days // 3))
        fit = fit_flow(figures.flow_history(channel, first, last, refund_days=refund_days))
        flow = fit.flow
    snapshot = figures.channel_snapshot(channel)
    runs = []
    for label, values, config in configs:
        scenario = Scenario(
            name=f"{channel.slug}: {label}",
            config=config,
            config_values={**channel.config, **values},
            flow=flow,
            currency=channel.currency,
            start=today + datetime.timedelta(days=1),
            days=horizon,
            seed=seed,
        )
        state, initial = state_from_channel(snapshot, config)
        cleared: list[int] = []

        def day_done(day: int, result: Result, initial=initial, cleared=cleared) -> None:
            if not cleared and all(e.status != WAITING for e in initial):
                cleared.append(day)

        def step(day: int, result: Result, label=label) -> None:
            if progress is not None:
                progress(label, day, result)

        result = simulate(scenario, progress=step, state=state, day_done=day_done)
        runs.append(Run(label, values, result, initial, cleared[0] if cleared else None))
    return Forecast(channel.slug, channel.currency, (first, last), fit, flow, runs)


def text(forecast: Forecast) -> str:
    data = forecast.summary()
    flow = data["flow"]
    lines = [
        f"Forecast of channel {forecast.channel} ({forecast.currency}), from the flow of "
        f"{data['history']['first_day']} to {data['history']['last_day']}:",
        "  fitted flow  " + ", ".join(f"{k} {v}" for k, v in flow.items() if k != "customers"),
        "",
    ]
    for run in data["runs"]:
        cleared = run["days_until_waiting_orders_are_free"]
        lines += [
            f"{run['label']}:",
            f"  the {run['waiting_at_start']:,} orders waiting now are "
            + (
                f"all free after {cleared} days ({run['date_waiting_orders_are_free']})"
                if cleared
                else f"not all free by the end: {run['still_waiting_at_end']:,} still wait"
            ),
            f"  liabilities at the end {run['liabilities_at_end']}; funded {run['funded']}, paid "
            f"to customers {run['paid_to_customers']}; cost "
            + (
                "n/a"
                if run["cost_share_of_revenue"] is None
                else f"{Decimal(run['cost_share_of_revenue']) * 100:.1f}%"
            )
            + f" of net revenue {run['net_revenue']}",
        ]
        lines += [f"  WARNING [{w['code']}] {w['message']}" for w in run["warnings"]] or [
            "  no sustainability warning"
        ]
        lines.append("")
    return "\n".join(lines)


def write_forecast(forecast: Forecast, directory: Path, plots: bool = True) -> dict:
    """flow.json (the fitted parameters, to run again with --flow), forecast.json, a report per
    run in its own directory, and an index.html comparing them."""
    directory.mkdir(parents=True, exist_ok=True)
    data = forecast.summary()
    (directory / "flow.json").write_text(
        to_json(
            {"history": data["history"], "flow": data["flow"], "observations": data["observations"]}
        )
    )
    (directory / "forecast.json").write_text(to_json(data))
    images, files = [], ["flow.json", "forecast.json"]
    for number, run in enumerate(forecast.runs):
        name = "current" if number == 0 else f"proposed-{number}"
        written = write_report(run.report, directory / name, plots)
        files.append(f"{name}/index.html")
        images += [(f"{name}/{p}", f"{run.label}: {PLOTS[p]}") for p in written["plots"]]
    rows = [
        (
            key.replace("_", " "),
            *(
                ", ".join(w["code"] for w in run[key]) or "none" if key == "warnings" else run[key]
                for run in data["runs"]
            ),
        )
        for key in data["runs"][0]
        if key not in ("label", "settings")
    ]
    table = ("Side by side", ("", *(run["label"] for run in data["runs"])), rows)
    (directory / "index.html").write_text(
        index_html(f"Forecast: channel {forecast.channel}", text(forecast), images, files, [table])
    )
    return data
