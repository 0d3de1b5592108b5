"""Findings beyond Maelstrom: checks Maelstrom does not make, reported apart.

Maelstrom's verdict is the bench's verdict. Some histories that Maelstrom
accepts still show a node doing something wrong: a counter read mid-test that
no sequence of adds could give, or an add the node refused with a definite
error that the final reads count anyway. Each such check is a *finding*: a
function of the run that returns ``{valid, explanation, evidence,
...details}`` (the explanation is one sentence a learner can act on; the
evidence, one line per operation or message that shows it), or None when it
does not apply. ``results.json`` lists them under ``beyond_maelstrom``; they change the
verdict only with ``--strict``.

A new finding is one decorated function::

    @finding("src_mismatch")
    def src_mismatch(run: FindingInput) -> dict[str, Any] | None:
        ...

``FindingInput.facts`` carries what the run observed beyond the history (the
network, say); a finding that needs a fact reads it from there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from glomers.bench import checker
from glomers.bench.history import Op

COUNTERS = ("g-counter", "pn-counter")


@dataclass(frozen=True, slots=True)
class FindingInput:
    """What a finding may look at: the workload's name, the history, and facts
    the run gathered outside the history, by name."""

    workload: str
    history: Sequence[Op]
    facts: Mapping[str, Any] = field(default_factory=dict)


Finding = Callable[[FindingInput], dict[str, Any] | None]

#: Every finding by name, with the workloads it applies to (None: all).
REGISTRY: dict[str, tuple[Collection[str] | None, Finding]] = {}


def finding(name: str, workloads: Collection[str] | None = None) -> Callable[[Finding], Finding]:
    """Register a finding under ``name``, for ``workloads`` (default: every one)."""

    def register(check: Finding) -> Finding:
        REGISTRY[name] = (workloads, check)
        return check

    return register


def beyond_maelstrom(run: FindingInput) -> dict[str, dict[str, Any]]:
    """Every finding that applies to ``run``, by name. A finding that raises
    gives ``unknown``, like a checker."""
    results: dict[str, dict[str, Any]] = {}
    for name, (workloads, check) in REGISTRY.items():
        if workloads is not None and run.workload not in workloads:
            continue
        result = checker.guarded(partial(_apply, check, run))
        if result:
            result.setdefault("explanation", f"The {name} check could not be made.")
            results[name] = result
    return results


def _apply(check: Finding, run: FindingInput) -> dict[str, Any]:
    return check(run) or {}


def validity(findings: Mapping[str, Mapping[str, Any]]) -> checker.Validity:
    """The findings' verdict together (what ``--strict`` adds to Maelstrom's)."""
    return checker.merge_valid(result["valid"] for result in findings.values())


@finding("definite_errors", COUNTERS)
def definite_errors(run: FindingInput) -> dict[str, Any]:
    return checker.definite_errors(run.history)


@finding("read_lag", COUNTERS)
def read_lag(run: FindingInput) -> dict[str, Any]:
    result = checker.read_lag(run.history)
    bad = len(result["too_high"]) + len(result["too_low"])
    if bad:
        explanation = (
            f"{bad} read{'s' if bad > 1 else ''} returned a value no counter could have had: "
            "above the sum of every positive add invoked before it, or below the sum of every "
            "negative one (Maelstrom checks only the final reads)."
        )
    else:
        explanation = (
            "Every read, final or not, lies within the values the adds invoked before it allow; "
            "the figures say how far behind the acknowledged adds reads were."
        )
    evidence = [
        f"{r['node']} (process {r['process']}): read {r['value']} at {r['time'] / 1e9:.3f} s, "
        f"{side} any value the adds invoked before it allow ({r['bound']})"
        for side, key in (("above", "too_high"), ("below", "too_low"))
        for r in result[key]
    ]
    return {"valid": result["valid"], "explanation": explanation, "evidence": evidence} | {
        k: v for k, v in result.items() if k != "valid"
    }


@finding("wrong_src")
def wrong_src(run: FindingInput) -> dict[str, Any] | None:
    sent: Mapping[tuple[str, str], Mapping[str, Any]] = run.facts.get("wrong_src") or {}
    if not sent:
        return None
    evidence = [
        f"{s['node']} sent {s['count']} message{'s' if s['count'] > 1 else ''} with src "
        f"{s['src']!r}, e.g. {s['example']}"
        for s in sent.values()
    ]
    return {
        "valid": False,
        "explanation": "A node sent messages with another id as their src; Maelstrom routes "
        "them, but replies then go to that other id, so a node should always send as itself.",
        "evidence": evidence,
        "messages": [dict(s) for s in sent.values()],
    }
