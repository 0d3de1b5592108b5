"""Performance plots of a finished run, drawn like Jepsen's ``perf`` checker.

``write_plots`` writes, into a run's directory, the PNGs Maelstrom users know
from Jepsen, each 900x400 pixels with time in seconds since the test began on
the x axis:

- ``latency-raw.png``: every completed client operation as one point, its
  latency (ms, log scale) against the time it was invoked; colour by how it
  completed (ok, info, fail), marker shape by ``f``;
- ``latency-quantiles.png``: per ``f``, the 0.5, 0.95, 0.99 and 1 quantiles
  of those latencies over time buckets (log scale);
- ``rate.png``: completions per second per ``f`` and completion type, over
  time buckets;
- the workload's own plots (``Workload.plots``), such as the counters'
  ``read-lag.png``, drawn with ``time_scatter``.

Every plot shades the periods during which the nemesis held a fault, one
translucent lane per kind of fault across the top of the plot area (as Jepsen
stacks one lane per nemesis), with thin lines where each period began and
ended. The y range is stretched so that the lanes sit above the data, not on it.

Choices that differ from Jepsen, and why:

- **Bucket width.** Jepsen uses 30 s buckets for quantiles and 10 s for rates,
  sized for tests of minutes; ours often last 5 to 30 s, which would give one
  to three buckets. ``bucket_width`` picks the smallest of 1, 2, 2.5 and 5
  times a power of ten that splits the run into at most 40 buckets (so a run
  gets between 20 and 40 of them), and never less than 0.1 s, below which
  buckets hold too few operations to mean anything. Both plots use that width.
- **Latency 0 on a log scale.** In simulation mode many operations complete
  at the very instant they were invoked. Latencies of 0 (or below: not
  expected, but clocks are clocks) are drawn, not dropped, at a floor: the
  power of ten one decade below the smallest positive latency of the plot (or
  1 ms if there is none). The y axis labels that level "0" and marks it with a
  dotted line; the decade above it is empty by construction, so it reads as a
  break in the axis.
- **Colours by ``f``.** Jepsen colours by completion type (or quantile) and
  tells ``f``s apart by marker alone; here the second ``f`` gets a darker shade
  of the same colour and the third a paler one, so adds and reads differ at a
  glance. The maximum is a thin dashed line over a thick 0.99 line, since the
  two coincide in buckets of fewer than 100 operations.
- **All zeros.** When every latency is 0 (simulation with ``--latency 0``),
  the latency plots say so in words.
- **Gaps.** A quantile curve is broken where a bucket has no operations
  (during a recovery period, say) rather than joined across it.
- **Empty plots.** Jepsen writes no file when a plot has no points; here
  every file is written, with a note in place of the data, so a run directory
  always holds the same set of plots.

As in Jepsen, buckets are labelled by their midpoint; quantiles are observed
values (the one at index floor(n·q) of the n sorted latencies, capped at the
last), not interpolations; latencies are bucketed by invocation time and rates
by completion time; a rate bucket is drawn only when its midpoint lies within
the run, so that a last bucket the run barely enters does not show as a drop
to zero (what completes in it is not counted). Invocations that never
completed have neither a latency nor a completion, so they show in no plot.

The data functions (``latency_points``, ``latency_quantiles``, ``rates``,
``fault_spans`` and friends) are pure functions of a history; drawing uses
matplotlib's object API (``Figure`` and the Agg canvas, never ``pyplot``) and
changes no global setting, so plots can be written from several threads or
processes at once. matplotlib is imported only when drawing, since importing
it takes a good part of a second.
"""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from glomers.bench import faults
from glomers.bench.checker import OpOutcome, quantile
from glomers.bench.history import Op, fault_periods, is_client, pairs
from glomers.bench.workloads import DrawPlot
from glomers.bench.workloads.registry import for_pages

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: A point of a plot: (time in seconds since the test began, y value).
Point: TypeAlias = tuple[float, float]
#: Fault kind -> the (start, end) seconds of each of its periods.
Spans: TypeAlias = dict[str, list[tuple[float, float]]]

