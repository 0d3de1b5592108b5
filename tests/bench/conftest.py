"""Fixtures shared by the bench's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from glomers.bench.cli import parse_test_args, run_sim

#: ``(store, flags, *extra) -> run folder``: see ``simulated_run``.
SimulatedRun = Callable[..., Path]


def _simulated_run(store: Path, flags: str, *extra: str) -> Path:
    args = parse_test_args(["--sim", "--store", str(store), *flags.split(), *extra])
    run_sim(args)
    return (store / "latest").resolve()


@pytest.fixture(scope="session")
def simulated_run() -> SimulatedRun:
    """Runs ``glomers test --sim`` in this process into a store and returns the run's
    folder: ``simulated_run(store, flags, *extra)``, ``flags`` split on spaces and
    ``extra`` taken as they are (a path with spaces)."""
    return _simulated_run
