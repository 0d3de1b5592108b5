"""The ``glomers`` command without the bench's dependencies: one line, exit 254."""

from __future__ import annotations

import subprocess
import sys

import pytest

from glomers._cli import BENCH_MODULES

# Makes one module unimportable, then runs the console script's entry point.
SHIM = """
import sys
sys.modules[{module!r}] = None
sys.argv = ["glomers", "--version"]
from glomers._cli import main
main()
"""


# The modules the command imports before it parses arguments (the others load lazily).
@pytest.mark.parametrize("module", ["looptime", "portion", "pyrsistent", "rich"])
def test_missing_bench_dependency_says_how_to_install(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SHIM.format(module=module)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 254
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "pip install 'glomers[bench]'" in lines[0] and module in lines[0]


def test_node_library_imports_without_bench_dependencies() -> None:
    blocked = "".join(f"sys.modules[{m!r}] = None\n" for m in sorted(BENCH_MODULES))
    code = f"import sys\n{blocked}import glomers, glomers.counter, glomers.testing\nprint('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_other_import_errors_are_not_hidden() -> None:
    code = SHIM.format(module="glomers.bench.pages.summary")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" in done.stderr
