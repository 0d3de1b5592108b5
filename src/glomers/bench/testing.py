"""Run a workload against your own node from your own test suite.

``run_workload`` runs a whole ``glomers test`` in simulation mode -- nodes in
this process, virtual time, everything seeded -- and returns its results, so a
test of a node program is a few lines::

    from glomers.bench.testing import run_workload
    from my_counter import build

    def test_counter_survives_partitions():
        results = run_workload(build, "g-counter", nemesis="partition", seed=3)
        assert results["valid"] is True, results["workload"]

It takes the flags of ``glomers test`` as keyword arguments (``time_limit``,
``rate``, ``node_count``, ``concurrency``, ``latency``, ``latency_dist``,
``nemesis``, ``nemesis_interval``, ``availability``, ``recovery_time``,
``loss_rate``, ``seed``, ``strict``), with the same defaults. A failing seed replays
exactly. Call it from a plain (not async) test: it runs its own event loop.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, Literal

from glomers.bench.cli import build_options
from glomers.bench.core import Outcome
from glomers.bench.net import LatencyDist
from glomers.bench.sim import run_simulation
from glomers.node import Node

__all__ = ["run_workload", "simulate_workload"]


def simulate_workload(
    build: Callable[[], Node],
    workload: str = "g-counter",
    *,
    node_count: int | None = None,
    time_limit: float = 60.0,
    rate: float = 5.0,
    concurrency: str = "1n",
    latency: float = 0.0,
    latency_dist: LatencyDist = "constant",
    nemesis: str | Sequence[str] = (),
    nemesis_interval: float = 10.0,
    availability: Literal["total"] | float | None = None,
    recovery_time: float = 10.0,
    loss_rate: float = 0.5,
    seed: int = 0,
    strict: bool = False,
) -> Outcome:
    """Run ``workload`` against nodes made by ``build``; the whole outcome."""
    faults = [f for f in nemesis.split(",") if f] if isinstance(nemesis, str) else list(nemesis)
    # The same flags, defaults and derivations as the command line.
    args = argparse.Namespace(
        workload=workload, node_count=node_count, time_limit=time_limit, rate=rate,
        concurrency=concurrency, latency=latency, latency_dist=latency_dist, nemesis=faults,
        nemesis_interval=nemesis_interval, availability=availability,
        recovery_time=recovery_time, loss_rate=loss_rate, seed=seed, sim=True,
        log_net_send=False, log_net_recv=False, strict=strict,
    )  # fmt: skip
    return run_simulation(build_options(args), build)


def run_workload(build: Callable[[], Node], workload: str = "g-counter", **flags: Any) -> Any:
    """Run ``workload`` against nodes made by ``build``; the ``results.json`` dict."""
    return simulate_workload(build, workload, **flags).results
