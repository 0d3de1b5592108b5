"""The registry of faults: a fault is one class, and everything else asks the registry."""

from __future__ import annotations

import ast
import io
import json
import logging
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex

from glomers.bench import faults
from glomers.bench.cli import parse_test_args
from glomers.bench.core import TestOptions
from glomers.bench.faults import FAULTS, NetworkFault, register
from glomers.bench.history import NEMESIS, FaultPeriod, Op, fault_periods
from glomers.bench.nemesis import streams
from glomers.bench.pages import plots
from glomers.bench.pages.report import _faults_html, replay_command
from glomers.bench.pages.timeline import render_timeline
from glomers.bench.progress import RunProgress
from glomers.bench.sim import run_simulation
from glomers.counter import build

PINNED = Path(__file__).with_name("nemesis_seed5.json")


class Toy(NetworkFault):
    """A fault known only to this file: it marks the network, and says so."""

    name = "toy"
    stream = "toy"
    begins = "start-toy"
    ends = "stop-toy"
    label = "toy fault"
    color = "#123456"
    heal_rank = 9
    options = ("toy_level",)

    def ask(self, rng: random.Random) -> Any:
        return rng.choice(["low", "high"])

    async def start(self, value: Any, rng: random.Random) -> Any:
        return {"level": value}

    async def stop(self) -> Any:
        return "calm"

    @staticmethod
    def words(detail: Any) -> str:
        return f"toying at level {detail['level']}"


@pytest.fixture
def toy() -> Iterator[type[Toy]]:
    register(Toy)
    try:
        yield Toy
    finally:
        del FAULTS[Toy.name]


def test_the_five_faults_are_registered_maelstroms_first() -> None:
    assert list(FAULTS) == ["partition", "kill", "pause", "loss", "slow"]
    assert all(FAULTS[name].name == name for name in FAULTS)
    assert streams(list(FAULTS)) == [["partition"], ["kill", "pause"], ["loss", "slow"]]
    assert streams(["slow", "pause", "partition"]) == [["partition"], ["pause"], ["slow"]]


def test_register_refuses_a_second_name_an_operation_taken_or_a_bad_colour() -> None:
    class Twin(Toy):
        name = "partition"

    class Thief(Toy):
        begins = "kill"

    class Blurry(Toy):
        color = "red; }"

    class Same(Toy):
        ends = "start-toy"

    for fault, words in ((Twin, "already"), (Thief, "kill"), (Blurry, "colour"), (Same, "own")):
        with pytest.raises(ValueError, match=words):
            register(fault)
    assert "toy" not in FAULTS


def test_a_toy_fault_plugs_in_through_the_registry_alone(toy: type[Toy]) -> None:
    assert parse_test_args(["--nemesis", "toy,partition"]).nemesis == ["toy", "partition"]
    opts = TestOptions(
        workload="g-counter", nodes=["n0", "n1", "n2"], time_limit=10.0, rate=20.0,
        nemesis=["partition", "toy"], nemesis_interval=1.0, recovery_time=1.0, seed=3,
    )  # fmt: skip
    history = run_simulation(opts, build).history
    steps = [op for op in history if op.process == NEMESIS]
    assert {op.f for op in steps} == {"start-partition", "stop-partition", "start-toy", "stop-toy"}
    # The final heal ends it too, last by its rank.
    assert steps[-1].f == "stop-toy" and steps[-1].value == "calm"

    periods = [p for p in fault_periods(history) if p.fault == "toy"]
    assert periods and all(p.end is not None and p.node is None for p in periods)
    assert {p.detail["level"] for p in periods} <= {"low", "high"}

    page = render_timeline(history, "toy run")
    assert ".toy { background: #123456; }" in page
    assert '<span class="k toy"></span>toy fault' in page
    assert len(re.findall(r'class="per toy"', page)) == len(periods)
    assert len(re.findall(r'class="band toy"', page)) == len(periods)
    assert re.search(r'title="toy fault\nfrom ', page)

    assert len(plots.fault_spans(history)["toy"]) == len(periods)
    assert "border-left: 6px solid #123456" in _faults_html(history)
    flags = {"flags": {"workload": "g-counter", "nemesis": ["partition"], "toy_level": 3}}
    assert "toy" not in (replay_command(flags) or "")

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("glomers.bench")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        progress = RunProgress(live=False)
        for op in history:
            progress.op(op)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert "fault begins: toy fault (toying at level " in out.getvalue()
    assert "fault ends: toy fault" in out.getvalue()


