"""The counters' verdicts: Maelstrom's check of the final reads, and its
strict re-check beyond Maelstrom.

- ``counter_checker``: Maelstrom's g-counter / pn-counter checker, on the
  final reads;
- ``definite_errors``: the final reads again, with adds that got a definite
  error taken as not applied, as the error promises (a finding beyond
  Maelstrom: it decides the verdict only with ``--strict``).
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import portion

from glomers.bench.checker import Operation, operations
from glomers.bench.history import Op
from glomers.errors import code_label, is_definite


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer a counter could hold (``true`` is not one)."""
    # bool is an int subclass, but a read of `true` is not a counter value.
    return isinstance(value, int) and not isinstance(value, bool)


def add_delta(operation: Operation) -> int:
    """The delta of an add: what was asked, else what the completion echoes."""
    for op in (operation.invoke, operation.completion):
        if op is not None and is_int(op.value):
            value: int = op.value
            return value
    raise ValueError(
        f"add of process {operation.process!r} has no integer delta "
        f"(invoke value {getattr(operation.invoke, 'value', None)!r}); the history is malformed"
    )


class _IntRangeSet:
    """A set of integers kept as disjoint ranges, on top of ``portion``.

    ``portion`` works on the reals, where closed [1, 2] and [3, 4] do not touch
    and would stay apart although together they hold every integer from 1 to 4.
    So, as Maelstrom does with Guava, the integers lo..hi are stored as the
    *open* real interval (lo - 1, hi + 1): two integer ranges with no integer
    between them then overlap and merge, and ranges with a gap stay apart since
    the shared endpoint is excluded from both. (portion's discrete intervals
    would also do, but the library calls them experimental.)
    """

    def __init__(self, value: int) -> None:
        self._ranges: Any = portion.open(value - 1, value + 1)

    def union_shifted(self, delta: int) -> None:
        """Become the union of ``self`` and ``self + delta``."""
        shifted = [
            portion.open(atomic.lower + delta, atomic.upper + delta) for atomic in self._ranges
        ]
        # One constructor call sorts and merges everything in a single pass.
        self._ranges = portion.Interval(self._ranges, *shifted)

    def ranges(self) -> list[tuple[int, int]]:
        """The closed integer ranges, lowest first."""
        return [(int(a.lower) + 1, int(a.upper) - 1) for a in self._ranges]


def acceptable_counter_values(definite_sum: int, indefinite: Iterable[int]) -> list[list[int]]:
    """The values a counter may read: ``definite_sum`` plus any sub-multiset of
    the ``indefinite`` deltas, as closed ``[lo, hi]`` ranges.

    Equal deltas are grouped: k adds of d can contribute d·j for any j in 0..k,
    and splitting k into 1, 2, 4, ... plus a remainder gives every such j from
    O(log k) shifts. The result is the same set as applying every delta one by
    one, but k info adds of one delta cost O(k) range work instead of O(k²).
    """
    acceptable = _IntRangeSet(definite_sum)
    for delta, count in sorted(Counter(indefinite).items()):
        if delta == 0:
            continue
        chunk = 1
        while count > 0:
            take = min(chunk, count)
            acceptable.union_shifted(delta * take)
            count -= take
            chunk *= 2
    return [[lo, hi] for lo, hi in acceptable.ranges()]


def _explain_bad_read(value: Any, acceptable: list[list[int]]) -> dict[str, Any]:
    """Where a final read falls relative to the acceptable ranges, in words."""
    if not is_int(value):
        return {
            "expected": acceptable,
            "nearest_below": None,
            "nearest_above": None,
            "reason": f"read value {value!r} is not an integer",
        }
    below = [r for r in acceptable if r[1] < value]
    above = [r for r in acceptable if r[0] > value]
    low = below[-1] if below else None
    high = above[0] if above else None
    if low is None and high is not None:
        reason = f"missing {high[0] - value}: read {value}, lowest acceptable value is {high[0]}"
    elif high is None and low is not None:
        reason = f"{value - low[1]} too many: read {value}, highest acceptable value is {low[1]}"
    elif low is not None and high is not None:
        reason = (
            f"read {value} falls between acceptable ranges: {value - low[1]} too many "
            f"for [{low[0]}, {low[1]}], or missing {high[0] - value} for [{high[0]}, {high[1]}]"
        )
    else:  # pragma: no cover - the acceptable set is never empty
        reason = f"read {value} is not acceptable"
    return {
        "expected": [r for r in (low, high) if r is not None],
        "nearest_below": low[1] if low is not None else None,
        "nearest_above": high[0] if high is not None else None,
        "reason": reason,
    }


