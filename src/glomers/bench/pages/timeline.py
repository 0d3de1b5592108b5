"""The timeline of a test: ``timeline.html``, every operation as a box in time.

As in Jepsen's timeline, the page has one column per process (the clients in
numeric order, then the nemesis) and one box per operation, from its
invocation to its completion, coloured by how it completed: ``ok``, ``info``
(it may or may not have happened) or ``fail``. An operation that never
completed runs to the end of the history. Each nemesis step, recorded as what
was asked and then what was done, is one box in the nemesis column, and the
periods during which faults were in force are shaded across the client
columns. Hovering a box shows everything the history says about it.

Unlike Jepsen's, which stacks events in history order, time runs downwards on
a linear scale, so concurrency and latencies can be seen as they were; the
scale gives a typical operation one line of text, but never more than 150
pixels to a second, so that a long busy run stays a few screens tall (its
boxes are then thin, without text, and show their details on hover). Two
distortions keep the page readable: a box shorter than a line of text is
stretched to one line when nothing follows it in its column, and a stretch of
time with nothing in flight is shrunk to a fixed, marked break. The columns
share the width of a common window.

The page is a single static file: inline CSS, no script, nothing fetched.
"""

from __future__ import annotations

import json
import math
import statistics
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from glomers.bench import faults
from glomers.bench.history import NEMESIS, FaultPeriod, Op, fault_periods, is_client, paired
from glomers.bench.pages.html import WIDE_PAGE_STYLE
from glomers.bench.pages.html import escape as _esc
from glomers.bench.words import counted

#: The most client operations drawn (the first ones invoked); the page of a
#: longer history would be too large for a browser to handle comfortably.
OP_LIMIT = 50_000

_NS_PER_S = 1_000_000_000
_LINE_PX = 14  # one line of box text
_MIN_BOX_PX = 2
_GUTTER_PX = 64
_LANE_PX = 7  # one fault period bar in the nemesis column
_MIN_HEIGHT_PX = 300
_MAX_HEIGHT_PX = 150_000
# At most this many pixels per second of busy time: a line per operation would
# make a 30-second run at rate 100 over 13,000 pixels tall. Denser runs draw
# thinner boxes, without text, whose details show on hover.
_MAX_PX_PER_S = 150
# The columns share a window this wide (less the gutter and the fault bars)...
_PAGE_PX = 1260
# ... each between these widths; more columns than fit scroll sideways.
_MIN_COLUMN_PX = 64
_MAX_COLUMN_PX = 320
_IDLE_PX = 150  # idle stretches taller than this are shrunk ...
_BREAK_PX = 36  # ... to this
_TICK_PX = 80  # at least this far between time ticks
_LABEL_CHARS = 40
_TITLE_CHARS = 1_000


_STYLE = (
    WIDE_PAGE_STYLE
    + """.note { color: #57606a; font-size: 13px; max-width: 70em; }
.legend span.k { display: inline-block; width: 14px; height: 12px; margin: 0 4px 0 12px;
  vertical-align: -1px; border: 1px solid rgba(0,0,0,.25); }
.legend span.k:first-child { margin-left: 0; }
.heads { position: sticky; top: 0; z-index: 6; height: 32px; background: #fff;
  border-bottom: 1px solid #d0d7de; }
.h { position: absolute; top: 0; height: 32px; overflow: hidden; text-align: center;
  font: 600 12px/15px system-ui, sans-serif; white-space: nowrap; }
.h small { display: block; font-weight: 400; color: #57606a; }
.tl { position: relative; margin: 10px 0 24px; }
.tick { position: absolute; left: 0; right: 0; height: 0; border-top: 1px solid #eef0f2;
  z-index: 0; }
.tick span { position: absolute; left: 4px; top: -8px; font-size: 11px; color: #57606a;
  background: #fff; }
.brk { position: absolute; left: 0; right: 0; z-index: 1; box-sizing: border-box;
  border-top: 1px dashed #8c959f; border-bottom: 1px dashed #8c959f; font-size: 11px;
  color: #57606a; padding: 10px 4px; white-space: nowrap;
  background: repeating-linear-gradient(135deg, #f6f8fa 0 6px, #fff 6px 12px); }
.band { position: absolute; z-index: 0; opacity: .3; }
.col { position: absolute; top: 0; bottom: 0; border-left: 1px solid #f0f1f3; }
.o { position: absolute; left: 2px; right: 2px; z-index: 2; box-sizing: border-box;
  overflow: hidden; white-space: nowrap; padding: 0 3px; border-radius: 2px;
  border: 1px solid rgba(0,0,0,.18); font: 11px/12px ui-monospace, SFMono-Regular, Menlo,
  Consolas, monospace; color: #111; }
.o:hover, .o:target { z-index: 4; outline: 2px solid #1f2328; }
.ok { background: #8cc4f5; }
.info { background: #ffb74d; }
.fail { background: #f4a6c6; }
.open { background: repeating-linear-gradient(180deg, #ffcf8a 0 6px, #ffe9c7 6px 12px);
  border-style: dashed; }
.nem { background: #cfc6ea; }
.per { position: absolute; z-index: 2; width: 5px; border-radius: 2px; }
"""
)