#: The quantiles of ``latency-quantiles.png``, as in Jepsen.
QUANTILES: tuple[float, ...] = (0.5, 0.95, 0.99, 1.0)
#: Jepsen's colours for completion types.
TYPE_COLORS: dict[OpOutcome, str] = {"ok": "#81BFFC", "info": "#FFA400", "fail": "#FF1E90"}
#: Jepsen's colours for quantile curves.
QUANTILE_COLORS: dict[float, str] = {1.0: "red", 0.99: "orange", 0.95: "purple", 0.5: "blue"}
#: Jepsen's opacity for nemesis regions.
FAULT_ALPHA = 0.6

#: Bucket width: at most this many buckets per run...
MAX_BUCKETS = 40
#: ...but none narrower than this many seconds.
MIN_BUCKET_SECONDS = 0.1

#: Written on a latency plot whose every latency is 0, which is no fault of the plot.
ZERO_LATENCY_NOTE = (
    "every latency is 0 ms: in simulation (--sim) with --latency 0, no time passes\n"
    "between a request and its reply; --latency gives messages a delay"
)

WIDTH_PX = 900
HEIGHT_PX = 400
_DPI = 100

_OUTCOMES: tuple[OpOutcome, ...] = ("ok", "info", "fail")
_NANOS_PER_SECOND = 1_000_000_000
_NANOS_PER_MS = 1_000_000
# Open shapes, as Jepsen's gnuplot point types, so that dense clouds show density.
_MARKERS = ("s", "o", "^", "v", "D", "p", "h", "<", ">", "8")
# One lane's share of the plot's height (Jepsen: a twelfth); shrunk when many kinds show.
_LANE_HEIGHT = 1 / 12
_LANES_MAX_SHARE = 0.3


# ---------------------------------------------------------------------------
# Data: pure functions of a history


def run_duration(history: Iterable[Op]) -> float:
    """Seconds from the test's start to the latest record (0 for no records)."""
    return max((op.time for op in history), default=0) / _NANOS_PER_SECOND


def bucket_width(duration: float) -> float:
    """The width in seconds of the time buckets for a run of ``duration`` seconds.

    The smallest of 1, 2, 2.5 and 5 times a power of ten that cuts the run into
    at most ``MAX_BUCKETS`` buckets, but at least ``MIN_BUCKET_SECONDS``.
    """
    target = duration / MAX_BUCKETS
    if target <= MIN_BUCKET_SECONDS:
        return MIN_BUCKET_SECONDS
    exponent = math.floor(math.log10(target))
    for mantissa in ("1", "2", "2.5", "5", "10"):
        # Through a decimal literal, so that 0.25 is 0.25 and not 2.5 * 0.1.
        width = float(f"{mantissa}e{exponent}")
        if width >= target:
            return width
    raise AssertionError("unreachable: 10 * 10**floor(log10(x)) >= x")


def latency_points(history: Iterable[Op]) -> dict[tuple[str, OpOutcome], list[Point]]:
    """Each completed client operation as (invocation time in s, latency in ms),
    grouped by ``(f, completion type)``.

    Keys come sorted by ``f``, then ok, info, fail; points in invocation order.
    Invocations that never completed have no latency and are left out.
    """
    groups: dict[tuple[str, OpOutcome], list[Point]] = defaultdict(list)
    for invoke, completion in pairs(history):
        if completion is None or completion.type == "invoke":
            continue
        groups[(invoke.f, completion.type)].append(
            (
                invoke.time / _NANOS_PER_SECOND,
                (completion.time - invoke.time) / _NANOS_PER_MS,
            )
        )
    return {key: groups[key] for key in sorted(groups, key=_series_order)}


