"""How long the ``glomers`` command takes to answer what answers at once: its help.

Runs ``glomers --help``, ``glomers test --help``, ``glomers fuzz --help`` and
``glomers compare --help`` as fresh processes (the console script's own entry
point, so Python's start-up is included), interleaved, and reports the median
wall time of each, with ``python -c pass`` for the floor. ``--ref REV`` times
the code of git revision REV too, interleaved, and gives the ratios.

    python benchmarks/cli_startup.py --rounds 15 --ref 5e23150
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sim_speed import ROOT, checkout

COMMANDS = {
    "python -c pass (floor)": None,
    "glomers --help": ["--help"],
    "glomers test --help": ["test", "--help"],
    "glomers fuzz --help": ["fuzz", "--help"],
    "glomers compare --help": ["compare", "--help"],
}
ENTRY = "import sys; from glomers._cli import main; sys.argv[0] = 'glomers'; main()"


def wall(argv: list[str] | None, src: Path) -> float:
    cmd = [sys.executable, "-c", "pass"] if argv is None else [sys.executable, "-c", ENTRY, *argv]
    env = {**os.environ, "PYTHONPATH": str(src)}
    started = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--ref", help="also time git revision REV, interleaved")
    args = parser.parse_args()
    with checkout(args.ref) as ref_src:
        sources = {"current": ROOT / "src"}
        if ref_src is not None:
            sources[args.ref] = ref_src
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for name, argv in COMMANDS.items():
                for code, src in sources.items():
                    times.setdefault((name, code), []).append(wall(argv, src))
    print(f"median of {args.rounds} interleaved rounds, Python {sys.version.split()[0]}\n")
    header = " | ".join(sources)
    print(f"| command | {header} |" + (f" {args.ref} / current |" if args.ref else ""))
    print("|---|" + "---:|" * (len(sources) + bool(args.ref)))
    for name in COMMANDS:
        medians = [statistics.median(times[(name, code)]) for code in sources]
        row = " | ".join(f"{m:.3f} s" for m in medians)
        ratio = f" {medians[1] / medians[0]:.1f}x |" if args.ref else ""
        print(f"| {name} | {row} |{ratio}")


if __name__ == "__main__":
    main()