_LEGEND = (
    '<span class="k ok"></span>ok<span class="k info"></span>info (indeterminate)'
    '<span class="k fail"></span>fail<span class="k open"></span>never completed'
    '<span class="k nem"></span>nemesis step &nbsp; faults in force:'
)


def _fault_style() -> str:
    """Each registered fault's colour, as the CSS class named after it."""
    return "".join(
        f".{name} {{ background: {fault.color}; }}\n" for name, fault in faults.FAULTS.items()
    )


def _fault_legend() -> str:
    return "".join(
        f'<span class="k {name}"></span>{_esc(fault.label)}'
        for name, fault in faults.FAULTS.items()
    )


# ---------------------------------------------------------------------------
# Boxes: operations paired up


@dataclass(frozen=True, slots=True)
class _Box:
    """One operation as drawn: ``start`` and ``end`` in ns (``end`` None: never
    completed), ``kind`` its CSS class."""

    start: int
    end: int | None
    kind: str
    label: str
    title: str
    anchor: int


def _show(value: Any, limit: int) -> str:
    """A value as short text: strings as they are, anything else as JSON."""
    if isinstance(value, str) and value.isprintable():
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    if len(text) > limit:
        return f"{text[:limit]}… ({len(text)} characters)" if limit > 100 else text[:limit] + "…"
    return text


def _seconds(ns: int) -> str:
    return f"{ns / _NS_PER_S:.6f} s"


def _times(start: int, end: int | None, took: str = "latency") -> str:
    if end is None:
        return f"start {_seconds(start)}, never completed"
    return f"start {_seconds(start)}, end {_seconds(end)}\n{took} {(end - start) / 1e6:.3f} ms"


def _indices(*ops: Op | None) -> str:
    return ", ".join(str(op.index) for op in ops if op is not None and op.index >= 0)


def _first(invoke: Op | None, completion: Op | None) -> Op:
    op = invoke if invoke is not None else completion
    assert op is not None, "a pair has at least one record"
    return op


def _client_box(invoke: Op | None, completion: Op | None) -> _Box:
    first = _first(invoke, completion)
    start = first.time
    end = completion.time if completion is not None else None
    kind = "open" if completion is None else completion.type
    node = next((op.node for op in (invoke, completion) if op is not None and op.node), None)
    label = first.f
    if invoke is not None and invoke.value is not None:
        label += " " + _show(invoke.value, _LABEL_CHARS)
    if (
        completion is not None
        and completion.type == "ok"
        and completion.value is not None
        and (invoke is None or completion.value != invoke.value)
    ):
        label += " → " + _show(completion.value, _LABEL_CHARS)
    lines = [f"process {first.process}" + (f" · node {node}" if node else "")]
    lines.append(f"f: {first.f}" + (" (final)" if first.final else ""))
    if invoke is not None:
        lines.append(f"invoked: {_show(invoke.value, _TITLE_CHARS)}")
    if completion is None:
        lines.append("result: none, still in flight when the history ended")
    else:
        lines.append(f"result: {kind} {_show(completion.value, _TITLE_CHARS)}")
        if completion.error is not None:
            lines.append(f"error: {_show(completion.error, _TITLE_CHARS)}")
    lines.append(_times(start, end))
    lines.append(f"history index {_indices(invoke, completion)}")
    anchor = (completion or first).index
    return _Box(start, end, kind, label, "\n".join(lines), anchor)


