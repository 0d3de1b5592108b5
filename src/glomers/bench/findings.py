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

A finding every workload gets is one decorated function here::

    @finding("src_mismatch")
    def src_mismatch(run: FindingInput) -> dict[str, Any] | None:
        ...

A workload's own findings (the counters' read lag, say) live in its module
and come from ``Workload.findings``; they run first.

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


def beyond_maelstrom(
    run: FindingInput, own: Mapping[str, Finding] | None = None
) -> dict[str, dict[str, Any]]:
    """Every finding that applies to ``run``, by name: the workload's ``own``
    first, then those of ``REGISTRY`` for its workload. A finding that raises
    gives ``unknown``, like a checker."""
    applicable = list((own or {}).items()) + [
        (name, check)
        for name, (workloads, check) in REGISTRY.items()
        if workloads is None or run.workload in workloads
    ]
    results: dict[str, dict[str, Any]] = {}
    for name, check in applicable:
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
