"""``timeline.html``: columns, boxes, nemesis steps and escaping, read back with html.parser."""

from __future__ import annotations

import random
import re
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from glomers.bench.core import TestOptions
from glomers.bench.history import NEMESIS, Op, pairs
from glomers.bench.pages import timeline
from glomers.bench.pages.timeline import write_timeline
from glomers.bench.sim import run_simulation
from glomers.counter import build
from tests.html_page import Element, Page

MS = 1_000_000
SECOND = 1_000_000_000
HOSTILE = "<script>alert(1)</script>"


class Timeline(Page):
    """A timeline page: its boxes (operations, nemesis steps) and column headers."""

    @property
    def boxes(self) -> list[Element]:
        return self.having("o")

    @property
    def headers(self) -> list[str]:
        return [e.own for e in self.having("h")]


def render(tmp_path: Path, history: list[Op], title: str = "a run") -> tuple[Timeline, str]:
    path = tmp_path / "timeline.html"
    write_timeline(path, history, title)
    text = path.read_text(encoding="utf-8")
    page = Timeline()
    page.feed(text)
    page.close()
    return page, text


def numbered(ops: list[Op]) -> list[Op]:
    for i, op in enumerate(ops):
        op.index = i
    return ops


def op(process: int | str, type_: Any, f: str, value: Any, ms: float, **kw: Any) -> Op:
    return Op(process, type_, f, value, time=round(ms * MS), **kw)


def nemesis(f: str, value: Any, ms: float, node: str | None = None) -> Op:
    return op(NEMESIS, "info", f, value, ms, node=node)


def test_one_column_per_process_in_numeric_order_then_the_nemesis(tmp_path: Path) -> None:
    history = numbered(
        [
            op(10, "invoke", "read", None, 0, node="n0"),
            op(10, "ok", "read", 3, 1, node="n0"),
            op(2, "invoke", "add", 1, 2, node="n2"),
            op(2, "ok", "add", 1, 3, node="n2"),
            op(0, "invoke", "add", 2, 4, node="n0"),
            op(0, "fail", "add", 2, 5, node="n0"),
        ]
    )
    page, _ = render(tmp_path, history)
    assert page.headers == ["0", "2", "10", NEMESIS]
    columns = page.having("col")
    assert len(columns) == 4
    lefts = [c.px("left") for c in columns]
    assert lefts == sorted(lefts)
    # The node each process talks to is under its number.
    assert [e.own for e in page.elements if e.tag == "small"][:3] == ["n0", "n2", "n0"]


def test_boxes_span_invocation_to_completion_and_are_coloured_by_outcome(tmp_path: Path) -> None:
    history = numbered(
        [
            op(0, "invoke", "add", 5, 0, node="n1"),
            op(1, "invoke", "read", None, 10, node="n2"),
            op(1, "ok", "read", 7, 110, node="n2"),
            op(0, "ok", "add", 5, 900, node="n1"),
            op(1, "invoke", "add", 1, 950, node="n2"),
            op(1, "fail", "add", 1, 960, node="n2", error=[11, "unavailable"]),
            op(0, "invoke", "read", None, 1000, node="n1"),
            op(0, "info", "read", None, 1500, node="n1", error="net-timeout"),
        ]
    )
    page, _ = render(tmp_path, history)
    boxes = {b.own: b for b in page.boxes}
    assert set(boxes) == {"add 5", "read → 7", "add 1", "read"}
    assert boxes["add 5"].classes == {"o", "ok"}
    assert boxes["read → 7"].classes == {"o", "ok"}
    assert boxes["add 1"].classes == {"o", "fail"}
    assert boxes["read"].classes == {"o", "info"}
    # On a linear time axis: the 900 ms add is 9 times as tall as the 100 ms read,
    # and starts above it since it was invoked first.
    add, read = boxes["add 5"], boxes["read → 7"]
    assert add.px("top") < read.px("top")
    assert 8.5 < add.px("height") / read.px("height") < 9.5
    # Hover details: everything about the operation.
    title = boxes["add 1"].attrs["title"]
    for expected in (
        "process 1",
        "node n2",
        "f: add",
        "invoked: 1",
        "result: fail 1",
        'error: [11,"unavailable"]',
        "start 0.950000 s, end 0.960000 s",
        "latency 10.000 ms",
        "history index 4, 5",
    ):
        assert expected in title, (expected, title)
    # Each box can be linked to by the index of its completion.
    assert boxes["add 1"].attrs["id"] == "i5"
    # The legend shows every colour, and names it.
    legend = next(e for e in page.elements if "legend" in e.classes)
    keys = [e.classes - {"k"} for e in page.elements if "k" in e.classes]
    assert [{"ok"}, {"info"}, {"fail"}, {"open"}, {"nem"}] == keys[:5]
    for name in ("ok", "info", "fail", "never completed", "nemesis step", "partition", "kill"):
        assert name in legend.own