def _nemesis_box(asked: Op, done: Op | None) -> _Box:
    end = done.time if done is not None else None
    shown = done.value if done is not None else asked.value
    label = asked.f if shown is None else f"{asked.f} {_show(shown, _LABEL_CHARS)}"
    lines = ["nemesis" + (f" · node {asked.node}" if asked.node else ""), f"f: {asked.f}"]
    lines.append(f"asked: {_show(asked.value, _TITLE_CHARS)}")
    if done is None:
        lines.append("done: nothing recorded, still under way when the history ended")
    else:
        lines.append(f"done: {_show(done.value, _TITLE_CHARS)}")
        if done.error is not None:
            lines.append(f"error: {_show(done.error, _TITLE_CHARS)}")
    lines.append(_times(asked.time, end, "took"))
    lines.append(f"history index {_indices(asked, done)}")
    kind = "nem" if done is not None else "open"
    return _Box(asked.time, end, kind, label, "\n".join(lines), (done or asked).index)


def _process_key(process: int | str) -> tuple[int, int, str]:
    if isinstance(process, int):
        return (0, process, "")
    return (1, 0, str(process))


# ---------------------------------------------------------------------------
# The time axis


class _Axis:
    """Maps history time (ns) to pixels down the page: piecewise linear, with
    idle stretches shrunk to fixed breaks."""

    def __init__(self, knots: list[tuple[int, float]], breaks: set[int]) -> None:
        self.knots = knots
        self.times = [t for t, _ in knots]
        self.breaks = breaks  # indices i of knots where [i, i + 1] is a break
        self.height = knots[-1][1]

    def y(self, t: int) -> float:
        i = bisect_right(self.times, t) - 1
        if i < 0:
            return self.knots[0][1]
        if i >= len(self.knots) - 1:
            return self.knots[-1][1]
        (t0, y0), (t1, y1) = self.knots[i], self.knots[i + 1]
        return y0 + (y1 - y0) * (t - t0) / (t1 - t0)

    def segments(self) -> Iterable[tuple[int, float, int, float, bool]]:
        for i in range(len(self.knots) - 1):
            (t0, y0), (t1, y1) = self.knots[i], self.knots[i + 1]
            yield t0, y0, t1, y1, i in self.breaks


