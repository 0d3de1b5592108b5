"""The ``glomers`` command without the bench's dependencies: one line, exit 254."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from glomers._cli import BENCH_MODULES

# Makes one module unimportable, then runs the console script's entry point.
SHIM = """
import sys
sys.modules[{module!r}] = None
sys.argv = {argv!r}
from glomers._cli import main
main()
"""


# The modules a simulated run loads before it starts (matplotlib loads only to
# draw, in a process of its own; edn_format only for glomers compare).
@pytest.mark.parametrize("module", ["looptime", "portion", "pyrsistent", "rich"])
def test_missing_bench_dependency_says_how_to_install(module: str, tmp_path: Path) -> None:
    argv = ["glomers", "test", "--sim", "-w", "g-counter", "--node-count", "1",
            "--time-limit", "1", "--no-pages", "--store", str(tmp_path)]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", SHIM.format(module=module, argv=argv)],
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
    code = SHIM.format(module="glomers.bench.pages.summary", argv=["glomers", "test", "--sim"])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" in done.stderr


# What answers at once must not load what takes long: the simulation's virtual
# clock (looptime, which would load pytest), rich, matplotlib, the bench's core.
HEAVY = ["looptime", "pytest", "rich", "matplotlib", "glomers.bench.core"]
LOADED = """
import sys
from glomers._cli import main
sys.argv = {argv!r}
try:
    main()
except SystemExit:
    pass
print(sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["glomers", "--help"], []),
        (["glomers", "--version"], []),
        (["glomers", "test", "--help"], ["glomers.bench.core"]),
        (["glomers", "fuzz", "--help"], ["glomers.bench.core", "looptime", "rich"]),
    ],
)
def test_help_loads_only_what_it_shows(argv: list[str], allowed: list[str]) -> None:
    code = LOADED.format(argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == repr(sorted(allowed))