def test_an_operation_that_never_completed_runs_to_the_end(tmp_path: Path) -> None:
    history = numbered(
        [
            op(0, "invoke", "add", 1, 0),
            op(1, "invoke", "read", None, 100),
            op(1, "ok", "read", 0, 110),
            op(1, "invoke", "read", None, 2_000),
            op(1, "ok", "read", 0, 3_000),
        ]
    )
    page, _ = render(tmp_path, history)
    open_ = [b for b in page.boxes if "open" in b.classes]
    assert len(open_) == 1 and open_[0].own == "add 1"
    assert "never completed" in open_[0].attrs["title"]
    assert "still in flight" in open_[0].attrs["title"]
    last = page.boxes[-1]
    assert "end 3.000000 s" in last.attrs["title"]
    # Open until the last event of the history, like the last read's end.
    assert open_[0].px("top") + open_[0].px("height") == last.px("top") + last.px("height")


def test_instantaneous_operations_get_a_line_when_there_is_room(tmp_path: Path) -> None:
    history: list[Op] = []
    for i in range(20):
        history.append(op(0, "invoke", "read", None, i * 100))
        history.append(op(0, "ok", "read", i, i * 100))
    history.append(op(0, "invoke", "read", None, 2_000.001))
    history.append(op(0, "ok", "read", 99, 2_000.001))
    page, _ = render(tmp_path, numbered(history))
    heights = [b.px("height") for b in page.boxes]
    assert heights[:20] == [timeline._LINE_PX] * 20
    tops = [b.px("top") for b in page.boxes]
    assert all(t1 + timeline._LINE_PX < t2 for t1, t2 in pairwise(tops[:20]))


def test_nemesis_steps_pair_what_was_asked_with_what_was_done(tmp_path: Path) -> None:
    history = numbered(
        [
            nemesis("kill", "n1", 1_000, "n1"),
            nemesis("pause", "n2", 1_000, "n2"),
            op(0, "invoke", "read", None, 1_200, node="n1"),
            op(1, "invoke", "read", None, 1_200, node="n2"),
            op(2, "invoke", "read", None, 1_200, node="n1"),
            nemesis("kill", "killed n1", 1_300, "n1"),
            nemesis("pause", "paused n2", 1_400, "n2"),
            op(0, "ok", "read", 1, 1_500, node="n1"),
            op(1, "ok", "read", 1, 1_500, node="n2"),
            op(2, "ok", "read", 1, 1_500, node="n1"),
            nemesis("start", "n1", 3_000, "n1"),
            nemesis("start", "restarted n1", 3_500, "n1"),
            nemesis("start-partition", "majority", 4_000),
            nemesis("start-partition", {"isolated": {"n0": ["n1"]}}, 4_000),
            nemesis("resume", "n2", 5_000, "n2"),  # asked, never done
        ]
    )
    page, _ = render(tmp_path, history)
    steps = page.having("nem")
    steps = [s for s in steps if "o" in s.classes]
    by_label = {s.own: s for s in steps}
    assert set(by_label) == {
        "kill killed n1",
        "pause paused n2",
        "start restarted n1",
        'start-partition {"isolated":{"n0":["n1"]}}',
    }
    kill = by_label["kill killed n1"].attrs["title"]
    assert "node n1" in kill and "asked: n1" in kill and "done: killed n1" in kill
    assert "start 1.000000 s, end 1.300000 s" in kill and "took 300.000 ms" in kill
    # The step still under way at the end is drawn open.
    open_ = [b for b in page.boxes if "open" in b.classes]
    assert [b.own for b in open_] == ["resume n2"]
    # Every box of the nemesis sits in the nemesis column, the last one.
    nemesis_column = page.having("col")[-1]
    assert nemesis_column.px("left") > page.having("col")[0].px("left")
    # The faults in force are shaded, one bar per period, with what the nemesis said.
    periods = page.having("per")
    assert {tuple(sorted(p.classes)) for p in periods} == {
        ("kill", "per"),
        ("pause", "per"),
        ("partition", "per"),
    }
    partition = next(p for p in periods if "partition" in p.classes).attrs["title"]
    assert 'detail: {"isolated":{"n0":["n1"]}}' in partition
    assert "still in force" in partition
    # Behind the clients: a kill or a pause behind those of its node, a partition behind all.
    columns = [(c.px("left"), c.px("width")) for c in page.having("col")[:3]]
    bands = {
        fault: [(b.px("left"), b.px("width")) for b in page.having("band") if fault in b.classes]
        for fault in ("kill", "pause", "partition")
    }
    assert bands["kill"] == [columns[0], columns[2]]
    assert bands["pause"] == [columns[1]]
    assert bands["partition"] == [(columns[0][0], 3 * columns[0][1])]