def test_every_fault_has_one_colour_on_every_page() -> None:
    history = []
    for i, fault in enumerate(FAULTS.values()):
        done = ["n0"] if fault.per_node else "done"
        history += [
            Op(NEMESIS, "info", fault.begins, None, time=i * 10**8),
            Op(NEMESIS, "info", fault.begins, done, time=i * 10**8 + 1),
        ]
    assert {p.fault for p in fault_periods(history)} == set(FAULTS)

    page = render_timeline(history, "colours")
    drawn = dict(re.findall(r"\.([a-z-]+) \{ background: (#[0-9A-Fa-f]{6}); \}", page))
    report = _faults_html(history)

    spans = plots.fault_spans(history)
    assert list(spans) == list(FAULTS)
    fig = plots._draw_rate(history, "g-counter", 1.0, 0.5, spans)
    lanes = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    lane_colors = [to_hex(np.asarray(c.get_facecolor())[0].tolist()) for c in lanes]
    legend = fig.legends[0]
    legend_colors = {
        text.get_text(): to_hex(patch.get_facecolor())
        for text, patch in zip(legend.get_texts(), legend.get_patches(), strict=True)
    }

    assert lane_colors == [fault.color.lower() for fault in FAULTS.values()]
    for name, fault in FAULTS.items():
        assert drawn[name] == fault.color
        assert legend_colors[fault.label] == fault.color.lower()
        assert f"border-left: 6px solid {fault.color}" in report
        assert faults.color(name) == fault.color
    assert faults.color("meteor") == faults.UNKNOWN_COLOR


def test_kill_ends_a_pause_through_the_registry() -> None:
    pause, kill = FAULTS["pause"], FAULTS["kill"]
    assert kill.name in pause.ended_by
    history = [
        Op(NEMESIS, "info", pause.begins, "all", time=1),
        Op(NEMESIS, "info", pause.begins, ["n0"], time=2),
        Op(NEMESIS, "info", kill.begins, "one", time=3),
        Op(NEMESIS, "info", kill.begins, ["n0"], time=4),
    ]
    assert fault_periods(history) == [
        FaultPeriod("pause", 2, 4, "n0", ["n0"]),
        FaultPeriod("kill", 4, None, "n0", ["n0"]),
    ]


def test_a_seed_gives_the_same_nemesis_schedule_as_before_the_faults_were_modules() -> None:
    # Recorded, before the faults moved into modules of their own, from this very
    # run: every nemesis record, (time, f, value), in order.
    opts = TestOptions(
        workload="g-counter", nodes=["n0", "n1", "n2"], time_limit=12.0, rate=20.0,
        nemesis=["partition", "kill", "pause", "loss", "slow"], nemesis_interval=1.0,
        recovery_time=2.0, seed=5,
    )  # fmt: skip
    history = run_simulation(opts, build).history
    records = [[op.time, op.f, op.value] for op in history if op.process == NEMESIS]
    pinned = json.loads(PINNED.read_text())
    # The schedule is exact up to the time limit; the final heal comes when the
    # operations in flight end, which depends on the node, so only its steps count.
    limit = 12 * 10**9
    assert [r for r in records if r[0] <= limit] == [r for r in pinned if r[0] <= limit]
    assert [r[1:] for r in records if r[0] > limit] == [r[1:] for r in pinned if r[0] > limit]


# compare's --resume flag shares a word with pause's end, and is no fault.
NOT_FAULTS = {("compare.py", "resume")}


def test_no_fault_is_spelled_outside_its_module() -> None:
    spelled = {word for f in FAULTS.values() for word in (f.name, f.begins, f.ends)}
    root = Path(faults.__file__).parent.parent.parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.parent.name == "faults":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            (path.name, node.value, node.lineno)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and node.value in spelled
            and id(node) not in docstrings
            and (path.name, node.value) not in NOT_FAULTS
        ]
    assert found == []
