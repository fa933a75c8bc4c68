"""The one report: daily figures, sustainability warnings, plots and a page, for a simulator run,
a forecast and a live channel alike.

A report is built from daily rows (`DAILY_COLUMNS`, money as Decimal in the currency) and a
histogram of how long freed queue entries waited; whoever builds it (the simulator from its run,
the live report from the ledger) also gives its summary and text. Plots convert to floats for
drawing only; they need matplotlib (the `demo` extra), and a report without it is written without
them.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

# The trailing window whose average daily funding the backlog is measured against.
FUNDING_WINDOW_DAYS = 30
# A queue backlog beyond this many days of dividend funding, growing, cannot be worked off.
QUEUE_BACKLOG_DAYS = 30
# An order joining the queue waits about as many days as the backlog lasts at today's funding;
# beyond this the promise of a free order is empty even if the backlog has stopped growing
# (because the per-customer or length limits keep new orders out).
QUEUE_WAIT_DAYS = 180
# Liabilities beyond this many days of platform funding, growing, outrun the funding.
LIABILITY_DAYS = 365
# "Growing": the second half of the run ends at least this much above where the first ended.
GROWTH = Decimal("1.25")

DAILY_COLUMNS = (
    "date",
    "orders",
    "cancelled",
    "revenue",
    "refunds",
    "funded",
    "pool_funded",
    "queue_paid",
    "referral_paid",
    "released",
    "redeemed",
    "spent",
    "clawed_back",
    "written_off",
    "queue_joined",
    "queue_freed",
    "queue_expired",
    "queue_turned_away",
    "queue_length",
    "queue_unpaid",
    "dividend_pool",
    "release_pool",
    "points_backing",
    "point_value",
    "points_outstanding",
    "points_worth",
    "unreleased_energy",
    "wallets",
    "liabilities",
    "members",
)
# The day's movements of money that the ledger's postings give; revenue comes from the orders
# and the other money columns are what stands at the end of the day.
FLOW_COLUMNS = (
    "refunds",
    "funded",
    "pool_funded",
    "queue_paid",
    "referral_paid",
    "released",
    "redeemed",
    "spent",
    "clawed_back",
    "written_off",
)
MONEY_COLUMNS = {
    *FLOW_COLUMNS,
    "revenue",
    "queue_unpaid",
    "dividend_pool",
    "release_pool",
    "points_backing",
    "points_worth",
    "unreleased_energy",
    "wallets",
    "liabilities",
}


@dataclass(frozen=True)
class SustainabilityWarning:
    code: str
    message: str


@dataclass
class Report:
    """What a page, a directory of files or an API shows: `title` heads the page, `name` the
    plots; `summary` is ready for JSON (Decimal written as strings) and `text` for a terminal."""

    title: str
    name: str
    currency: str
    rows: list[dict]
    # Freed queue entries by how long they waited: (from days, to days, entries).
    waits: list[tuple[Decimal, Decimal, int]]
    summary: dict
    text: str
    # Further tables for the page: (caption, header, rows).
    tables: list[tuple[str, tuple[str, ...], list[tuple]]] = field(default_factory=list)


def histogram(days: Iterable[Decimal], buckets: int = 40) -> list[tuple[Decimal, Decimal, int]]:
    """Waits in days as (from, to, count) over `buckets` equal bins from 0 to the longest."""
    days = list(days)
    if not days:
        return []
    width = max(max(days), Decimal(1)) / buckets
    counts = [0] * buckets
    for value in days:
        counts[min(int(value / width), buckets - 1)] += 1
    return [(width * i, width * (i + 1), n) for i, n in enumerate(counts)]


def _trailing_mean(values: list[Decimal], end: int) -> Decimal:
    window = values[max(0, end - FUNDING_WINDOW_DAYS + 1) : end + 1]
    return sum(window, Decimal(0)) / len(window) if window else Decimal(0)


def _days_of_funding(stock: Decimal, funding_per_day: Decimal) -> Decimal | None:
    """How many days of funding `stock` amounts to; None when nothing funds it any more."""
    if stock <= 0:
        return Decimal(0)
    if funding_per_day <= 0:
        return None
    return stock / funding_per_day


def _outgrows(start: Decimal | None, end: Decimal | None, limit: int) -> bool:
    """A backlog that ends above `limit` days of funding and grew since mid-run (or whose funding
    stopped)."""
    if end is None:
        return True
    if end <= limit:
        return False
    return start is not None and end > start * GROWTH


@dataclass(frozen=True)
class Backlogs:
    """Stocks measured in days of the funding that pays them (trailing average): at mid-run and
    at the end. None: no funding comes in any more."""

    queue_mid: Decimal | None
    queue_end: Decimal | None
    liabilities_mid: Decimal | None
    liabilities_end: Decimal | None


def backlogs(rows: list[dict]) -> Backlogs:
    mid, end = len(rows) // 2, len(rows) - 1
    pool_funding = [r["pool_funded"] for r in rows]
    funding = [r["funded"] for r in rows]

    def queue(i):
        return _days_of_funding(rows[i]["queue_unpaid"], _trailing_mean(pool_funding, i))

    def owed(i):
        return _days_of_funding(rows[i]["liabilities"], _trailing_mean(funding, i))

    return Backlogs(queue(mid), queue(end), owed(mid), owed(end))


def days_of_funding(rows: list[dict]) -> dict | None:
    if not rows:
        return None
    measured = backlogs(rows)

    def days(value):
        return None if value is None else str(value.quantize(Decimal(1)))

    return {
        "queue_backlog": {"mid_run": days(measured.queue_mid), "end": days(measured.queue_end)},
        "liabilities": {
            "mid_run": days(measured.liabilities_mid),
            "end": days(measured.liabilities_end),
        },
    }


def _pace(start: Decimal | None, end: Decimal | None, funding: str) -> str:
    if end is None:
        return f"and no {funding} comes in any more"
    pace = f"{end:.0f} days of the current {funding}"
    if start:
        pace += f", up from {start:.0f} days at mid-run"
    return pace


def sustainability(
    rows: list[dict], config, currency: str, *, joined: int, freed: int, turned_away: int
) -> list[SustainabilityWarning]:
    """Warnings when the configuration cannot sustain itself with the order flow of `rows`:
    `joined`, `freed` and `turned_away` count the queue's entries over the same days."""
    if not rows:
        return []
    last = rows[-1]
    measured = backlogs(rows)
    freed_share = Decimal(freed) * 100 / max(1, joined)
    warnings = []

    def money(amount: Decimal) -> str:
        return f"{amount:,f} {currency}"

    def warn(code: str, message: str) -> None:
        warnings.append(SustainabilityWarning(code, message))

    if turned_away:
        share = Decimal(turned_away) * 100 / (joined + turned_away)
        warn(
            "queue_full",
            f"The queue reached its length limit of {config.queue_max_length:,}: "
            f"{turned_away:,} paid orders ({share:.0f}% of those that qualified) could "
            "not join it.",
        )
    waiting = f"{last['queue_length']:,} orders wait for {money(last['queue_unpaid'])}"
    if config.dividend_enabled:
        if _outgrows(measured.queue_mid, measured.queue_end, QUEUE_BACKLOG_DAYS):
            pace = _pace(measured.queue_mid, measured.queue_end, "dividend funding")
            warn(
                "queue_unbounded",
                f"The queue grows without bound: {waiting}, {pace}; "
                f"{freed_share:.0f}% of the orders that joined were freed.",
            )
        elif measured.queue_end is not None and measured.queue_end > QUEUE_WAIT_DAYS:
            warn(
                "queue_backlog",
                f"The queue does not clear: {waiting}, "
                f"{measured.queue_end:.0f} days of the current dividend funding, so an order "
                f"joining now waits about that long; {freed_share:.0f}% of the orders that joined "
                "were freed.",
            )
    if _outgrows(measured.liabilities_mid, measured.liabilities_end, LIABILITY_DAYS):
        pace = _pace(measured.liabilities_mid, measured.liabilities_end, "platform funding")
        warn(
            "liabilities_outrun_funding",
            "Liabilities outrun funding: customers hold "
            f"{money(last['liabilities'])} (wallets {money(last['wallets'])}, points "
            f"{money(last['points_worth'])}, unreleased energy "
            f"{money(last['unreleased_energy'])}), {pace}.",
        )
    return warnings


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(data) -> str:
    return json.dumps(data, indent=2, default=_json_default)


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DAILY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def percent(share: str | None) -> str:
    return "n/a" if share is None else f"{Decimal(share) * 100:.1f}%"