def test_simultaneous_nemesis_steps_are_stacked_not_overlaid(tmp_path: Path) -> None:
    history: list[Op] = []
    for f in ("stop-partition", "stop-loss", "stop-slow"):
        history += [nemesis(f, None, 500), nemesis(f, "healed", 500)]
    page, _ = render(tmp_path, numbered(history))
    steps = [b for b in page.boxes if "nem" in b.classes]
    assert len(steps) == 3
    spans = sorted((b.px("top"), b.px("top") + b.px("height")) for b in steps)
    assert all(end <= next_top for (_, end), (next_top, _) in pairwise(spans))


def test_history_values_are_escaped(tmp_path: Path) -> None:
    history = numbered(
        [
            op(0, "invoke", HOSTILE, HOSTILE, 0, node='n"1'),
            op(0, "ok", HOSTILE, {"x": HOSTILE, "y": "\x00\x1b"}, 1, node='n"1'),
            op(1, "invoke", "add", "\ud800", 2),
            op(1, "fail", "add", 1, 3, error=HOSTILE),
            nemesis("kill", HOSTILE, 4, node=HOSTILE),
            nemesis("kill", HOSTILE, 5, node=HOSTILE),
        ]
    )
    page, text = render(tmp_path, history, title=HOSTILE)
    assert "<script" not in text
    assert "script" not in page.tags
    # The text survives, escaped: the browser shows exactly what the history holds.
    assert any(HOSTILE in b.own for b in page.boxes)
    assert any(f"error: {HOSTILE}" in b.attrs["title"] for b in page.boxes)
    assert any(f"node {HOSTILE}" in b.attrs["title"] for b in page.boxes)
    assert next(e.own for e in page.elements if e.tag == "title") == HOSTILE
    # No control characters reach the page, and a lone surrogate does not break writing it.
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)


def test_long_idle_stretches_are_shortened_to_a_marked_break(tmp_path: Path) -> None:
    history: list[Op] = []
    for start in [*range(0, 1_000, 20), *range(100_000, 101_000, 20)]:
        history += [op(0, "invoke", "read", None, start), op(0, "ok", "read", 0, start + 5)]
    page, _ = render(tmp_path, numbered(history))
    breaks = page.having("brk")
    assert len(breaks) == 1
    idle = re.search(r"≈ ([\d.]+) s with nothing in flight", breaks[0].own)
    assert idle and 98.9 < float(idle.group(1)) < 99.0
    # One second of operations takes far more room than the 99 idle seconds.
    first, last = page.boxes[0], page.boxes[-1]
    busy = page.boxes[49].px("top") - first.px("top")
    assert breaks[0].px("height") < busy
    assert last.px("top") < 3 * busy + 2 * breaks[0].px("height")


def test_an_empty_history_still_makes_a_page(tmp_path: Path) -> None:
    page, text = render(tmp_path, [])
    assert page.headers == [NEMESIS]
    assert page.boxes == []
    assert "0 client operations" in text


