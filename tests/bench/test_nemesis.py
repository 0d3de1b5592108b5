"""Partition shapes and the nemesis's bookkeeping."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from functools import partial
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glomers.bench.clock import LoopClock
from glomers.bench.faults import NODE_SPECS, majority, random_spec, spec_nodes
from glomers.bench.faults.partition import PARTITION_SHAPES, complete_grudge, partition_grudge
from glomers.bench.history import Op
from glomers.bench.nemesis import Nemesis
from glomers.bench.net import Network
from glomers.bench.sim import SimLoop

# The nemesis's schedule and the waits here run on a virtual clock, not in real time.
pytestmark = pytest.mark.looptime


def nodes(n: int) -> list[str]:
    return [f"n{i}" for i in range(n)]


def components(grudge: dict[str, frozenset[str]], all_nodes: list[str]) -> set[frozenset[str]]:
    return {
        frozenset(n for n in all_nodes if n not in grudge.get(a, frozenset())) for a in all_nodes
    }


def test_complete_grudge() -> None:
    g = complete_grudge([["a"], ["b", "c"]])
    assert g == {"a": frozenset({"b", "c"}), "b": frozenset({"a"}), "c": frozenset({"a"})}


@given(st.integers(min_value=2, max_value=30), st.integers(min_value=0, max_value=2**32))
def test_shapes(n: int, seed: int) -> None:
    ns = nodes(n)
    rng = random.Random(seed)
    one = partition_grudge("one", ns, rng)
    sizes = sorted(len(c) for c in components(one, ns))
    assert sizes == [1, n - 1]
    half = partition_grudge("majority", ns, rng)
    assert sorted(len(c) for c in components(half, ns)) == sorted([n // 2, n - n // 2])
    third = partition_grudge("minority-third", ns, rng)
    small = (n - 1) // 3
    if small:
        assert sorted(len(c) for c in components(third, ns)) == [small, n - small]
        assert small * 3 < n
    ring = partition_grudge("majorities-ring", ns, rng)
    seen = [frozenset(n_ for n_ in ns if n_ not in ring.get(a, frozenset())) for a in ns]
    assert all(len(s) >= majority(n) for s in seen)
    assert all(a in s for a, s in zip(ns, seen, strict=True))
    # Only server nodes are ever named.
    for grudge in (one, half, third, ring):
        assert set(grudge) <= set(ns)
        assert all(v <= set(ns) for v in grudge.values())


def test_majorities_ring_views_differ_for_five() -> None:
    ns = nodes(5)
    ring = partition_grudge("majorities-ring", ns, random.Random(1))
    views = {frozenset(n for n in ns if n not in ring[a]) for a in ns}
    assert len(views) == 5
    assert all(len(v) == 3 for v in views)


def test_unknown_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        partition_grudge("triangle", nodes(3), random.Random())


class FakeHost:
    def __init__(self) -> None:
        self.up = True
        self.paused = False
        self.kills = 0

    async def kill(self) -> None:
        self.up = False
        self.paused = False
        self.kills += 1

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False


class Scene:
    """A nemesis over fake hosts whose messages the network really routes."""

    def __init__(self, faults: list[str], n: int = 3, **kw: Any) -> None:
        self.clock = LoopClock()
        self.net = Network(self.clock, random.Random(1))
        self.hosts: dict[str, Any] = {node: FakeHost() for node in nodes(n)}
        self.inbox: dict[str, list[int]] = {node: [] for node in nodes(n)}
        for node in nodes(n):
            self.net.add(node, partial(self.receive, node))
        self.net.add("c0", lambda m: None)
        self.history: list[Op] = []
        self.restarted: list[str] = []
        self.nemesis = Nemesis(
            faults, nodes(n), self.net, self.hosts, random.Random(2), self.history.append,
            self.restart, self.clock, **kw,
        )  # fmt: skip

    def receive(self, node: str, message: dict[str, Any]) -> None:
        self.inbox[node].append(message["body"]["n"])

    async def restart(self, node: str) -> None:
        self.hosts[node].up = True
        self.restarted.append(node)
        self.net.release(node)

    def send_all(self, n: int) -> None:
        for node in self.hosts:
            self.net.send({"src": "c0", "dest": node, "body": {"n": n}})

    def records(self) -> list[tuple[str, Any]]:
        return [(op.f, op.value) for op in self.history]


async def test_faults_flip_and_heal_records_everything() -> None:
    scene = Scene(["partition", "loss", "slow", "kill", "pause"], loss_rate=0.3)
    net, hosts, nemesis = scene.net, scene.hosts, scene.nemesis

    def faults() -> tuple[bool, float, bool]:
        return bool(net.grudges), net.loss, net.slow

    await nemesis.step("partition")
    assert faults() == (True, 0.0, False)
    await nemesis.step("loss")
    assert faults() == (True, 0.3, False)
    await nemesis.step("slow")
    assert faults() == (True, 0.3, True)
    await nemesis.step("kill")
    await nemesis.step("pause")
    history = scene.history
    killed, paused = history[7].value, history[9].value
    assert {n for n, h in hosts.items() if not h.up} == set(killed)
    assert {n for n, h in hosts.items() if h.paused} == set(paused) - set(killed)
    mark = len(history)
    await nemesis.heal()
    assert faults() == (False, 0.0, False)
    assert all(h.up and not h.paused for h in hosts.values())
    assert scene.restarted == killed
    # Maelstrom's final operations, in its order, then ours.
    assert [op.f for op in history[mark:]] == [
        "stop-partition", "stop-partition", "resume", "resume", "start", "start",
        "stop-loss", "stop-loss", "stop-slow", "stop-slow",
    ]  # fmt: skip
    assert [op.value for op in history[mark + 2 : mark + 6 : 2]] == ["all", "all"]
    assert history[mark + 5].value == killed
    assert all(op.process == "nemesis" and op.type == "info" for op in history)
    assert all(op.node is None for op in history)
    shape = history[0].value
    assert shape in PARTITION_SHAPES
    assert "isolated" in history[1].value


def test_node_specs() -> None:
    ns = nodes(5)
    rng = random.Random(4)
    sizes = {spec: len(spec_nodes(spec, ns, rng)) for spec in NODE_SPECS}
    assert sizes == {"one": 1, "minority-third": 1, "minority": 2, "majority": 3, "all": 5}
    assert spec_nodes(["n3", "n1"], ns, rng) == ["n3", "n1"]
    assert spec_nodes("minority-third", nodes(3), rng) == []
    with pytest.raises(ValueError, match="spec"):
        spec_nodes("most", ns, rng)
    drawn = [random_spec(ns, rng) for _ in range(3000)]
    named = Counter(d for d in drawn if isinstance(d, str))
    subsets = [d for d in drawn if isinstance(d, list)]
    # Uniform among the five names and a random non-empty subset.
    assert set(named) == set(NODE_SPECS)
    assert all(400 < c < 600 for c in [*named.values(), len(subsets)])
    assert all(s and set(s) <= set(ns) for s in subsets)
    assert {len(s) for s in subsets} == {1, 2, 3, 4, 5}


async def test_kill_alternates_with_start_all_and_the_network_holds_the_dead() -> None:
    scene = Scene(["kill"], n=5)
    await scene.nemesis.step("kill")
    spec, killed = scene.history[0].value, scene.history[1].value
    assert spec in NODE_SPECS or isinstance(spec, list)
    assert killed and all(not scene.hosts[n].up for n in killed)
    assert all(scene.net.held(n) == (n in killed) for n in scene.hosts)
    for i in range(12):
        scene.send_all(i)
    await asyncio.sleep(0)
    for node, got in scene.inbox.items():
        assert got == ([] if node in killed else list(range(12)))
    await scene.nemesis.step("kill")
    assert scene.records()[2:] == [("start", "all"), ("start", killed)]
    for node, got in scene.inbox.items():
        assert got == (list(range(10)) if node in killed else list(range(12)))
    await scene.nemesis.step("kill")
    assert scene.history[4].f == "kill"


async def test_pause_alternates_with_resume_all_which_drains_the_backlog() -> None:
    scene = Scene(["pause"], n=5)
    await scene.nemesis.step("pause")
    paused = scene.history[1].value
    assert paused and all(scene.hosts[n].paused for n in paused)
    scene.send_all(1)
    await asyncio.sleep(0)
    assert all(bool(got) == (node not in paused) for node, got in scene.inbox.items())
    await scene.nemesis.step("pause")
    assert scene.records()[2:] == [("resume", "all"), ("resume", paused)]
    assert all(got == [1] for got in scene.inbox.values())
    assert not any(h.paused for h in scene.hosts.values())


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="meteor"):
        Nemesis(["meteor"], [], None, {}, random.Random(), print, None, None)  # type: ignore[arg-type]


def run_virtual(faults: list[str], until: float, interval: float) -> list[Op]:
    """The nemesis's records of ``run(until)`` in virtual time, stamped in seconds."""
    history: list[Op] = []

    async def scenario() -> None:
        scene = Scene(faults, interval=interval)
        clock = scene.clock

        def record(op: Op) -> None:
            op.time = round(clock.now() * 1e9)
            history.append(op)

        scene.nemesis.record = record
        await scene.nemesis.run(until)

    loop = SimLoop(start=0.0, noop_cycles=0)
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    return history