def _busy(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of the spans, as disjoint sorted spans."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _layout(lo: int, hi: int, busy: list[tuple[int, int]], scale: float) -> _Axis:
    knots: list[tuple[int, float]] = [(lo, 0.0)]
    breaks: set[int] = set()
    idle_from = lo
    # A line's worth of time stays before each break, for the last boxes stretched to a line.
    keep = math.ceil(_LINE_PX / scale)
    for start, end in [*busy, (hi, hi)]:
        if (start - idle_from) * scale > _IDLE_PX and start - idle_from > keep:
            idle_from += keep
            t, y = knots[-1]
            y_from = y + (idle_from - t) * scale
            if idle_from > t:
                knots.append((idle_from, y_from))
            breaks.add(len(knots) - 1)
            knots.append((start, y_from + _BREAK_PX))
        idle_from = max(idle_from, end)
    t, y = knots[-1]
    if hi > t:
        knots.append((hi, y + (hi - t) * scale))
    return _Axis(knots, breaks)


def _axis(lo: int, hi: int, columns: Sequence[Sequence[_Box]]) -> _Axis:
    """An axis on which a typical gap between a process's operations is one line."""
    gaps = [
        b.start - a.start for column in columns for a, b in pairwise(column) if b.start > a.start
    ]
    span = hi - lo
    scale = _LINE_PX / statistics.median(gaps) if gaps else _MIN_HEIGHT_PX / span
    scale = min(scale, _MAX_PX_PER_S / _NS_PER_S)
    busy = _busy((b.start, hi if b.end is None else b.end) for col in columns for b in col)
    axis = _layout(lo, hi, busy, scale)
    # Shrinking the scale can turn breaks back into linear stretches, hence a few rounds.
    for _ in range(4):
        if _MIN_HEIGHT_PX <= axis.height <= _MAX_HEIGHT_PX:
            break
        target = _MIN_HEIGHT_PX if axis.height < _MIN_HEIGHT_PX else _MAX_HEIGHT_PX
        scale *= target / axis.height
        axis = _layout(lo, hi, busy, scale)
    return axis


def _tick_step(axis: _Axis) -> int:
    """The smallest round step (ns) at which ticks on the linear stretches are
    at least ``_TICK_PX`` apart."""
    scale = max(
        ((y1 - y0) / (t1 - t0) for t0, y0, t1, y1, brk in axis.segments() if not brk),
        default=0.0,
    )
    if scale <= 0:
        return _NS_PER_S
    wanted = _TICK_PX / scale
    step = 10 ** math.floor(math.log10(wanted))
    for mult in (1, 2, 5, 10):
        if step * mult >= wanted:
            return max(1, int(step * mult))
    return max(1, int(step * 10))


def _tick_label(t: int, step: int) -> str:
    decimals = max(0, -math.floor(math.log10(step / _NS_PER_S))) if step < _NS_PER_S else 0
    return f"{t / _NS_PER_S:.{decimals}f} s"


# ---------------------------------------------------------------------------
# The page


def _boxes_html(
    boxes: Sequence[_Box], axis: _Axis, hi: int, out: list[str], width_px: int | None = None
) -> None:
    """Append the boxes of one column (``width_px`` wide, else the column's width).

    A box shorter than a line of text grows to one line when the next box of
    its column leaves room, so that instantaneous operations stay legible.
    With ``width_px`` (the nemesis column, whose steps are few and often
    simultaneous), boxes are stacked instead, each below the previous one.
    """
    stack = width_px is not None
    tops = [round(axis.y(b.start)) for b in boxes]
    width = "" if width_px is None else f"right:auto;width:{width_px}px;"
    floor = 0
    for i, box in enumerate(boxes):
        top = tops[i]
        height = round(axis.y(hi if box.end is None else box.end)) - top
        if stack:
            shift = max(0, floor - top)
            top += shift
            height = max(height - shift, _LINE_PX)
            floor = top + height + 1
        elif height < _LINE_PX:
            next_top = tops[i + 1] if i + 1 < len(boxes) else round(axis.height) + _LINE_PX
            height = max(height, min(_LINE_PX, next_top - top - 1))
        height = max(height, _MIN_BOX_PX)
        anchor = f'id="i{box.anchor}" ' if box.anchor >= 0 else ""
        # Text in a box shorter than a line would be cut in half and run into
        # its neighbours: such a box shows its details on hover only.
        label = _esc(box.label) if height >= _LINE_PX else ""
        out.append(
            f'<div {anchor}class="o {box.kind}" '
            f'style="{width}top:{top}px;height:{height}px" '
            f'title="{_esc(box.title)}">{label}</div>\n'
        )


def _lanes(periods: Sequence[FaultPeriod], hi: int) -> list[int]:
    """A lane per period, so that overlapping periods are drawn side by side."""
    lane_ends: list[int] = []
    lanes: list[int] = []
    for p in periods:
        end = hi if p.end is None else p.end
        lane = next((i for i, e in enumerate(lane_ends) if e < p.start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        else:
            lane_ends[lane] = end
        lanes.append(lane)
    return lanes


def _period_title(p: FaultPeriod) -> str:
    end = "still in force when the history ended" if p.end is None else _seconds(p.end)
    name = faults.label(p.fault)
    lines = [name + (f" of {p.node}" if p.node else ""), f"from {_seconds(p.start)}"]
    lines.append(f"until {end}")
    if p.end is not None:
        lines.append(f"lasting {(p.end - p.start) / _NS_PER_S:.3f} s")
    if p.detail is not None:
        lines.append(f"detail: {_show(p.detail, _TITLE_CHARS)}")
    return "\n".join(lines)


def _column_width(count: int, lanes: int) -> int:
    """Columns that share the width of a window between ``count`` of them."""
    room = _PAGE_PX - _GUTTER_PX - lanes * _LANE_PX - 8
    return max(_MIN_COLUMN_PX, min(_MAX_COLUMN_PX, room // max(1, count)))


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where things go across the page, in pixels."""

    columns: int  # client columns
    width: int  # of each column
    lanes: int  # fault period lanes in the nemesis column

    def left(self, column: int) -> int:
        return _GUTTER_PX + column * self.width

    @property
    def nemesis_left(self) -> int:
        return self.left(self.columns)

    @property
    def nemesis_width(self) -> int:
        return self.width + self.lanes * _LANE_PX

    @property
    def page_width(self) -> int:
        return self.nemesis_left + self.nemesis_width + 8


def render_timeline(history: Sequence[Op], title: str) -> str:
    """The HTML of the timeline of ``history``, titled ``title``."""
    operations = paired(history)
    # Completions nobody invoked (hand-written histories) are drawn too.
    pairs = [p for p in operations if is_client(_first(*p))]
    total = len(pairs)
    if total > OP_LIMIT:
        pairs = sorted(pairs, key=lambda p: _first(*p).time)[:OP_LIMIT]
    columns: dict[int | str, list[_Box]] = {}
    nodes: dict[int | str, str] = {}
    for invoke, completion in pairs:
        first = _first(invoke, completion)
        columns.setdefault(first.process, []).append(_client_box(invoke, completion))
        if first.node and first.process not in nodes:
            nodes[first.process] = first.node
    processes = sorted(columns, key=_process_key)
    client_columns = [sorted(columns[p], key=lambda b: b.start) for p in processes]
    steps = sorted(
        (
            _nemesis_box(asked, done)
            for asked, done in operations
            if asked is not None and not is_client(asked)
        ),
        key=lambda b: b.start,
    )
    periods = fault_periods(history)

    times = [op.time for op in history]
    lo = min(0, min(times, default=0))
    hi = max(lo + 1, max(times, default=0))
    axis = _axis(lo, hi, [*client_columns, steps])
    lanes = _lanes(periods, hi)
    lane_count = max(lanes, default=-1) + 1
    layout = _Layout(len(processes), _column_width(len(processes) + 1, lane_count), lane_count)

    out: list[str] = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{_esc(title)}</title>\n<link rel="icon" href="data:,">\n'
        f"<style>{_STYLE}{_fault_style()}</style>\n</head>\n<body>\n<header>\n<h1>{_esc(title)}</h1>\n"
        f"<p>{counted(len(pairs), 'client operation')} by "
        f"{counted(len(processes), 'process', 'processes')}, "
        f"{counted(len(steps), 'nemesis step')}, over {(hi - lo) / _NS_PER_S:.3f} s.</p>\n"
    ]
    if total > len(pairs):
        out.append(
            f'<p class="note"><strong>Only the first {len(pairs)} of {total} client '
            "operations are drawn.</strong></p>\n"
        )
    out.append(
        f'<p class="legend">{_LEGEND}{_fault_legend()}</p>\n'
        '<p class="note">Time runs downwards. Each box spans an operation from its invocation '
        "to its completion; hover it for the details. Boxes shorter than a line of text are "
        "stretched to one line where there is room (else they show no text), at most "
        f"{_MAX_PX_PER_S} pixels stand for a second, and stretches of time with nothing in "
        "flight are shortened to a marked break. Faults are shaded across the columns of the "
        "clients they affect, and drawn as bars beside the nemesis steps.</p>\n</header>\n"
    )
    _heads_html(processes, client_columns, nodes, steps, periods, layout, out)
    height = math.ceil(axis.height) + _LINE_PX + 8
    out.append(f'<div class="tl" style="width:{layout.page_width}px;height:{height}px">\n')
    _ticks_html(axis, out)
    _bands_html(periods, [nodes.get(p) for p in processes], axis, hi, layout, out)
    for i, column in enumerate(client_columns):
        out.append(f'<div class="col" style="left:{layout.left(i)}px;width:{layout.width}px">\n')
        _boxes_html(column, axis, hi, out)
        out.append("</div>\n")
    out.append(
        f'<div class="col" style="left:{layout.nemesis_left}px;width:{layout.nemesis_width}px">\n'
    )
    _boxes_html(steps, axis, hi, out, width_px=layout.width - 4)
    for p, lane in zip(periods, lanes, strict=True):
        top = round(axis.y(p.start))
        bottom = round(axis.y(hi if p.end is None else p.end))
        kind = p.fault if p.fault in faults.FAULTS else "nem"
        out.append(
            f'<div class="per {kind}" style="left:{layout.width + lane * _LANE_PX}px;top:{top}px;'
            f'height:{max(_MIN_BOX_PX, bottom - top)}px" title="{_esc(_period_title(p))}"></div>\n'
        )
    out.append("</div>\n</div>\n</body>\n</html>\n")
    return "".join(out)


def _heads_html(
    processes: Sequence[int | str],
    client_columns: Sequence[Sequence[_Box]],
    nodes: dict[int | str, str],
    steps: Sequence[_Box],
    periods: Sequence[FaultPeriod],
    layout: _Layout,
    out: list[str],
) -> None:
    """The column headings, which stay in view while the page scrolls."""
    out.append(f'<div class="heads" style="width:{layout.page_width}px">\n')
    for i, process in enumerate(processes):
        node = nodes.get(process)
        count = len(client_columns[i])
        tip = (
            f"process {process}"
            + (f", node {node}" if node else "")
            + f": {counted(count, 'operation')}"
        )
        out.append(
            f'<div class="h" style="left:{layout.left(i)}px;width:{layout.width}px" '
            f'title="{_esc(tip)}">{_esc(str(process))}<small>{_esc(node or "")}</small></div>\n'
        )
    out.append(
        f'<div class="h" style="left:{layout.nemesis_left}px;width:{layout.nemesis_width}px" '
        f'title="{len(steps)} nemesis steps, {len(periods)} fault periods">'
        f"{NEMESIS}<small>faults</small></div>\n</div>\n"
    )


def _ticks_html(axis: _Axis, out: list[str]) -> None:
    """Time ticks on the linear stretches, and the breaks between them."""
    step = _tick_step(axis)
    for t0, y0, t1, y1, brk in axis.segments():
        if brk:
            out.append(
                f'<div class="brk" style="top:{round(y0)}px;height:{round(y1 - y0)}px" '
                f'title="nothing in flight from {_seconds(t0)} to {_seconds(t1)}">'
                f"≈ {(t1 - t0) / _NS_PER_S:.3f} s with nothing in flight</div>\n"
            )
            continue
        tick = math.ceil(t0 / step) * step
        while tick <= t1:
            out.append(
                f'<div class="tick" style="top:{round(axis.y(tick))}px">'
                f"<span>{_tick_label(tick, step)}</span></div>\n"
            )
            tick += step


def _bands_html(
    periods: Sequence[FaultPeriod],
    column_nodes: Sequence[str | None],
    axis: _Axis,
    hi: int,
    layout: _Layout,
    out: list[str],
) -> None:
    """Shade each fault period behind the clients it affects: a node's clients for
    a kill or a pause, every client for a network fault."""
    for p in periods:
        if p.fault not in faults.FAULTS:
            continue
        top = round(axis.y(p.start))
        height = max(1, round(axis.y(hi if p.end is None else p.end)) - top)
        if p.node is None:
            spans = [(layout.left(0), layout.nemesis_left - layout.left(0))]
        else:
            spans = [
                (layout.left(i), layout.width)
                for i, node in enumerate(column_nodes)
                if node == p.node
            ]
        for left, width in spans:
            out.append(
                f'<div class="band {p.fault}" style="left:{left}px;width:{width}px;'
                f'top:{top}px;height:{height}px"></div>\n'
            )


def write_timeline(path: Path, history: Sequence[Op], title: str) -> None:
    """Write the timeline of ``history`` to ``path`` (``timeline.html``)."""
    # Lone surrogates can come from JSON strings; they cannot be encoded as UTF-8.
    path.write_text(render_timeline(history, title), encoding="utf-8", errors="backslashreplace")


__all__ = ["OP_LIMIT", "render_timeline", "write_timeline"]
