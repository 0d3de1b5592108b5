"""The ``glomers`` console script: the bench, or one line saying how to install it.

The node library needs msgspec alone; the bench's dependencies come with the
``bench`` extra. Without them, the command says so instead of a traceback.
"""

from __future__ import annotations

import sys

#: Top-level modules the bench imports that the node library does not need.
BENCH_MODULES = frozenset({"portion", "rich", "looptime", "pyrsistent", "matplotlib", "edn_format"})

#: The status of a command line the bench cannot run (as for bad arguments).
EXIT_NO_BENCH = 254


def main() -> None:
    """Run ``glomers``; exit 254 with one line when the bench's dependencies are missing.

    Each command loads the modules it needs before it starts its work, so the
    import error that says one is missing comes from here."""
    try:
        from glomers.bench.cli import main as bench_main

        bench_main()
    except ImportError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in BENCH_MODULES:
            raise
        sys.stderr.write(
            f"glomers: the bench needs its dependencies ({missing} is missing): "
            "pip install 'glomers[bench]'\n"
        )
        sys.exit(EXIT_NO_BENCH)


if __name__ == "__main__":
    main()