def test_streams_start_at_once_then_stagger_until_the_time_limit() -> None:
    history = run_virtual(["partition"], until=200.0, interval=2.0)
    times = [op.time / 1e9 for op in history[::2]]
    assert times[0] == 0.0, "the first fault goes out as the run begins"
    gaps = [b - a for a, b in pairwise(times)]
    assert all(0 <= g <= 4.0 for g in gaps)
    assert 1.6 < sum(gaps) / len(gaps) < 2.4
    assert times[-1] < 200.0
    assert [op.f for op in history[::2]][:4] == [
        "start-partition", "stop-partition", "start-partition", "stop-partition",
    ]  # fmt: skip


def test_each_package_is_a_stream_of_its_own() -> None:
    history = run_virtual(["partition", "kill", "pause", "loss"], until=30.0, interval=3.0)
    first = {op.f for op in history if op.time == 0}
    # Partition, the db package (kill or pause) and ours (loss) all begin at once.
    assert "start-partition" in first and "start-loss" in first
    assert first & {"kill", "pause"}
    fs = [op.f for op in history[::2] if op.f in ("kill", "start", "pause", "resume")]
    # Each alternation advances in order, whichever is picked at each step.
    kills = [f for f in fs if f in ("kill", "start")]
    pauses = [f for f in fs if f in ("pause", "resume")]
    assert kills == ["kill", "start"] * (len(kills) // 2) + ["kill"] * (len(kills) % 2)
    assert pauses == ["pause", "resume"] * (len(pauses) // 2) + ["pause"] * (len(pauses) % 2)
    assert kills and pauses


async def test_the_nemesis_is_one_thread_operations_wait_for_the_one_under_way() -> None:
    scene = Scene(["partition", "kill"])
    finish = asyncio.Event()

    async def slow_restart(node: str) -> None:
        await finish.wait()
        await Scene.restart(scene, node)

    scene.nemesis.restart = slow_restart
    await scene.nemesis.step("kill")
    assert scene.nemesis.started.is_set()
    starting = asyncio.ensure_future(scene.nemesis.step("kill"))
    await asyncio.sleep(0.01)
    partitioning = asyncio.ensure_future(scene.nemesis.step("partition"))
    await asyncio.sleep(0.01)
    assert [f for f, _ in scene.records()] == ["kill", "kill", "start"]
    assert not partitioning.done()
    finish.set()
    await asyncio.gather(starting, partitioning)
    assert [f for f, _ in scene.records()][3:] == ["start", "start-partition", "start-partition"]


async def test_a_nemesis_with_nothing_to_do_has_started_at_once() -> None:
    scene = Scene([])
    await scene.nemesis.run(scene.clock.now() + 5)
    assert scene.nemesis.started.is_set()
    assert scene.history == []
