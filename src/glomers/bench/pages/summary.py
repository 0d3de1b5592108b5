"""What ``glomers test`` prints at the end of a run: how it went and why it is (in)valid.

``summary`` gives the few lines printed after a run; ``verdict_line`` its last
line. The findings beyond Maelstrom, the nodes that broke the protocol and why
operations ended ``info`` are told here too; ``report.html`` reuses these words.
Why a checker failed is worded by ``explain``; the workload adds its own lines
(``Workload.summary_lines``, a counter's final reads and read lag) and any
caveat on a valid verdict (``Workload.caveat``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glomers.bench.pages.explain import pct, why, workload_of
from glomers.bench.words import clipped

VERDICTS = {
    True: "Valid: every checker passed.",
    False: "INVALID: the history breaks what the workload promises (see above).",
    "unknown": "Unknown: the run could not be judged (see above).",
}


def summary(results: dict[str, Any], run_dir: str | None = None) -> str:
    """A few lines that say how the run went and why it is (in)valid."""
    workload = workload_of(results)
    lines = node_error_lines(results)
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
    if not stats.get("count") and stats:
        lines.append("availability: no operation was invoked")
    elif "ok_fraction" in availability:
        flag = "" if availability.get("valid", True) else "  <- below the --availability target"
        lines.append(f"availability: {pct(availability['ok_fraction'])} ok{flag}")
    lines += _exception_lines(results)
    net = results.get("net") or {}
    if net:
        servers = net.get("servers", {})
        every = net.get("all", {})
        lines.append(
            f"messages: {every.get('msg_count', 0)} in all, {servers.get('msg_count', 0)} "
            f"between servers ({per_op(servers)} per op; {per_op(every)} per op in all)"
        )
    lines += workload.summary_lines(results)
    found = findings_of(results)
    for name, result in results.items():
        if isinstance(result, dict) and result.get("valid") is False:
            lines.append(f"{name} is invalid: {why(name, result, workload)}")
    if found or (results.get("strict") and not results.get("error")):
        lines += _findings_lines(results, found)
    if results.get("error"):
        lines.append("")
        lines.append("The run cannot be judged:")
        lines.append(str(results["error"]))
    lines.append("")
    if run_dir:
        lines.append(f"results: {run_dir}")
        if (Path(run_dir) / "report.html").exists():
            lines.append(f"report: {Path(run_dir) / 'report.html'} (all runs: glomers serve)")
    lines.append(verdict_line(results))
    return "\n".join(lines)


def verdict_line(results: Mapping[str, Any]) -> str:
    """The last line of the summary: the verdict, naming what decided it."""
    valid = results.get("valid", "unknown")
    if valid is True:
        caveat = workload_of(results).caveat(results)
        return VERDICTS[True] + (f" But {caveat}." if caveat else "")
    if valid is False:
        failed = [
            name
            for name, result in results.items()
            if isinstance(result, Mapping) and result.get("valid") is False
        ]
        if results.get("strict"):
            failed += [
                f"{name} (beyond Maelstrom)"
                for name, finding in findings_of(results).items()
                if finding.get("valid") is False
            ]
        if failed:
            return f"INVALID: {', '.join(failed)} failed (see above)."
    return VERDICTS.get(valid, VERDICTS["unknown"])


#: Kinds of failure shown per run on the console (all are in results.json).
_MAX_EXCEPTIONS = 3


def _exception_lines(results: Mapping[str, Any]) -> list[str]:
    """Why operations ended ``info``: each kind, how often, and one example."""
    kinds = (results.get("exceptions") or {}).get("exceptions") or []
    lines = []
    for kind in kinds[:_MAX_EXCEPTIONS]:
        example = kind.get("example") or {}
        why = clipped(str(example.get("error", "")), 200)
        lines.append(
            f"info: {kind.get('count')} x {kind.get('class')}, e.g. {example.get('f')} on "
            f"{example.get('node')}: {why}"
        )
    if len(kinds) > _MAX_EXCEPTIONS:
        lines.append(f"info: ... and {len(kinds) - _MAX_EXCEPTIONS} more kinds (see results.json)")
    return lines


def findings_of(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The findings beyond Maelstrom in ``results``, by name (none for older runs)."""
    found = results.get("beyond_maelstrom")
    if not isinstance(found, Mapping):
        return {}
    return {name: f for name, f in found.items() if isinstance(f, Mapping)}


def strict_note(results: Mapping[str, Any]) -> str:
    """Whether the findings beyond Maelstrom took part in the verdict, in words."""
    if results.get("strict"):
        note = "--strict was on: these findings are part of the verdict"
        if results.get("maelstrom_valid") is True and results.get("valid") is not True:
            note += " (Maelstrom's own checkers all pass)"
        return note + "."
    return "--strict was off: these findings are reported but do not change the verdict."


#: Lines of evidence shown per finding on the console (all are in results.json).
_MAX_EVIDENCE = 5


def _findings_lines(
    results: Mapping[str, Any], found: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    lines = ["", f"beyond Maelstrom ({strict_note(results)})"]
    if not found:
        lines.append("  nothing to report")
    for name, finding in found.items():
        valid = finding.get("valid")
        if valid is True:
            lines.append(f"  {name}: passes")
            continue
        word = "INVALID" if valid is False else str(valid)
        text = finding.get("explanation") or finding.get("error") or ""
        lines.append(f"  {name}: {word} (beyond Maelstrom). {text}")
        evidence = [str(e) for e in finding.get("evidence") or []]
        lines += [f"    {e}" for e in evidence[:_MAX_EVIDENCE]]
        if len(evidence) > _MAX_EVIDENCE:
            lines.append(f"    ... and {len(evidence) - _MAX_EVIDENCE} more (see results.json)")
    return lines


def node_error_lines(results: Mapping[str, Any]) -> list[str]:
    """The nodes that broke the protocol, first thing to read about a run."""
    errors = results.get("node_errors") or []
    if not errors:
        return []
    lines = [
        "Nodes broke the protocol; nothing they printed on stdout was read afterwards, "
        "so their later replies are lost:"
    ]
    for error in errors:
        problem = str(error.get("problem", "")).split("\n", 1)[0]
        lines.append(f"  {error.get('node')} at {error.get('time', 0) / 1e9:.3f} s: {problem}")
        lines.append(f"    line: {clipped(str(error.get('line', '')), 200, quote=True)}")
    lines.append("")
    return lines


def per_op(counts: dict[str, Any]) -> str:
    value = counts.get("msgs_per_op")
    return "-" if value is None else f"{value:.2f}"