def test_too_long_a_history_draws_the_first_operations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline, "OP_LIMIT", 10)
    history: list[Op] = []
    for i in range(30):
        history += [op(i % 3, "invoke", "add", i, i * 10), op(i % 3, "ok", "add", i, i * 10 + 5)]
    page, text = render(tmp_path, numbered(history))
    # Column by column: process 0's adds, then process 1's, then process 2's.
    drawn = [int(b.own.split()[1]) for b in page.boxes]
    assert drawn == sorted(range(10), key=lambda i: (i % 3, i))
    assert "Only the first 10 of 30 client operations are drawn." in text


@pytest.fixture(scope="module")
def simulated() -> list[Op]:
    opts = TestOptions(
        workload="g-counter", nodes=["n0", "n1", "n2"], time_limit=20.0, rate=100.0,
        concurrency=3, nemesis=["partition", "kill", "pause", "loss", "slow"],
        nemesis_interval=2.0, recovery_time=2.0, seed=3,
    )  # fmt: skip
    return run_simulation(opts, build).history


def test_a_simulated_run_draws_every_process_and_nemesis_step(
    tmp_path: Path, simulated: list[Op]
) -> None:
    started = time.perf_counter()
    page, text = render(tmp_path, simulated)
    elapsed = time.perf_counter() - started
    client_ops = list(pairs(simulated))
    assert len(client_ops) > 1_000
    processes = sorted({o.process for o in simulated if o.process != NEMESIS}, key=int)
    assert page.headers == [*map(str, processes), NEMESIS]
    nemesis_records = sum(1 for o in simulated if o.process == NEMESIS)
    steps = [b for b in page.boxes if "nem" in b.classes or "open" in b.classes]
    assert len(page.boxes) == len(client_ops) + nemesis_records // 2
    assert len(steps) == nemesis_records // 2
    assert len(page.having("per")) > 0
    assert len(text.encode()) < 1_500_000
    assert elapsed < 2


def test_a_large_run_stays_manageable(tmp_path: Path) -> None:
    rng = random.Random(1)
    history: list[Op] = []
    clock = [0] * 50
    events: list[tuple[int, int, Op]] = []
    for i in range(20_000):
        process = rng.randrange(50)
        start = clock[process] + rng.randrange(1, 200 * MS)
        end = start + rng.randrange(0, 300 * MS)
        clock[process] = end
        node = f"n{process % 25}"
        events.append((start, 0, op(process, "invoke", "add", i, start / MS, node=node)))
        kind = rng.choice(["ok", "ok", "ok", "fail", "info"])
        events.append((end, 1, op(process, kind, "add", i, end / MS, node=node)))
    history = numbered([e[2] for e in sorted(events, key=lambda e: (e[0], e[1]))])
    started = time.perf_counter()
    page, text = render(tmp_path, history)
    elapsed = time.perf_counter() - started
    assert len(page.boxes) == 20_000
    assert len(page.headers) == 51
    assert len(text.encode()) < 8_000_000
    assert elapsed < 6
    heights = {int(e.px("height")) for e in page.having("tl")}
    assert max(heights) <= timeline._MAX_HEIGHT_PX + 100


def test_a_busy_run_stays_a_few_screens_tall_and_fills_the_width(
    tmp_path: Path, simulated: list[Op]
) -> None:
    page, _ = render(tmp_path, simulated)
    (tl,) = page.having("tl")
    seconds = max(o.time for o in simulated) / SECOND
    assert tl.px("height") <= timeline._MAX_PX_PER_S * seconds + 500
    # Three clients and the nemesis share a 1280-pixel window.
    assert 1_000 <= tl.px("width") <= 1_280


def test_no_box_shows_text_it_has_no_room_for(tmp_path: Path, simulated: list[Op]) -> None:
    page, _ = render(tmp_path, simulated)
    thin = [b for b in page.boxes if b.px("height") < timeline._LINE_PX]
    assert thin, "a busy run has boxes thinner than a line"
    assert all(b.own == "" and b.attrs["title"] for b in thin)
    assert all(b.own for b in page.boxes if b.px("height") >= timeline._LINE_PX)
