"""`make bench`: each benchmark with its baseline from the same run; writes bench/results.json."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SIZES = {
    # name: (full size, quick size)
    "throughput": (2000, 300),
    "release": (1_000_000, 50_000),
    "hook": (2000, 200),
    "account": (200, 50),
    "simulation": (1_000_000, 50_000),
    "report": (1_000_000, 20_000),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check")
    parser.add_argument("--only", action="append", choices=sorted(SIZES), help="run only these")
    parser.add_argument("--output", default="bench/results.json", type=Path)
    args = parser.parse_args(argv)

    from .common import setup_django

    setup_django(fresh=True)
    from . import account, hook, release, report, simulation, throughput

    size = {name: sizes[1 if args.quick else 0] for name, sizes in SIZES.items()}
    runners = {
        "hook": lambda: hook.run(size["hook"]),
        "throughput": lambda: throughput.run(size["throughput"], 5 if args.quick else 15),
        # Before anything else that grows the process: its peak memory is the release's.
        "release": lambda: release.run(size["release"]),
        "account": lambda: account.run(size["account"]),
        "simulation": lambda: simulation.run(size["simulation"]),
        "report": lambda: report.run(size["report"]),
    }
    results = []
    for name in args.only or list(runners):
        print(f"[{len(results) + 1}/{len(args.only or runners)}] {name}", file=sys.stderr)
        started = time.perf_counter()
        result = runners[name]()
        result["seconds_total"] = round(time.perf_counter() - started, 1)
        results.append(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"quick": args.quick, "results": results}, indent=2))
    print(f"\n{'benchmark':42} {'value':>14} {'baseline':>12} {'ratio':>8}  targets")
    for r in results:
        marks = ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in r["targets"].items())
        print(
            f"{r['name']:42} {r['value']:>10} {r['unit'][:3]:3} {str(r['baseline']):>12} "
            f"{str(r['ratio']):>8}  {marks}"
        )
    print(f"\nwritten to {args.output}")
    return 0 if all(all(r["targets"].values()) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