PLOTS = {
    "flow.png": "Orders and revenue per day",
    "queue.png": "Free-order queue: length and unpaid remainder",
    "waiting.png": "Days from joining the queue until free",
    "pools.png": "Pool balances",
    "point_value.png": "Point value",
    "released.png": "Credit released per day",
    "liabilities.png": "Outstanding liabilities and funding",
    "cost.png": "Platform cost as a share of revenue",
}


NO_PLOTS = (
    "The plots need matplotlib where the store runs: pip install 'saleor-dividend-plugin[demo]'."
)


def can_plot() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def images(report: Report) -> list[tuple[str, str, bytes]]:
    """The plots as PNG: (file name, caption, bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rows, cur = report.rows, report.currency
    dates = [r["date"] for r in rows]
    x = list(range(len(rows)))
    ticks = x[:: max(1, len(x) // 8)]

    def series(name):
        return [float(r[name]) if r[name] is not None else float("nan") for r in rows]

    def cumulative(name):
        running, out = 0.0, []
        for r in rows:
            running += float(r[name])
            out.append(running)
        return out

    def figure(name, draw):
        fig, ax = pyplot.subplots(figsize=(8, 4.2))
        draw(ax)
        ax.set_title(f"{PLOTS[name]} ({report.name})")
        if name != "waiting.png":
            ax.set_xticks(ticks, [dates[i] for i in ticks], rotation=30, ha="right")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=90)
        pyplot.close(fig)
        return name, PLOTS[name], out.getvalue()

    def flow(ax):
        ax.bar(x, series("orders"), color="#9ab", label="paid orders")
        ax.set_ylabel("orders")
        twin = ax.twinx()
        twin.plot(x, series("revenue"), color="#c53", label=f"revenue ({cur})")
        twin.set_ylabel(cur)
        ax.legend(loc="upper left")
        twin.legend(loc="upper right")

    def queue(ax):
        ax.plot(x, series("queue_length"), label="orders waiting")
        ax.set_ylabel("orders")
        twin = ax.twinx()
        twin.plot(x, series("queue_unpaid"), color="#c53", label=f"unpaid ({cur})")
        twin.set_ylabel(cur)
        ax.legend(loc="upper left")
        twin.legend(loc="upper right")

    def waiting(ax):
        if report.waits:
            starts = [float(a) for a, _, _ in report.waits]
            widths = [float(b - a) for a, b, _ in report.waits]
            ax.bar(starts, [n for _, _, n in report.waits], width=widths, align="edge")
        ax.set_xlabel("days until free")
        ax.set_ylabel("freed orders")

    def pools(ax):
        for name, label in (
            ("dividend_pool", "dividend pool"),
            ("release_pool", "release pool"),
            ("points_backing", "points backing"),
        ):
            ax.plot(x, series(name), label=label)
        ax.set_ylabel(cur)
        ax.legend()

    def point_value(ax):
        ax.plot(x, series("point_value"))
        ax.set_ylabel(f"{cur} per point")

    def released(ax):
        ax.bar(x, series("released"), color="#9ab", label="released that day")
        ax.set_ylabel(cur)
        twin = ax.twinx()
        twin.plot(x, cumulative("released"), color="#c53", label="released in all")
        ax.legend(loc="upper left")
        twin.legend(loc="upper right")

    def liabilities(ax):
        ax.stackplot(
            x,
            series("wallets"),
            series("points_worth"),
            series("unreleased_energy"),
            labels=["wallets", "points worth", "unreleased energy"],
            alpha=0.7,
        )
        ax.plot(x, cumulative("funded"), color="black", label="funded in all")
        ax.set_ylabel(cur)
        ax.legend(loc="upper left")

    def cost(ax):
        funded, revenue, refunds = (
            cumulative("funded"),
            cumulative("revenue"),
            cumulative("refunds"),
        )
        paid_parts = [
            cumulative(n) for n in ("queue_paid", "referral_paid", "released", "redeemed")
        ]
        clawed = cumulative("clawed_back")
        net = [max(r - f, 1e-9) for r, f in zip(revenue, refunds, strict=True)]
        ax.plot(x, [100 * f / n for f, n in zip(funded, net, strict=True)], label="funded")
        paid = [sum(p[i] for p in paid_parts) - clawed[i] for i in x]
        ax.plot(x, [100 * p / n for p, n in zip(paid, net, strict=True)], label="paid to customers")
        ax.set_ylabel("% of net revenue (cumulative)")
        ax.legend()

    drawers = {
        "flow.png": flow,
        "queue.png": queue,
        "waiting.png": waiting,
        "pools.png": pools,
        "point_value.png": point_value,
        "released.png": released,
        "liabilities.png": liabilities,
        "cost.png": cost,
    }
    return [figure(name, draw) for name, draw in drawers.items()]


def write_report(report: Report, directory: Path, plots: bool = True) -> dict:
    """summary.json, daily.csv, the plots and an index.html showing them. Returns the summary,
    with the plots' file names."""
    directory.mkdir(parents=True, exist_ok=True)
    drawn = images(report) if plots else []
    for name, _, png in drawn:
        (directory / name).write_bytes(png)
    data = {**report.summary, "plots": [name for name, _, _ in drawn]}
    (directory / "summary.json").write_text(to_json(data))
    (directory / "daily.csv").write_text(to_csv(report.rows))
    (directory / "index.html").write_text(
        index_html(
            report.title,
            report.text,
            [(name, caption) for name, caption, _ in drawn],
            ["summary.json", "daily.csv"],
            report.tables,
        )
    )
    return data


