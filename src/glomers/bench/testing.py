"""Run a workload against your own node from your own test suite.

``run_workload`` runs a whole ``glomers test`` in simulation mode -- nodes in
this process, virtual time, everything seeded -- and returns its results, so a
test of a node program is a few lines::

    from glomers.bench.testing import run_workload
    from my_counter import build

    def test_counter_survives_partitions():
        results = run_workload(build, "g-counter", nemesis="partition", seed=3)
        assert results["valid"] is True, results["workload"]

It takes the flags of ``glomers test`` that shape a run as keyword arguments
(``time_limit``, ``rate``, ``node_count``, ``concurrency``, ``latency``,
``latency_dist``, ``nemesis``, ``nemesis_interval``, ``availability``,
``recovery_time``, ``loss_rate``, ``seed``, ``strict``, ``topology``: those of scope ``run``
in ``bench.params``),
with the same defaults but the seed's, 0. Text values are read as the flag's
(``nemesis="partition,kill"``). A failing seed replays exactly. Call it from a
plain (not async) test: it runs its own event loop.
"""

from __future__ import annotations

import argparse
import copy
from collections.abc import Callable
from typing import Any

from glomers.bench import params
from glomers.bench.core import Outcome
from glomers.bench.sim import run_simulation
from glomers.node import Node

__all__ = ["run_workload", "simulate_workload"]
#: A test suite's run is the same on every run of the suite.
_DEFAULTS = {"seed": 0}


def _taken() -> list[params.Param]:
    """The parameters taken as keywords: those that shape the run."""
    return [p for p in params.PARAMS if p.scope == "run"]


def simulate_workload(
    build: Callable[[], Node], workload: str = "g-counter", **flags: Any
) -> Outcome:
    """Run ``workload`` against nodes made by ``build``; the whole outcome."""
    taken = _taken()
    params.check_keywords("simulate_workload", flags, taken)
    given = {"workload": workload, **flags}
    for p in taken:
        value = given.get(p.name)
        if isinstance(value, str) and p.parse is not None:
            try:
                given[p.name] = p.parse(value)
            except (argparse.ArgumentTypeError, ValueError) as exc:
                raise ValueError(f"{p.name}={value!r}: {exc}") from None
    if not isinstance(given.get("nemesis", []), list):
        given["nemesis"] = list(given["nemesis"])
    # The same defaults and derivations as the command line; in simulation mode.
    values = {p.name: copy.copy(p.default) for p in params.option_params()} | _DEFAULTS | given
    return run_simulation(params.build_options({**values, "sim": True}), build)


def run_workload(build: Callable[[], Node], workload: str = "g-counter", **flags: Any) -> Any:
    """Run ``workload`` against nodes made by ``build``; the ``results.json`` dict."""
    params.check_keywords("run_workload", flags, _taken())
    return simulate_workload(build, workload, **flags).results
