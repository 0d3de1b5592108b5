"""What the counters add to the pages: final reads and acceptable values, read
lag on the console and in ``report.html``, ``read-lag.png``, and reasons for
reads no counter could return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from glomers.bench.history import Op
from glomers.bench.pages.explain import Reason, where
from glomers.bench.pages.html import cell_text, escape, json_text, num, table
from glomers.bench.workloads.counter.read_lag import read_lag_points

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from glomers.bench.pages.plots import Spans

_NS_PER_S = 1_000_000_000


def _read_lag(results: Mapping[str, Any]) -> Mapping[str, Any]:
    found = results.get("beyond_maelstrom")
    lag = found.get("read_lag") if isinstance(found, Mapping) else None
    return lag if isinstance(lag, Mapping) else {}


def summary_lines(results: Mapping[str, Any]) -> list[str]:
    """The final reads, the acceptable values and the read lag, one line each."""
    lines: list[str] = []
    workload = results.get("workload") or {}
    if "final_reads" in workload:
        lines.append(f"final reads: {workload['final_reads']}")
        lines.append(f"acceptable: {workload.get('acceptable')}")
    read_lag = _read_lag(results)
    lag = read_lag.get("lag") or {}
    secs = read_lag.get("lag_seconds") or {}
    if lag.get("count"):
        lines.append(
            f"read lag: median {lag['median']}, p99 {lag['p99']}, max {lag['max']} below the "
            f"acknowledged total over {lag['count']} ok reads; in seconds: median "
            f"{secs.get('median', 0):.3f}, p99 {secs.get('p99', 0):.3f}, "
            f"max {secs.get('max', 0):.3f}"
        )
    return lines


def unchecked_reads(results: Mapping[str, Any]) -> str | None:
    """Why a valid counter run proves less than it seems: no final read was checked."""
    workload = results.get("workload") or {}
    if "final_reads" not in workload or workload.get("final_reads"):
        return None
    attempted = ((results.get("stats") or {}).get("by_f") or {}).get("read", {}).get("count")
    return "no final read succeeded, so no read was checked" + (
        "" if attempted is None else f" ({attempted} reads in all)"
    )


def bound_reasons(result: Mapping[str, Any]) -> list[Reason]:
    """Reads above or below any value the counter could have had (``too_high`` and
    ``too_low``, as ``read_lag`` lists them)."""
    found: list[Reason] = []
    for key, side in (("too_high", "above"), ("too_low", "below")):
        for item in result.get(key) or []:
            if not isinstance(item, Mapping):
                found.append(Reason("", json_text(item, 500)))
                continue
            at = item.get("time")
            when = f" at {at / _NS_PER_S:.3f} s" if isinstance(at, int | float) else ""
            found.append(
                Reason(
                    where(item),
                    f"read {json_text(item.get('value'), 200)}{when}, {side} any value the "
                    f"counter could have had ({json_text(item.get('bound'), 200)})",
                )
            )
    return found


def ranges(acceptable: Any) -> str:
    """Acceptable counter values as text: ``[[3, 3], [5, 7]]`` gives ``3, 5 to 7``."""
    if not isinstance(acceptable, list):
        return json_text(acceptable)
    parts = []
    for r in acceptable:
        if isinstance(r, list) and len(r) == 2:
            parts.append(str(r[0]) if r[0] == r[1] else f"{r[0]} to {r[1]}")
        else:
            parts.append(json_text(r))
    return ", ".join(parts) if parts else "none"


def final_read_rows(workload: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The report's rows for the final reads and the values they could have had."""
    if "final_reads" not in workload:
        return []
    reads = workload["final_reads"]
    if isinstance(reads, list) and reads and all(r == reads[0] for r in reads):
        shown: Any = f"{cell_text(reads[0])} on all {len(reads)}"
    else:
        shown = reads
    return [("final reads", shown), ("acceptable values", ranges(workload.get("acceptable")))]


def read_lag_html(results: Mapping[str, Any]) -> str:
    """The report's read-lag table, and the worst read."""
    read_lag = _read_lag(results)
    lag = read_lag.get("lag") or {}
    secs = read_lag.get("lag_seconds") or {}
    if not lag.get("count"):
        return ""
    keys = ("min", "median", "p90", "p99", "max")
    rows = [["counter units", *(num(lag.get(k)) for k in keys)]]
    rows.append(["seconds", *(num(secs.get(k)) for k in keys)])
    out = "<h3>Read lag</h3>\n"
    out += (
        f"<p>How far below the acknowledged total each of the {lag['count']} ok reads was "
        f"({read_lag.get('lagging_reads', 0)} below it), and for how long that total had "
        "been above what they read. Decrements a read may have seen before they were "
        "acknowledged are not counted as lag. A good counter keeps the median at 0 and the "
        "seconds near its own staleness bound; seconds as long as the run mean a read "
        "missed adds acknowledged long before.</p>\n"
    )
    out += table(["", *keys], rows, range(1, 6))
    worst = read_lag.get("worst")
    if isinstance(worst, Mapping):
        at = worst.get("time")
        when = f" at {at / _NS_PER_S:.3f} s" if isinstance(at, int | float) else ""
        final = " (a final read)" if worst.get("final") else ""
        out += (
            f"<p>Worst: {escape(where(worst))}read {escape(cell_text(worst.get('value')))}{when}"
            f"{final}, {escape(cell_text(worst.get('lag')))} below the acknowledged "
            f"{escape(cell_text(worst.get('known')))}.</p>\n"
        )
    return out


def draw_read_lag(
    history: Sequence[Op], workload: str, duration: float, width: float, spans: Spans
) -> Figure:
    """``read-lag.png``: each ok read's lag in counter units (top) and seconds
    (bottom) against its invocation time; final reads as larger dark crosses."""
    # Imported here: loading the pages' plotting is only for runs that draw.
    from glomers.bench.pages.plots import TYPE_COLORS, Scatter, time_scatter

    reads = read_lag_points(history)
    series = []
    for final, marker, size, color in (
        (False, "o", 2.5, TYPE_COLORS["ok"]),
        (True, "X", 6.0, "#202020"),
    ):
        chosen = [r for r in reads if bool(r["final"]) is final]
        series.append(
            Scatter(
                "final read" if final else "read ok",
                [r["time"] / _NS_PER_S for r in chosen],
                ([r["lag"] for r in chosen], [r["lag_seconds"] for r in chosen]),
                marker,
                size,
                color,
                3 if final else 2,
            )
        )
    return time_scatter(
        f"{workload} read lag behind acknowledged adds",
        ("Lag (units)", "Lag (s)"),
        duration,
        spans,
        series,
        "no ok reads with a counter value",
    )