def latency_quantiles(
    history: Iterable[Op], width: float, qs: Sequence[float] = QUANTILES
) -> dict[str, dict[float, list[Point]]]:
    """Per ``f`` and quantile q, the q-quantile of latencies (ms) in each bucket of
    ``width`` seconds of invocation time: ``{f: {q: [(bucket midpoint s, ms)]}}``.

    Latencies of all completed operations count, whatever their completion
    type. Buckets without operations are left out, as Jepsen does.
    """
    width_ns = _to_nanos(width)
    buckets: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for invoke, completion in pairs(history):
        if completion is None or completion.type == "invoke":
            continue
        latency = (completion.time - invoke.time) / _NANOS_PER_MS
        buckets[invoke.f][invoke.time // width_ns].append(latency)
    out: dict[str, dict[float, list[Point]]] = {}
    for f in sorted(buckets):
        by_bucket = sorted((b, sorted(lats)) for b, lats in buckets[f].items())
        out[f] = {
            q: [(_midpoint(b, width), quantile(lats, q)) for b, lats in by_bucket] for q in qs
        }
    return out


def rates(history: Iterable[Op], width: float) -> dict[tuple[str, OpOutcome], list[Point]]:
    """Completions per second of each ``(f, completion type)``, per bucket of
    ``width`` seconds of completion time: ``{(f, type): [(bucket midpoint s, rate)]}``.

    Every series lists every bucket whose midpoint lies within the run (0 where
    nothing completed), so that lines drop to 0 where a fault stopped progress.
    Completions in a bucket past that (the last, mostly uncovered one) count
    nowhere, as in Jepsen.
    """
    history = list(history)
    end_ns = max((op.time for op in history), default=0)
    width_ns = _to_nanos(width)
    # Bucket b's midpoint (b + 1/2)·width is within the run iff (2b + 1)·width <= 2·end.
    count = max(0, (2 * end_ns // width_ns + 1) // 2)
    counts: dict[tuple[str, OpOutcome], list[int]] = {}
    for op in history:
        if not is_client(op) or op.type == "invoke":
            continue
        series = counts.setdefault((op.f, op.type), [0] * count)
        b = op.time // width_ns
        if 0 <= b < count:
            series[b] += 1
    return {
        key: [(_midpoint(b, width), n / width) for b, n in enumerate(counts[key])]
        for key in sorted(counts, key=_series_order)
    }


def fault_spans(history: Iterable[Op]) -> Spans:
    """The periods each kind of fault was in force, as (start s, end s), kinds in
    the order of the registry of faults, which is the order the lanes are
    stacked from the top (others after, alphabetically), periods in the order
    they began. A period still open when the history ends ends with it."""
    history = list(history)
    end = run_duration(history)
    spans: Spans = defaultdict(list)
    for period in fault_periods(history):
        stop = end if period.end is None else period.end / _NANOS_PER_SECOND
        spans[period.fault].append((period.start / _NANOS_PER_SECOND, stop))
    order = list(faults.FAULTS)
    return {
        kind: spans[kind]
        for kind in sorted(spans, key=lambda k: (order.index(k) if k in order else len(order), k))
    }


def latency_floor(latencies: Iterable[float]) -> float:
    """Where a log-scale plot draws latencies of 0 ms or less: one decade below the
    smallest positive latency, rounded down to a power of ten (1 ms if none is
    positive)."""
    smallest = min((x for x in latencies if x > 0), default=None)
    if smallest is None:
        return 1.0
    return float(f"1e{math.floor(math.log10(smallest)) - 1}")


def _to_nanos(seconds: float) -> int:
    nanos = round(seconds * _NANOS_PER_SECOND)
    if nanos <= 0:
        raise ValueError(f"bucket width must be positive, not {seconds!r} s")
    return nanos


def _midpoint(bucket: int, width: float) -> float:
    return (bucket + 0.5) * width


def _series_order(key: tuple[str, OpOutcome]) -> tuple[str, int]:
    return key[0], _OUTCOMES.index(key[1])


# ---------------------------------------------------------------------------
# Drawing


def plot_names(workload: str) -> list[str]:
    """The files ``write_plots`` writes for ``workload``, in the order it draws them."""
    return [name for name, _ in _drawings(workload)]


def _drawings(workload: str) -> list[tuple[str, DrawPlot]]:
    drawings: list[tuple[str, DrawPlot]] = [
        ("latency-raw.png", _draw_latency_raw),
        ("latency-quantiles.png", _draw_latency_quantiles),
        ("rate.png", _draw_rate),
    ]
    return drawings + [(plot.name, plot.draw) for plot in for_pages(workload).plots()]


def write_plots(
    run_dir: Path, history: Sequence[Op], workload: str, only: Container[str] | None = None
) -> list[Path]:
    """Write the plots of a finished run into ``run_dir``; return their paths.

    Always ``latency-raw.png``, ``latency-quantiles.png`` and ``rate.png``;
    then the plots of the workload's own (``Workload.plots``), if it is registered.
    ``only`` keeps those of the names it holds (``plot_names`` lists them all).
    """

    run_dir.mkdir(parents=True, exist_ok=True)
    duration = run_duration(history)
    width = bucket_width(duration)
    spans = fault_spans(history)
    written: list[Path] = []
    for name, draw in _drawings(workload):
        if only is not None and name not in only:
            continue
        path = run_dir / name
        fig = draw(history, workload, duration, width, spans)
        fig.savefig(path, dpi=_DPI, format="png")
        written.append(path)
    return written


#: Blank figures made in advance (``prepare``), by number of rows.
_blank: dict[int, list[tuple[Figure, list[Axes]]]] = defaultdict(list)


def prepare(rows: Iterable[int] = (1, 1, 1, 2)) -> None:
    """Make blank figures in advance, one per item of ``rows`` (its number of
    panels), for the next plots drawn in this process to take instead of making
    their own: a sixth of a plot's time, moved to a process waiting to draw. The
    defaults fit the three plots of every run and a counter's read lag."""
    for n in rows:
        _blank[n].append(_new_figure(n))


def _figure(rows: int = 1) -> tuple[Figure, list[Axes]]:
    # A prepared figure is exactly what _new_figure would return now.
    with contextlib.suppress(IndexError):
        return _blank[rows].pop()
    return _new_figure(rows)


def _new_figure(rows: int) -> tuple[Figure, list[Axes]]:
    # Imported here: the data functions above, and whoever imports this module
    # only to call them, should not pay for loading matplotlib.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / _DPI, HEIGHT_PX / _DPI), dpi=_DPI)
    # Fixed margins, the legend in the right one: a layout engine would cost a
    # second drawing pass, half the time of a plot.
    fig.subplots_adjust(left=0.085, right=0.865, top=0.92, bottom=0.12, hspace=0.12)
    FigureCanvasAgg(fig)
    grid = fig.subplots(rows, 1, sharex=True, squeeze=False)
    return fig, [grid[i, 0] for i in range(rows)]


def _markers(fs: Iterable[str]) -> dict[str, str]:
    return {f: _MARKERS[i % len(_MARKERS)] for i, f in enumerate(sorted(set(fs)))}


def series_color(color: str, f_index: int) -> str:
    """``color`` (an outcome's or a quantile's) as the ``f_index``-th ``f`` of a plot
    draws it: as it is for the first, darker for the second, paler for the third.

    Jepsen tells ``f``s apart by marker shape alone; with adds and reads in one
    colour, the two clouds of a counter run read as one.
    """
    from matplotlib.colors import to_hex, to_rgb

    rgb = to_rgb(color)
    kind = f_index % 3
    if kind == 1:
        rgb = tuple(0.5 * c for c in rgb)  # type: ignore[assignment]
    elif kind == 2:
        rgb = tuple(0.5 + 0.5 * c for c in rgb)  # type: ignore[assignment]
    return to_hex(rgb)


def _f_indexes(fs: Iterable[str]) -> dict[str, int]:
    return {f: i for i, f in enumerate(sorted(set(fs)))}


def _time_axis(ax: Axes, duration: float, label: bool = True) -> None:
    ax.set_xlim(0, duration * 1.01 if duration > 0 else 1.0)
    if label:
        ax.set_xlabel("Time (s)")
    ax.grid(True, which="major", color="#e6e6e6", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)


def _log_latency_axis(ax: Axes, latencies: Sequence[float], floor: float) -> None:
    """Make ``ax`` a log-scale axis for ``latencies``; if some were 0 (drawn at
    ``floor``), label that level "0" and leave the empty decade above it bare."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    ax.set_yscale("log")
    ax.set_ylabel("Latency (ms)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _plain(v)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if all(y > 0 for y in latencies):
        return
    ax.axhline(floor, color="grey", linestyle=":", linewidth=0.8, zorder=1)
    if not any(y > 0 for y in latencies):
        # Nothing but zeros: any other number on the axis would be made up.
        ax.text(0.5, 0.3, ZERO_LATENCY_NOTE, transform=ax.transAxes, ha="center", color="grey")
        ax.set_ylim(floor / 10, floor * 10)
        ax.yaxis.set_major_locator(FixedLocator([floor]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda _v, _pos: "0"))
        return
    # The floor is a decade below the smallest positive latency, so nothing lies
    # between it and the next decade: ticks there would only mislead.
    low, high = ax.get_ylim()
    first, last = round(math.log10(floor)) + 1, math.ceil(math.log10(high))
    step = max(1, math.ceil((last - first + 1) / 8))
    # A few decades to spare: the fault lanes may yet raise the top of the range.
    decades = [10.0**k for k in range(first, last + 4, step)]
    ax.yaxis.set_major_locator(FixedLocator([floor, *decades]))
    ax.yaxis.set_minor_locator(
        FixedLocator([m * 10.0**k for k in range(first, last + 4) for m in range(2, 10)])
    )
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _pos: "0" if math.isclose(v, floor) else _plain(v))
    )
    ax.set_ylim(low, high)


def _plain(value: float) -> str:
    # Plain numbers read better than powers of ten for milliseconds.
    return f"{value:.0f}" if value >= 1 else f"{value:g}"


def _no_data(ax: Axes, what: str) -> None:
    # With nothing drawn, the numbers of the default range would mean nothing.
    ax.set_yticks([])
    ax.text(0.5, 0.5, what, transform=ax.transAxes, ha="center", va="center", color="grey")


def _shade_faults(ax: Axes, spans: Spans) -> float:
    """Draw the fault lanes; return the share of the height they take from the top."""
    from matplotlib.collections import LineCollection, PolyCollection

    if not spans:
        return 0.0
    lane = min(_LANE_HEIGHT, _LANES_MAX_SHARE / len(spans))
    pad = lane * 0.08
    # x in data coordinates, y as a fraction of the plot's height.
    transform = ax.get_xaxis_transform()
    for i, (kind, periods) in enumerate(spans.items()):
        color = faults.color(kind)
        top, bottom = 1 - i * lane - pad, 1 - (i + 1) * lane + pad
        boxes = [[(a, bottom), (a, top), (b, top), (b, bottom)] for a, b in periods]
        edges = [[(x, 0.0), (x, 1.0)] for period in periods for x in period]
        # autolim=False: these coordinates are not data and must not move the y range.
        ax.add_collection(
            PolyCollection(
                boxes,
                facecolors=color,
                edgecolors="none",
                alpha=FAULT_ALPHA,
                transform=transform,
                zorder=0.5,
            ),
            autolim=False,
        )
        ax.add_collection(
            LineCollection(
                edges, colors=color, linewidths=0.7, alpha=0.9, transform=transform, zorder=0.4
            ),
            autolim=False,
        )
    return len(spans) * lane


def _make_room(ax: Axes, share: float) -> None:
    """Raise the top of the y range so the data stay below lanes taking ``share``."""
    if share <= 0:
        return
    low, high = ax.get_ylim()
    free = 1 - share - 0.02
    if ax.get_yscale() == "log":
        top = math.log10(low) + (math.log10(high) - math.log10(low)) / free
        ax.set_ylim(low, 10**top)
    else:
        ax.set_ylim(low, low + (high - low) / free)


def _fault_handles(spans: Spans) -> list[Artist]:
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=faults.color(kind), alpha=FAULT_ALPHA, label=faults.label(kind))
        for kind in spans
    ]


def _finish(fig: Figure, axes: list[Axes], spans: Spans, handles: list[Artist]) -> Figure:
    """Shade the fault periods above the data and add the legend."""
    for ax in axes:
        _make_room(ax, _shade_faults(ax, spans))
    _legend(fig, handles + _fault_handles(spans))
    return fig


def _legend(fig: Figure, handles: list[Artist]) -> None:
    if handles:
        fig.legend(
            handles=handles,
            loc="upper right",
            fontsize="small",
            frameon=False,
            markerscale=1.5,
        )


def _draw_latency_raw(
    history: Sequence[Op],
    workload: str,
    duration: float,
    width: float,
    spans: Spans,
) -> Figure:
    fig, (ax,) = _figure()
    ax.set_title(f"{workload} latency", fontsize="medium")
    _time_axis(ax, duration)
    series = latency_points(history)
    latencies = [y for points in series.values() for _, y in points]
    floor = latency_floor(latencies)
    markers = _markers(f for f, _ in series)
    shades = _f_indexes(f for f, _ in series)
    handles: list[Artist] = []
    # Jepsen draws the series with fewer points on top, so rare failures show.
    by_size = sorted(series, key=lambda key: -len(series[key]))
    for key in series:
        f, outcome = key
        points = series[key]
        (line,) = ax.plot(
            [x for x, _ in points],
            [max(y, floor) for _, y in points],
            linestyle="none",
            marker=markers[f],
            markersize=3,
            markerfacecolor="none",
            markeredgewidth=0.7,
            color=series_color(TYPE_COLORS[outcome], shades[f]),
            label=f"{f} {outcome}",
            zorder=2 + by_size.index(key) / len(series),
        )
        handles.append(line)
    if series:
        _log_latency_axis(ax, latencies, floor)
    else:
        ax.set_ylabel("Latency (ms)")
        _no_data(ax, "no completed client operations")
    return _finish(fig, [ax], spans, handles)


def _break_gaps(points: Sequence[Point], width: float) -> tuple[list[float], list[float]]:
    """The x and y values of a line through ``points``, broken (by a NaN) where
    buckets are missing, so that no line spans a stretch with no operations."""
    xs: list[float] = []
    ys: list[float] = []
    for x, y in points:
        if xs and x - xs[-1] > 1.5 * width:
            xs.append(math.nan)
            ys.append(math.nan)
        xs.append(x)
        ys.append(y)
    return xs, ys


def _draw_latency_quantiles(
    history: Sequence[Op],
    workload: str,
    duration: float,
    width: float,
    spans: Spans,
) -> Figure:
    fig, (ax,) = _figure()
    ax.set_title(f"{workload} latency quantiles ({width:g} s buckets)", fontsize="medium")
    _time_axis(ax, duration)
    series = latency_quantiles(history, width)
    latencies = [y for by_q in series.values() for points in by_q.values() for _, y in points]
    floor = latency_floor(latencies)
    markers = _markers(series)
    shades = _f_indexes(series)
    handles: list[Artist] = []
    for f, by_q in series.items():
        for q, points in by_q.items():
            xs, ys = _break_gaps([(x, max(y, floor)) for x, y in points], width)
            (line,) = ax.plot(
                xs,
                ys,
                marker=markers[f],
                markersize=3.5,
                markerfacecolor="none",
                color=series_color(QUANTILE_COLORS.get(q, "grey"), shades[f]),
                label=f"{f} {q:g}",
                **quantile_style(q),
            )
            handles.append(line)
    if series:
        _log_latency_axis(ax, latencies, floor)
    else:
        ax.set_ylabel("Latency (ms)")
        _no_data(ax, "no completed client operations")
    return _finish(fig, [ax], spans, handles)


def quantile_style(q: float) -> dict[str, Any]:
    """How the ``q`` curve is drawn. With fewer than 100 operations in a bucket the
    0.99 quantile is the maximum: the maximum is then a thin dashed line over a
    thick 0.99 line, so that both show."""
    if q == 1.0:
        return {"linewidth": 0.9, "linestyle": (0, (4, 3)), "zorder": 3}
    if q == 0.99:
        return {"linewidth": 2.2, "linestyle": "-", "zorder": 2}
    return {"linewidth": 1.0, "linestyle": "-", "zorder": 2}


def _draw_rate(
    history: Sequence[Op],
    workload: str,
    duration: float,
    width: float,
    spans: Spans,
) -> Figure:
    fig, (ax,) = _figure()
    ax.set_title(f"{workload} rate ({width:g} s buckets)", fontsize="medium")
    _time_axis(ax, duration)
    ax.set_ylabel("Throughput (ops/s)")
    series = rates(history, width)
    markers = _markers(f for f, _ in series)
    shades = _f_indexes(f for f, _ in series)
    handles: list[Artist] = []
    for (f, outcome), points in series.items():
        (line,) = ax.plot(
            [x for x, _ in points],
            [y for _, y in points],
            marker=markers[f],
            markersize=3.5,
            markerfacecolor="none",
            linewidth=1,
            color=series_color(TYPE_COLORS[outcome], shades[f]),
            label=f"{f} {outcome}",
        )
        handles.append(line)
    if not any(points for points in series.values()):
        _no_data(ax, "no completed client operations")
    ax.set_ylim(bottom=0)
    return _finish(fig, [ax], spans, handles)


@dataclass(frozen=True, slots=True)
class Scatter:
    """One series of ``time_scatter``: its points' times (s) and, per panel, values."""

    label: str
    times: Sequence[float]
    values: Sequence[Sequence[float]]
    marker: str = "o"
    size: float = 2.5
    color: str = TYPE_COLORS["ok"]
    zorder: int = 2


def time_scatter(
    title: str,
    ylabels: Sequence[str],
    duration: float,
    spans: Spans,
    series: Sequence[Scatter],
    empty: str,
) -> Figure:
    """Points over time in one panel per y label, stacked, sharing the time axis,
    with a line at 0 and the faults shaded as on every plot; ``empty`` is written
    in the first panel when no series has a point. For a workload's own plots."""
    fig, axes = _figure(rows=len(ylabels))
    axes[0].set_title(title, fontsize="medium")
    for i, (ax, ylabel) in enumerate(zip(axes, ylabels, strict=True)):
        _time_axis(ax, duration, label=i == len(axes) - 1)
        ax.set_ylabel(ylabel)
    handles: list[Artist] = []
    for one in series:
        if not one.times:
            continue
        for ax, values in zip(axes, one.values, strict=True):
            (line,) = ax.plot(
                list(one.times),
                list(values),
                linestyle="none",
                markeredgewidth=0,
                marker=one.marker,
                markersize=one.size,
                color=one.color,
                label=one.label,
                zorder=one.zorder,
            )
        handles.append(line)
    for ax in axes:
        ax.axhline(0, color="grey", linewidth=0.7, zorder=1)
    if not handles:
        for ax, note in zip(axes, [empty, *[""] * (len(axes) - 1)], strict=True):
            _no_data(ax, note)
    return _finish(fig, axes, spans, handles)