def counter_checker(history: Sequence[Op]) -> dict[str, Any]:
    """Maelstrom's g-counter / pn-counter checker.

    Let S be the sum of the deltas of the adds that completed ``ok``. Every
    ``info`` add (and every add that never completed) may or may not have taken
    effect, so the acceptable values are S plus the sum of any subset of their
    deltas; ``fail`` adds certainly did not happen and are ignored. The history
    is valid iff every ``ok`` final read (``final=True``, ``f == "read"``) is
    acceptable.

    Returns ``valid``; ``errors``, the offending final read values (as
    Maelstrom); ``error_details``, one dict per error with ``node``,
    ``process``, ``value``, ``expected`` (the acceptable ranges next to the
    value), ``nearest_below`` / ``nearest_above`` and a ``reason`` such as
    "missing 3" or "2 too many"; ``final_reads``, the values of all ``ok``
    final reads; ``acceptable``, closed ``[lo, hi]`` ranges; ``definite_sum``
    (S); ``indefinite_adds``, how many adds were uncertain; and ``warnings``,
    e.g. when no final read succeeded. Like Maelstrom, a history without any
    ``ok`` final read is valid; the warning says so.

    Raises ``ValueError`` if an add carries no integer delta.
    """
    history = list(history)
    ops = operations(history)
    definite_sum = 0
    indefinite: list[int] = []
    for operation in ops:
        if operation.f != "add" or operation.outcome == "fail":
            continue
        if operation.outcome == "ok":
            definite_sum += add_delta(operation)
        else:
            indefinite.append(add_delta(operation))
    acceptable = acceptable_counter_values(definite_sum, indefinite)
    acceptable_set = [(lo, hi) for lo, hi in acceptable]

    def is_acceptable(value: Any) -> bool:
        if not is_int(value):
            return False
        i = bisect_right(acceptable_set, (value, math.inf)) - 1
        return i >= 0 and acceptable_set[i][0] <= value <= acceptable_set[i][1]

    final = [op for op in ops if op.f == "read" and op.final]
    # Listed in the order they completed, as Maelstrom lists them.
    position = {id(op): i for i, op in enumerate(history)}
    final_ok = sorted(
        ((op, op.completion) for op in final if op.completion is not None and op.outcome == "ok"),
        key=lambda pair: position[id(pair[1])],
    )
    final_reads = [completion.value for _, completion in final_ok]
    errors: list[Any] = []
    details: list[dict[str, Any]] = []
    for op, completion in final_ok:
        value = completion.value
        if is_acceptable(value):
            continue
        errors.append(value)
        details.append(
            {"node": op.node, "process": op.process, "value": value}
            | _explain_bad_read(value, acceptable)
        )

    warnings: list[str] = []
    if not final_ok:
        warnings.append(f"no final read succeeded ({len(final)} attempted), so no read was checked")
    elif len(final_ok) < len(final):
        warnings.append(
            f"{len(final) - len(final_ok)} of {len(final)} final reads did not succeed "
            "and were not checked"
        )
    return {
        "valid": not errors,
        "errors": errors,
        "error_details": details,
        "final_reads": final_reads,
        "acceptable": acceptable,
        "definite_sum": definite_sum,
        "indefinite_adds": len(indefinite),
        "warnings": warnings,
    }


def definite_errors(history: Sequence[Op]) -> dict[str, Any]:
    """The counter check again, with adds that got a definite error as not applied.

    Maelstrom's counter clients record every error as ``info``, so an add a
    node refused with a definite code (key-does-not-exist, say) still may
    count. A definite code promises the add did not happen; this re-checks the
    final reads with those adds (ops whose ``code`` is definite) as ``fail``.
    It is invalid when some final read that Maelstrom's check accepts is only
    possible if such an add did happen.

    Returns ``valid``, ``explanation`` (a sentence), ``evidence`` (one line
    per operation involved), ``adds`` (the refused
    adds: ``node``, ``process``, ``delta``, ``code``, ``error``), ``reads``
    (the final reads that count them: ``node``, ``process``, ``value``,
    ``reason``) and ``acceptable``, the values the reads could have had.
    """
    history = list(history)
    refused = [
        operation
        for operation in operations(history)
        if operation.f == "add"
        and operation.outcome == "info"
        and operation.completion is not None
        and is_int(operation.completion.extra.get("code"))
        and is_definite(operation.completion.extra["code"])
    ]
    adds = [
        {
            "node": operation.node,
            "process": operation.process,
            "delta": add_delta(operation),
            "code": operation.completion.extra["code"],
            "error": code_label(operation.completion.extra["code"]),
        }
        for operation in refused
        if operation.completion is not None
    ]
    if not refused:
        return {
            "valid": True,
            "explanation": "No add was answered with a definite error, so there is nothing "
            "to re-check.",
            "evidence": [],
            "adds": [],
            "reads": [],
        }
    as_failed = {id(operation.completion) for operation in refused}
    rewritten = [
        dataclasses.replace(op, type="fail") if id(op) in as_failed else op for op in history
    ]
    maelstrom = counter_checker(history)
    strict = counter_checker(rewritten)
    reads = [
        {k: d[k] for k in ("node", "process", "value", "reason")}
        for d in strict["error_details"]
        if d["value"] not in maelstrom["errors"]
    ]
    shown = [
        f"{a['node']} answered add {a['delta']} with error {a['code']} ({a['error']})"
        for a in adds[:3]
    ]
    if len(adds) > 3:
        shown.append(f"{len(adds) - 3} more adds got a definite error")
    told = _join(shown)
    one = len(adds) == 1
    evidence = [
        f"{a['node']} (process {a['process']}): add {a['delta']} answered with error "
        f"{a['code']} ({a['error']})"
        for a in adds
    ]
    if not reads:
        explanation = (
            f"{told}, which promises {'it' if one else 'they'} did not happen, and the final "
            "reads agree."
        )
    else:
        counted = _join([f"{r['value']} on {r['node']}" for r in reads[:3]] +
                        ([f"{len(reads) - 3} more"] if len(reads) > 3 else []))  # fmt: skip
        explanation = (
            f"{told}, which promises {'it' if one else 'they'} did not happen, but the final "
            f"read{'s' if len(reads) > 1 else ''} ({counted}) count{'' if len(reads) > 1 else 's'} "
            f"{'it' if one else 'them'}: without {'it' if one else 'them'} the counter could "
            f"only read {strict['acceptable']}."
        )
        evidence += [
            f"{r['node']} (process {r['process']}): final read {r['value']}: {r['reason']}"
            for r in reads
        ]
    return {
        "valid": not reads,
        "explanation": explanation,
        "evidence": evidence,
        "adds": adds,
        "reads": reads,
        "acceptable": strict["acceptable"],
    }


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
