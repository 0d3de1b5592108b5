"""The perf plots: their data on hand-written histories, and the PNGs of real runs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread

from glomers import counter
from glomers.bench.checker import quantile
from glomers.bench.core import TestOptions
from glomers.bench.history import NEMESIS, Op
from glomers.bench.pages import plots
from glomers.bench.pages.plots import (
    bucket_width,
    fault_spans,
    latency_floor,
    latency_points,
    latency_quantiles,
    rates,
    run_duration,
    write_plots,
)
from glomers.bench.sim import run_simulation
from glomers.examples import echo

MS = 1_000_000


def client(process: int, type_: Any, f: str, at_ms: float, value: Any = None) -> Op:
    return Op(process, type_, f, value, time=round(at_ms * MS))


def nemesis(f: str, at_ms: float, node: str | None = None) -> list[Op]:
    """A nemesis step as recorded: what was asked, then what was done, 1 ms later."""
    return [
        Op(NEMESIS, "info", f, None, time=round(at_ms * MS) - MS, node=node),
        Op(NEMESIS, "info", f, "done", time=round(at_ms * MS), node=node),
    ]


def sample_history() -> list[Op]:
    """Times in ms: an ok add, an instant read, a failed add, an unknown read, an add
    that never completes; a partition from 600 to 2000 and a kill from 1100 on."""
    history = [
        client(0, "invoke", "add", 0, 1),
        client(0, "ok", "add", 10, 1),
        client(1, "invoke", "read", 100),
        client(1, "ok", "read", 100, 1),
        *nemesis("start-partition", 600),
        *nemesis("kill", 1100, "n1"),
        client(0, "invoke", "add", 1200, 2),
        client(1, "invoke", "read", 1300),
        client(1, "info", "read", 1350),
        client(0, "fail", "add", 1500, 2),
        *nemesis("stop-partition", 2000),
        client(2, "invoke", "add", 2000, 3),
        client(1, "invoke", "read", 2500),
    ]
    return sorted(history, key=lambda op: op.time)


# ---------------------------------------------------------------------------
# Data


def test_latency_points_pair_invocations_with_completions_by_f_and_type() -> None:
    assert latency_points(sample_history()) == {
        ("add", "ok"): [(0.0, 10.0)],
        ("add", "fail"): [(1.2, 300.0)],
        ("read", "ok"): [(0.1, 0.0)],
        ("read", "info"): [(1.3, 50.0)],
    }
    # Key order is f, then ok, info, fail: the legend's order.
    assert list(latency_points(sample_history())) == [
        ("add", "ok"), ("add", "fail"), ("read", "ok"), ("read", "info"),
    ]  # fmt: skip


def test_invocations_without_completion_have_no_latency() -> None:
    history = [client(0, "invoke", "add", 0, 1), client(1, "invoke", "read", 5)]
    assert latency_points(history) == {}
    assert latency_quantiles(history, 1.0) == {}


def test_quantile_takes_the_value_at_floor_n_q_as_jepsen_does() -> None:
    assert quantile([1, 2, 3, 4], 0.5) == 3
    assert quantile([1, 2, 3, 4], 0.95) == 4
    assert quantile([1, 2, 3, 4], 0.0) == 1
    assert quantile([1, 2, 3, 4], 1.0) == 4
    hundred = list(range(1, 101))
    assert quantile(hundred, 0.95) == 96
    assert quantile(hundred, 0.99) == 100


def test_latency_quantiles_bucket_by_invocation_time() -> None:
    history = []
    # Reads invoked at 0.1 s to 0.4 s taking 1, 2, 3, 4 ms; one at 2.2 s taking 7 ms.
    for i, latency in enumerate([4, 1, 3, 2]):
        start = 100 * (i + 1)
        history += [client(i, "invoke", "read", start), client(i, "ok", "read", start + latency)]
    history += [client(0, "invoke", "read", 2200), client(0, "fail", "read", 2207)]
    assert latency_quantiles(history, 1.0) == {
        "read": {
            0.5: [(0.5, 3.0), (2.5, 7.0)],
            0.95: [(0.5, 4.0), (2.5, 7.0)],
            0.99: [(0.5, 4.0), (2.5, 7.0)],
            1.0: [(0.5, 4.0), (2.5, 7.0)],
        }
    }
    assert latency_quantiles(history, 0.25, qs=(0.0, 1.0)) == {
        "read": {
            0.0: [(0.125, 1.0), (0.375, 2.0), (2.125, 7.0)],
            1.0: [(0.125, 4.0), (0.375, 3.0), (2.125, 7.0)],
        }
    }


def test_rates_count_completions_per_second_in_every_bucket_within_the_run() -> None:
    history = sample_history()  # last record at 2.5 s
    assert rates(history, 1.0) == {
        ("add", "ok"): [(0.5, 1.0), (1.5, 0.0), (2.5, 0.0)],
        ("add", "fail"): [(0.5, 0.0), (1.5, 1.0), (2.5, 0.0)],
        ("read", "ok"): [(0.5, 1.0), (1.5, 0.0), (2.5, 0.0)],
        ("read", "info"): [(0.5, 0.0), (1.5, 1.0), (2.5, 0.0)],
    }
    half = rates(history, 0.5)
    assert [x for x, _ in half[("add", "ok")]] == [0.25, 0.75, 1.25, 1.75, 2.25]
    assert half[("add", "fail")] == [(0.25, 0), (0.75, 0), (1.25, 0), (1.75, 2.0), (2.25, 0)]


def test_rates_leave_out_the_bucket_whose_midpoint_is_past_the_end() -> None:
    history = [
        client(0, "invoke", "read", 0),
        client(0, "ok", "read", 400),
        client(0, "invoke", "read", 1400),
        client(0, "ok", "read", 1400),  # bucket [1, 2) has its midpoint past the end
    ]
    assert rates(history, 1.0) == {("read", "ok"): [(0.5, 1.0)]}
    assert rates([], 1.0) == {}
    assert rates([client(0, "invoke", "read", 3000)], 1.0) == {}


def test_fault_spans_run_from_completed_start_to_completed_stop_or_the_end() -> None:
    assert fault_spans(sample_history()) == {
        "partition": [(0.6, 2.0)],
        "kill": [(1.1, 2.5)],  # never restarted: lasts until the last record
    }
    assert fault_spans([client(0, "invoke", "read", 0)]) == {}


def test_bucket_width_gives_twenty_to_forty_nice_buckets_with_a_floor() -> None:
    assert bucket_width(0) == 0.1
    assert bucket_width(4) == 0.1
    assert bucket_width(4.1) == 0.2
    assert bucket_width(10) == 0.25
    assert bucket_width(20) == 0.5
    assert bucket_width(30) == 1.0
    assert bucket_width(60) == 2.0
    assert bucket_width(90) == 2.5
    assert bucket_width(1000) == 25.0
    for tenths in range(41, 20_000, 7):
        duration = tenths / 10
        width = bucket_width(duration)
        assert 20 <= duration / width <= 40, (duration, width)
        mantissa = width / 10 ** math.floor(math.log10(width))
        assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5)), width


def test_latency_floor_is_a_decade_below_the_smallest_positive_latency() -> None:
    assert latency_floor([0.0, 3416.0, 250.0]) == 10.0
    assert latency_floor([0.0, 4.0]) == 0.1
    assert latency_floor([0.5]) == 0.01
    assert latency_floor([0.0, -1.0]) == 1.0
    assert latency_floor([]) == 1.0


def test_run_duration_is_the_latest_time_in_seconds() -> None:
    assert run_duration(sample_history()) == 2.5
    assert run_duration([]) == 0.0


# ---------------------------------------------------------------------------
# Drawing

# The lane colour of kills (#F08A80 at alpha 0.6) as it shows on white.
KILL_ON_WHITE = (246, 185, 179)


def png_size(path: Path) -> tuple[int, int]:
    image = imread(path)
    height, width = image.shape[:2]
    return int(width), int(height)


def pixels_near(path: Path, rgb: tuple[int, int, int], tolerance: int = 3) -> int:
    image = imread(path)[:, :, :3] * 255
    close = abs(image - rgb).max(axis=2) <= tolerance
    return int(close.sum())


@pytest.fixture(scope="module")
def counter_run() -> list[Op]:
    opts = TestOptions(
        workload="g-counter", nodes=["n0", "n1", "n2"], time_limit=6.0, rate=50.0,
        nemesis=["kill"], nemesis_interval=1.0, recovery_time=1.0, seed=3,
    )  # fmt: skip
    return run_simulation(opts, counter.build).history


def test_write_plots_draws_a_counter_run_with_its_read_lag(
    counter_run: list[Op], tmp_path: Path
) -> None:
    assert fault_spans(counter_run)["kill"], "the run should have killed a node"
    written = write_plots(tmp_path, counter_run, "g-counter")
    names = ["latency-raw.png", "latency-quantiles.png", "rate.png", "read-lag.png"]
    assert written == [tmp_path / name for name in names]
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert png_size(path) == (900, 400)
        # The kill lane (and its legend entry) show on every plot.
        assert pixels_near(path, KILL_ON_WHITE) > 50, path.name


def test_write_plots_draws_no_read_lag_and_no_lanes_for_a_quiet_echo_run(tmp_path: Path) -> None:
    opts = TestOptions(
        workload="echo", nodes=["n0", "n1"], time_limit=2.0, rate=50.0, recovery_time=0.0
    )
    history = run_simulation(opts, echo.build).history
    written = write_plots(tmp_path, history, "echo")
    assert [p.name for p in written] == ["latency-raw.png", "latency-quantiles.png", "rate.png"]
    assert not (tmp_path / "read-lag.png").exists()
    for path in written:
        assert png_size(path) == (900, 400)
        assert pixels_near(path, KILL_ON_WHITE) == 0, path.name


ONLY_INVOKES = [
    client(0, "invoke", "add", 5, 1),
    client(1, "invoke", "read", 7),
    *nemesis("kill", 9, "n0"),
]


@pytest.mark.parametrize(
    "history", [pytest.param([], id="empty"), pytest.param(ONLY_INVOKES, id="only-invokes")]
)
def test_write_plots_draws_histories_with_nothing_to_show(
    history: list[Op], tmp_path: Path
) -> None:
    written = write_plots(tmp_path / "run", history, "pn-counter")
    assert [p.name for p in written] == [
        "latency-raw.png", "latency-quantiles.png", "rate.png", "read-lag.png",
    ]  # fmt: skip
    for path in written:
        assert png_size(path) == (900, 400)


def _lines_by_label(fig: Any) -> dict[str, Any]:
    return {line.get_label(): line for ax in fig.axes for line in ax.get_lines()}


ADDS_AND_READS = [
    client(0, "invoke", "add", 0, 1),
    client(0, "ok", "add", 10, 1),
    client(1, "invoke", "read", 100),
    client(1, "ok", "read", 105, 1),
    client(0, "invoke", "add", 1200, 2),
    client(0, "ok", "add", 1230, 2),
    client(1, "invoke", "read", 1300),
    client(1, "ok", "read", 1302, 3),
]


@pytest.mark.parametrize("draw", [plots._draw_latency_raw, plots._draw_rate])
def test_adds_and_reads_are_drawn_in_distinct_colours(draw: Any) -> None:
    fig = draw(ADDS_AND_READS, "g-counter", 1.5, 0.5, {})
    lines = _lines_by_label(fig)
    assert lines["add ok"].get_color() != lines["read ok"].get_color()


def test_every_quantile_curve_has_its_own_colour_and_p99_shows_under_max() -> None:
    fig = plots._draw_latency_quantiles(ADDS_AND_READS, "g-counter", 1.5, 0.5, {})
    lines = _lines_by_label(fig)
    colours = [line.get_color() for line in lines.values()]
    assert len(lines) == 8 and len(set(colours)) == 8
    for f in ("add", "read"):
        p99, top = lines[f"{f} 0.99"], lines[f"{f} 1"]
        # Few operations: the two curves coincide point for point...
        assert [str(y) for y in p99.get_ydata()] == [str(y) for y in top.get_ydata()]
        # ...so the maximum is thinner, dashed and on top, and the 0.99 line shows.
        assert top.get_zorder() > p99.get_zorder()
        assert top.get_linestyle() == "--" and p99.get_linestyle() == "-"
        assert p99.get_linewidth() > 2 * top.get_linewidth()


def test_a_plot_of_zero_latencies_says_why() -> None:
    instant = [op for op in ADDS_AND_READS if op.type == "invoke"]
    instant += [Op(op.process, "ok", op.f, op.value, time=op.time) for op in instant]
    for draw in (plots._draw_latency_raw, plots._draw_latency_quantiles):
        fig = draw(sorted(instant, key=lambda op: op.time), "g-counter", 1.5, 0.5, {})
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert plots.ZERO_LATENCY_NOTE in texts
    fig = plots._draw_latency_raw(ADDS_AND_READS, "g-counter", 1.5, 0.5, {})
    assert plots.ZERO_LATENCY_NOTE not in [t.get_text() for ax in fig.axes for t in ax.texts]
