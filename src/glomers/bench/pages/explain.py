"""Why a checker result is what it is, in words, written once for every page.

``reasons`` turns one checker result into sentences: the generic part here
(the errors a checker lists, operations that never succeeded, an availability
target missed), the workload's own from its ``Workload.reasons``. The console
summary (``why``), ``report.html`` (every reason) and ``glomers fuzz``
(``failure``, one line per seed) all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glomers.bench.pages.html import json_text
from glomers.bench.workloads import Workload


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: where it happened (``"n1 (process 3): "``, or empty) and what."""

    where: str
    text: str

    def __str__(self) -> str:
        return self.where + self.text


def workload_of(results: Mapping[str, Any]) -> Workload:
    """The workload of a run, from its flags (one that adds nothing if unknown)."""
    # Imported here: the registry imports the workloads, which use ``Reason``.
    from glomers.bench.workloads.registry import for_pages

    flags = results.get("flags")
    return for_pages(flags.get("workload") if isinstance(flags, Mapping) else None)


def where(item: Mapping[str, Any]) -> str:
    """``"n1 (process 3): "`` for an item naming a node and a process, or what it names."""
    node, process = item.get("node"), item.get("process")
    parts = [] if node is None else [str(node)]
    if process is not None:
        parts.append(f"process {process}")
    if not parts:
        return ""
    return f"{parts[0]} ({parts[1]}): " if len(parts) == 2 else f"{parts[0]}: "


def reasons(name: str, result: Mapping[str, Any], workload: Workload) -> list[Reason]:
    """Each reason the checker result ``name`` gives, in the order the checker gives them."""
    found = _listed(result)
    found += workload.reasons(name, result)
    by_f = result.get("by_f")
    if isinstance(by_f, Mapping):
        found += [
            Reason("", never_succeeded(f, s))
            for f, s in by_f.items()
            if isinstance(s, Mapping) and s.get("valid") is False
        ]
    if "ok_fraction" in result and "target" in result:
        found.append(
            Reason(
                "",
                f"{pct(result['ok_fraction'])} of operations were ok, below the "
                f"--availability target {json_text(result['target'])}",
            )
        )
    if not found:
        found.append(
            Reason("", json_text({k: v for k, v in result.items() if k != "valid"}, 1_000))
        )
    return found


def never_succeeded(f: str, counts: Mapping[str, Any]) -> str:
    """Why stats failed for ``f``, and whether any node program could have helped."""
    attempted = counts.get("count", 0)
    text = f"no {f} operation succeeded ({attempted} attempted)"
    down, whole = counts.get("sent_while_down"), counts.get("down_whole_wait")
    if not isinstance(down, int) or not isinstance(whole, int) or down == 0:
        return text
    if whole >= attempted:
        return (
            f"{text}, and none could have: each went to a node that was down (killed or "
            "paused) for the whole time its client waited"
        )
    text += f"; {down} of them were sent to a node while it was down (killed or paused)"
    if whole:
        text += f", {whole} to one that stayed down for the whole time its client waited"
    return text


def schedule_decided(results: Mapping[str, Any]) -> bool:
    """Whether the only thing wrong with a run is operations that no node program
    could have answered: stats is the one invalid checker, and every operation of
    each ``f`` that never succeeded went to a node down for its whole wait."""
    bad = [k for k, v in results.items() if isinstance(v, Mapping) and v.get("valid") is False]
    by_f = results.get("stats", {}).get("by_f") if bad == ["stats"] else None
    if not isinstance(by_f, Mapping):
        return False
    failed = [s for s in by_f.values() if isinstance(s, Mapping) and s.get("valid") is False]
    return bool(failed) and all(s.get("down_whole_wait", -1) >= s.get("count", 0) for s in failed)


def _listed(result: Mapping[str, Any]) -> list[Reason]:
    """The errors a checker lists: ``error_details``, else ``errors``."""
    found: list[Reason] = []
    for item in result.get("error_details") or result.get("errors") or []:
        if not isinstance(item, Mapping):
            found.append(Reason("", json_text(item, 500)))
            continue
        text = str(item.get("reason") or json_text(item, 500))
        if "received" in item and "expected" in item and "error_details" not in result:
            expected, got = json_text(item["expected"], 200), json_text(item["received"], 200)
            text += f": expected {expected}, got {got}"
        found.append(Reason(where(item), text))
    return found


#: Reasons shown per invalid checker on the console (all are in report.html).
MAX_CONSOLE_REASONS = 5


def why(name: str, result: Mapping[str, Any], workload: Workload) -> str:
    """The console's line on an invalid checker: its first reasons, then how many more."""
    found = reasons(name, result, workload)
    shown = "; ".join(str(r) for r in found[:MAX_CONSOLE_REASONS])
    more = len(found) - MAX_CONSOLE_REASONS
    return shown + (f" (and {more} more)" if more > 0 else "")


#: Reasons ``glomers fuzz`` gives per failing seed, each at most this long.
FUZZ_REASONS, FUZZ_REASON_CHARS = 2, 200


def failure(results: Mapping[str, Any]) -> str:
    """Why a run is not valid, on one line: the checkers that failed, their first
    reasons (without the node, which the replay shows), and under ``--strict``
    the findings beyond Maelstrom that failed."""
    if results.get("error"):
        return str(results["error"]).splitlines()[0]
    workload = workload_of(results)
    bad = [k for k, v in results.items() if isinstance(v, Mapping) and v.get("valid") is False]
    told = [r.text for k in bad for r in reasons(k, results[k], workload)][:FUZZ_REASONS]
    found = results.get("beyond_maelstrom") or {}
    beyond = [k for k, v in found.items() if results.get("strict") and not v.get("valid")]
    return "; ".join(
        [f"{k} invalid" for k in bad]
        + [t if len(t) <= FUZZ_REASON_CHARS else t[:FUZZ_REASON_CHARS] + "..." for t in told]
        + [f"{k} invalid (beyond Maelstrom): {found[k].get('explanation')}" for k in beyond]
    )


def pct(x: float | None) -> str:
    """A fraction as a percentage with one decimal, or ``-``."""
    return "-" if x is None else f"{x:.1%}"
