"""The readable summary printed at the end of ``glomers test``."""

from __future__ import annotations

from typing import Any

VERDICTS = {
    True: "Valid: every checker passed.",
    False: "INVALID: the history breaks what the workload promises (see above).",
    "unknown": "Unknown: the run could not be judged (see above).",
}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def summary(results: dict[str, Any], run_dir: str | None = None) -> str:
    """A few lines that say how the run went and why it is (in)valid."""
    lines: list[str] = []
    stats = results.get("stats") or {}
    if stats:
        lines.append(
            f"operations: {stats.get('count', 0)} (ok {stats.get('ok_count', 0)}, "
            f"info {stats.get('info_count', 0)}, fail {stats.get('fail_count', 0)})"
        )
        for f, s in sorted((stats.get("by_f") or {}).items()):
            lines.append(
                f"  {f}: {s.get('count', 0)} (ok {s.get('ok_count', 0)}, "
                f"info {s.get('info_count', 0)}, fail {s.get('fail_count', 0)})"
            )
    availability = results.get("availability") or {}
    if "ok_fraction" in availability:
        flag = "" if availability.get("valid", True) else "  <- below the --availability target"
        lines.append(f"availability: {_pct(availability['ok_fraction'])} ok{flag}")
    net = results.get("net") or {}
    if net:
        servers = net.get("servers", {})
        every = net.get("all", {})
        lines.append(
            f"messages: {every.get('msg_count', 0)} in all, {servers.get('msg_count', 0)} "
            f"between servers ({_per_op(servers)} per op; {_per_op(every)} per op in all)"
        )
    workload = results.get("workload") or {}
    if "final_reads" in workload:
        lines.append(f"final reads: {workload['final_reads']}")
        lines.append(f"acceptable: {workload.get('acceptable')}")
    lag = (results.get("read_lag") or {}).get("lag") or {}
    secs = (results.get("read_lag") or {}).get("lag_seconds") or {}
    if lag.get("count"):
        lines.append(
            f"read lag: median {lag['median']}, p99 {lag['p99']}, max {lag['max']} below the "
            f"acknowledged total over {lag['count']} ok reads; in seconds: median "
            f"{secs.get('median', 0):.3f}, p99 {secs.get('p99', 0):.3f}, "
            f"max {secs.get('max', 0):.3f}"
        )
    for name, result in results.items():
        if isinstance(result, dict) and result.get("valid") is False:
            lines.append(f"{name} is invalid: {_why(name, result)}")
    if results.get("error"):
        lines.append("")
        lines.append("The run stopped early:")
        lines.append(str(results["error"]))
    lines.append("")
    if run_dir:
        lines.append(f"results: {run_dir}")
    lines.append(VERDICTS.get(results.get("valid", "unknown"), VERDICTS["unknown"]))
    return "\n".join(lines)


def _per_op(counts: dict[str, Any]) -> str:
    value = counts.get("msgs_per_op")
    return "-" if value is None else f"{value:.2f}"


def _why(name: str, result: dict[str, Any]) -> str:
    details = result.get("error_details")
    if details:
        shown = "; ".join(
            str(d.get("reason", d)) if isinstance(d, dict) else str(d) for d in details[:5]
        )
        more = f" (and {len(details) - 5} more)" if len(details) > 5 else ""
        return shown + more
    if result.get("errors"):
        return f"errors {result['errors'][:5]}"
    if result.get("too_high"):
        return f"reads above every possible value: {result['too_high'][:5]}"
    return ", ".join(f"{k}={v}" for k, v in result.items() if k != "valid")[:500]