def page_html(report: Report) -> str:
    """The report as one self-contained page: the plots inline, nothing fetched from elsewhere."""
    if not can_plot():
        text = f"{report.text}\n{NO_PLOTS}\n"
        return index_html(report.title, text, [], [], report.tables)
    inline = [
        (f"data:image/png;base64,{base64.b64encode(png).decode()}", caption)
        for _, caption, png in images(report)
    ]
    return index_html(report.title, report.text, inline, [], report.tables)


STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "pre{background:#f6f6f4;padding:1em;overflow-x:auto}"
    "table{border-collapse:collapse;margin:0 2em 1em 0;display:inline-table;vertical-align:top}"
    "caption{font-weight:bold;text-align:left}td,th{border:1px solid #ccc;padding:.2em .6em}"
    "figure{display:inline-block;width:calc(50% - 1.5em);margin:0 .5em 1em 0}img{width:100%}"
)


def index_html(
    title: str,
    text: str,
    images: list[tuple[str, str]],
    files: list[str],
    tables: list[tuple[str, tuple[str, ...], list[tuple]]] = (),
) -> str:
    body = [f"<h1>{html.escape(title)}</h1>", f"<pre>{html.escape(text)}</pre>"]
    body += [f'<p><a href="{html.escape(f)}">{html.escape(f)}</a></p>' for f in files]
    for caption, header, rows in tables:
        cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        lines = [f"<table><caption>{html.escape(caption)}</caption><tr>{cells}</tr>"]
        for row in rows:
            lines.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        body.append("".join(lines) + "</table>")
    for src, caption in images:
        body.append(
            f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
