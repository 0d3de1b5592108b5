"""Partition shapes and the nemesis's bookkeeping."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glomers.bench.clock import LoopClock
from glomers.bench.history import Op
from glomers.bench.nemesis import (
    PARTITION_SHAPES,
    Nemesis,
    complete_grudge,
    majority,
    partition_grudge,
)
from glomers.bench.net import Network


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
        self.kills += 1

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False


async def test_faults_flip_and_heal_records_everything() -> None:
    clock = LoopClock()
    net = Network(clock, random.Random(1))
    hosts: dict[str, Any] = {n: FakeHost() for n in nodes(3)}
    history: list[Op] = []
    restarted: list[str] = []

    async def restart(node: str) -> None:
        hosts[node].up = True
        restarted.append(node)

    nemesis = Nemesis(
        ["partition", "loss", "slow", "kill", "pause"],
        nodes(3),
        net,
        hosts,
        random.Random(2),
        history.append,
        restart,
        clock,
        loss_rate=0.3,
    )

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
    assert sum(not h.up for h in hosts.values()) == 1
    assert sum(h.paused for h in hosts.values()) == 1
    await nemesis.heal()
    assert faults() == (False, 0.0, False)
    assert all(h.up and not h.paused for h in hosts.values())
    assert len(restarted) == 1
    fs = [op.f for op in history]
    assert fs[:2] == ["start-partition", "start-partition"]
    assert {"stop-partition", "stop-loss", "stop-slow", "resume", "start", "kill", "pause"} <= set(
        fs
    )
    assert all(op.process == "nemesis" and op.type == "info" for op in history)
    shape = history[0].value
    assert shape in PARTITION_SHAPES
    assert "isolated" in history[1].value


async def test_killed_node_comes_back_by_itself() -> None:
    clock = LoopClock()
    net = Network(clock, random.Random(1))
    hosts: dict[str, Any] = {"n0": FakeHost()}
    history: list[Op] = []

    async def restart(node: str) -> None:
        hosts[node].up = True

    nemesis = Nemesis(
        ["kill"],
        ["n0"],
        net,
        hosts,
        random.Random(2),
        history.append,
        restart,
        clock,
        down_time=(0.01, 0.02),
    )
    await nemesis.step("kill")
    assert not hosts["n0"].up
    await asyncio.sleep(0.1)
    assert hosts["n0"].up
    assert [op.f for op in history] == ["kill", "kill", "start", "start"]


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="meteor"):
        Nemesis(["meteor"], [], None, {}, random.Random(), print, None, None)  # type: ignore[arg-type]


async def test_no_fault_picks_a_node_while_it_restarts() -> None:
    clock = LoopClock()
    net = Network(clock, random.Random(1))
    hosts: dict[str, Any] = {"n0": FakeHost(), "n1": FakeHost()}
    history: list[Op] = []
    restarting = asyncio.Event()
    finish = asyncio.Event()

    async def restart(node: str) -> None:
        hosts[node].up = True  # up, but still answering init
        restarting.set()
        await finish.wait()

    nemesis = Nemesis(
        ["kill", "pause"], ["n0", "n1"], net, hosts, random.Random(2), history.append, restart,
        clock, down_time=(0.0, 0.0),
    )  # fmt: skip
    await nemesis.step("kill")
    killed = history[0].value
    await restarting.wait()
    for _ in range(10):
        await nemesis.step("pause")
        await nemesis.step("kill")
    # Invocations name their node; none after the first kill names the restarting one.
    targets = [op.value for op in history[2:] if op.f in ("pause", "kill")]
    assert killed not in targets
    assert targets, "the other node was still fair game"
    healing = asyncio.ensure_future(nemesis.heal())
    await asyncio.sleep(0.01)
    assert not healing.done(), "heal waits for the restart under way"
    finish.set()
    await healing
    assert [op.f for op in history if op.value == f"restarted {killed}"] == ["start"]
