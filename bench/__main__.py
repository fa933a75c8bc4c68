"""`make bench`: each benchmark with its baseline from the same run; writes bench/results.json."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

SIZES = {
    # name: (full size, quick size)
    "throughput": (20_000, 300),
    # seconds of order events offered at latency.RATE orders/s
    "latency": (30, 5),
    "release": (1_000_000, 50_000),
    "hook": (2000, 200),
    # transfers of other customers in the store's ledger
    "account": (2_000_000, 100_000),
    "simulation": (1_000_000, 50_000),
    "report": (1_000_000, 20_000),
}

HEADER = f"{'benchmark':42} {'value':>14} {'baseline':>12} {'ratio':>8}  targets"


def row(r: dict) -> str:
    if "error" in r:
        return f"{r['name']:42} {'failed':>14} {'':>12} {'':>8}  {r['error']}"
    marks = ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in r["targets"].items())
    return (
        f"{r['name']:42} {r['value']:>10} {r['unit'][:3]:3} {str(r['baseline']):>12} "
        f"{str(r['ratio']):>8}  {marks}"
    )


def met(r: dict) -> bool:
    return "error" not in r and all(r["targets"].values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check")
    parser.add_argument("--only", action="append", choices=sorted(SIZES), help="run only these")
    parser.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="NAME=N",
        help="run benchmark NAME at size N instead of its full or quick size",
    )
    parser.add_argument("--output", default="bench/results.json", type=Path)
    args = parser.parse_args(argv)

    size = {name: sizes[1 if args.quick else 0] for name, sizes in SIZES.items()}
    for item in args.size:
        name, _, value = item.partition("=")
        if name not in SIZES or not value.isdigit():
            parser.error(f"--size wants NAME=N with NAME one of {', '.join(SIZES)}: {item!r}")
        size[name] = int(value)

    from .common import setup_django

    setup_django(fresh=True)
    from . import account, hook, latency, release, report, simulation, throughput

    runners = {
        "hook": lambda: hook.run(size["hook"]),
        "throughput": lambda: throughput.run(size["throughput"], 5 if args.quick else 15),
        "latency": lambda: latency.run(size["latency"]),
        # Before anything else that grows the process: its peak memory is the release's.
        "release": lambda: release.run(size["release"]),
        "account": lambda: account.run(size["account"]),
        "simulation": lambda: simulation.run(size["simulation"]),
        "report": lambda: report.run(size["report"]),
    }
    names = args.only or list(runners)
    results = []
    args.output.parent.mkdir(parents=True, exist_ok=True)

    def write() -> None:
        # After every benchmark, so that a run stopped part-way keeps what it measured.
        document = {"quick": args.quick, "sizes": size, "results": results}
        args.output.write_text(json.dumps(document, indent=2))

    for number, name in enumerate(names, 1):
        print(f"[{number}/{len(names)}] {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            result = runners[name]()
        except Exception as error:
            # The runner's boundary: one broken benchmark must not hide what the others measure.
            traceback.print_exc()
            result = {"name": name, "error": f"{type(error).__name__}: {error}"}
        result["seconds_total"] = round(time.perf_counter() - started, 1)
        results.append(result)
        write()
        print(f"{row(result)}  ({result['seconds_total']} s in all)", flush=True)
    print(f"\n{HEADER}")
    for r in results:
        print(row(r))
    print(f"\nwritten to {args.output}")
    return 0 if all(met(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
