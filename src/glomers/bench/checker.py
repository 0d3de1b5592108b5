"""Checkers: verdicts on a finished test, computed from its history alone.

Each checker is a pure function of a history (the ``Op`` records of a test, in
the order they happened) and returns a JSON-ready dict with a ``valid`` key,
which is ``True``, ``False`` or ``"unknown"`` as in Jepsen. They mirror the
checkers Maelstrom runs for every workload (each workload's own checker is
in its module, under ``glomers.bench.workloads``):

- ``stats``: operation counts overall and per ``f`` (Jepsen's ``stats``);
- ``availability``: the ``--availability`` target (Maelstrom's checker);
- ``net_stats``: message counts from the network, per logical operation;
- ``exceptions``: the info operations that ended in an exception, by kind;
- ``perf``: latency quantiles and rates per ``f`` and outcome;
- ``compose``: the validity of several results together (Jepsen's merge), and
  ``guarded``, which turns a checker that raises into an ``unknown`` result.

Workloads' checkers build on ``operations`` (each invocation with its
completion), ``quantile`` and ``value_summary``.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from glomers.bench.history import Op, is_client, paired, pairs, sent_while_down

Validity: TypeAlias = bool | Literal["unknown"]
OpOutcome: TypeAlias = Literal["ok", "fail", "info"]

#: Jepsen's ranking of validities: when results are merged the highest wins.
_VALID_PRIORITY: dict[Validity, int] = {True: 0, "unknown": 1, False: 2}

_NANOS_PER_SECOND = 1_000_000_000


# ---------------------------------------------------------------------------
# Validity


def merge_valid(values: Iterable[Any]) -> Validity:
    """Jepsen's merge: any ``False`` gives ``False``, else any ``"unknown"`` gives
    ``"unknown"``, else ``True`` (also for no values at all).

    Raises ``ValueError`` on anything that is not a validity, as Jepsen does,
    so that a checker returning garbage cannot pass silently.
    """
    merged: Validity = True
    for value in values:
        # `True == 1` in Python, so look validities up by identity-safe checks.
        if value is True or value is False or value == "unknown":
            candidate: Validity = value
        else:
            raise ValueError(f"{value!r} is not a validity (True, False or 'unknown')")
        if _VALID_PRIORITY[candidate] > _VALID_PRIORITY[merged]:
            merged = candidate
    return merged


def compose(results: Mapping[str, Mapping[str, Any]]) -> Validity:
    """The validity of a test made of several checker results (by name)."""
    for name, result in results.items():
        if "valid" not in result:
            raise ValueError(f"checker result {name!r} has no 'valid' key")
    return merge_valid(result["valid"] for result in results.values())


def guarded(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one checker as Jepsen does: if it raises, its result is ``unknown``
    with the error, and the other checkers still run."""
    try:
        return check()
    except Exception as exc:  # any failure of a checker is a result, not a crash
        return {"valid": "unknown", "error": f"{type(exc).__name__}: {exc}"}


# ---------------------------------------------------------------------------
# Operations: invocations paired with their completions


@dataclass(frozen=True, slots=True)
class Operation:
    """One client operation; at least one of its two records is present.

    ``completion`` is None for an invocation that never completed, which may
    or may not have taken effect, so it counts as ``info``. ``invoke`` is None
    for a completion with no invocation before it (hand-written histories, like
    Maelstrom's own checker tests, list only completions).
    """

    invoke: Op | None
    completion: Op | None

    @property
    def first(self) -> Op:
        op = self.invoke if self.invoke is not None else self.completion
        assert op is not None
        return op

    @property
    def f(self) -> str:
        return self.first.f

    @property
    def outcome(self) -> OpOutcome:
        if self.completion is None or self.completion.type == "invoke":
            return "info"
        return self.completion.type

    @property
    def final(self) -> bool:
        return any(op is not None and op.final for op in (self.invoke, self.completion))

    @property
    def node(self) -> str | None:
        for op in (self.completion, self.invoke):
            if op is not None and op.node is not None:
                return op.node
        return None

    @property
    def process(self) -> int | str:
        return self.first.process


def operations(history: Sequence[Op]) -> list[Operation]:
    """Client operations in invocation order, then completions nobody invoked."""
    ops = paired(history)
    invoked = [Operation(a, b) for a, b in ops if a is not None and is_client(a)]
    return invoked + [Operation(None, b) for a, b in ops if a is None]


def quantile(ordered: Sequence[float], q: float) -> float:
    """Jepsen's quantile of sorted values, the project's only one: the value at
    index floor(n·q), capped at the last; always an observed value (the 0.5
    quantile of 1, 2, 3, 4 is 3)."""
    return ordered[min(len(ordered) - 1, math.floor(len(ordered) * q))]


def at_quantile(quantiles: Any, q: float) -> Any:
    """The value at ``q`` of a Jepsen quantile map such as a set's
    ``stable_latencies``: its keys are numbers in Maelstrom's results and their
    text in glomers' JSON; a list of ``[q, value]`` pairs works too. None if
    absent."""
    if isinstance(quantiles, Mapping):
        pairs = list(quantiles.items())
    elif isinstance(quantiles, list | tuple):
        pairs = [tuple(p) for p in quantiles if isinstance(p, list | tuple) and len(p) == 2]
    else:
        return None
    for key, value in pairs:
        try:
            if float(key) == q:
                return value
        except (TypeError, ValueError):
            continue
    return None


def value_summary(values: Iterable[float]) -> dict[str, Any]:
    """``count``, ``min``, ``median``, ``p90``, ``p99`` and ``max`` (``quantile``)."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "min": None, "median": None, "p90": None, "p99": None, "max": None}
    return {
        "count": len(ordered),
        "min": ordered[0],
        "median": quantile(ordered, 0.5),
        "p90": quantile(ordered, 0.9),
        "p99": quantile(ordered, 0.99),
        "max": ordered[-1],
    }


# ---------------------------------------------------------------------------
# Generic checkers


def _counts(outcomes: Iterable[OpOutcome]) -> dict[str, Any]:
    tally = Counter(outcomes)
    ok, fail, info = tally["ok"], tally["fail"], tally["info"]
    return {
        # Jepsen: an f that never once succeeded makes the test invalid.
        "valid": ok > 0,
        "count": ok + fail + info,
        "ok_count": ok,
        "fail_count": fail,
        "info_count": info,
    }


def stats(history: Sequence[Op], wait: float | None = None) -> dict[str, Any]:
    """Jepsen's stats: how client operations ended, overall and per ``f``.

    Each operation is counted once, by its completion; one that never
    completed counts as ``info``. Nemesis operations are left out. ``valid``
    is False if some ``f`` has no ``ok`` operation at all (Jepsen's code; its
    docstring says "unknown"), True otherwise, including for no operations.

    Returns ``{valid, count, ok_count, fail_count, info_count, by_f}`` where
    ``by_f`` maps each ``f`` (sorted) to ``{valid, count, ok_count,
    fail_count, info_count}``.

    Beyond Jepsen, to explain a failure rather than to judge: given the
    clients' ``wait`` (seconds), each ``f`` with no ``ok`` operation also gets
    ``sent_while_down``, how many of its invocations went to a node that was
    down at the time, and ``down_whole_wait``, how many of those found it down
    for the whole of that wait (``history.sent_while_down``).
    """
    ops = operations(list(history))
    by_f: dict[str, list[OpOutcome]] = {}
    for operation in ops:
        by_f.setdefault(operation.f, []).append(operation.outcome)
    per_f = {f: _counts(by_f[f]) for f in sorted(by_f)}
    if wait is not None and any(not counts["valid"] for counts in per_f.values()):
        met = sent_while_down(history, round(wait * 1e9))
        while_down = Counter(op.f for op, _ in met)
        hopeless = Counter(op.f for op, whole_wait in met if whole_wait)
        for f, counts in per_f.items():
            if not counts["valid"]:
                counts["sent_while_down"] = while_down[f]
                counts["down_whole_wait"] = hopeless[f]
    overall = _counts(operation.outcome for operation in ops)
    overall["valid"] = merge_valid(counts["valid"] for counts in per_f.values())
    return overall | {"by_f": per_f}


AvailabilityTarget: TypeAlias = Literal["total"] | float | None


def availability(history: Sequence[Op], target: AvailabilityTarget) -> dict[str, Any]:
    """Maelstrom's availability checker.

    ``ok_fraction`` is the number of ``ok`` completions over the number of
    invocations, client operations only (1.0 when nothing was invoked).
    ``target`` None imposes nothing; ``"total"`` requires every operation to be
    ok; a number in [0, 1] is the lowest acceptable ``ok_fraction``. As in
    Maelstrom the fraction is computed in single precision and compared with
    the target as a double, so 9 ok of 10 falls short of ``0.9``.

    Returns ``{valid, ok_fraction, ok_count, invoke_count, target}``. Raises
    ``ValueError`` for any other target.
    """
    if not (
        target is None
        or target == "total"
        or (isinstance(target, int | float) and not isinstance(target, bool) and 0 <= target <= 1)
    ):
        raise ValueError(f"availability target must be None, 'total' or in [0, 1], not {target!r}")
    client_ops = [op for op in history if is_client(op)]
    invokes = sum(1 for op in client_ops if op.type == "invoke")
    oks = sum(1 for op in client_ops if op.type == "ok")
    fraction = _single(oks / invokes) if invokes else 1.0
    if target is None:
        valid = True
    elif target == "total":
        valid = fraction == 1
    else:
        valid = fraction >= target
    return {
        "valid": valid,
        "ok_fraction": fraction,
        "ok_count": oks,
        "invoke_count": invokes,
        "target": target,
    }


def _single(x: float) -> float:
    """``x`` rounded to the nearest single-precision float (and back to a double)."""
    single: float = struct.unpack("f", struct.pack("f", x))[0]
    return single


_NET_GROUPS = ("all", "clients", "servers")


def net_stats(counts: Mapping[str, Mapping[str, int]], history: Sequence[Op]) -> dict[str, Any]:
    """The network's message counts, with messages per client operation.

    ``counts`` maps ``all``, ``clients`` (messages to or from a client) and
    ``servers`` (all others) to ``{send_count, recv_count, msg_count}`` as the
    network counted them. Each group comes back with ``msgs_per_op`` =
    ``msg_count`` / the number of client invocations (nemesis excluded); the
    key is left out when nothing was invoked, as Maelstrom does. (Maelstrom
    adds it to ``all`` and ``servers`` only; for ``clients`` it is simply about
    2, a request and its reply.) Always valid.
    """
    missing = [group for group in _NET_GROUPS if group not in counts]
    if missing:
        raise ValueError(f"net counts lack the group(s) {', '.join(missing)}")
    invokes = sum(1 for op in history if is_client(op) and op.type == "invoke")
    result: dict[str, Any] = {"valid": True}
    for group, group_counts in counts.items():
        entry: dict[str, Any] = dict(group_counts)
        if invokes and "msg_count" in entry:
            entry["msgs_per_op"] = entry["msg_count"] / invokes
        result[group] = entry
    return result


def exceptions(history: Sequence[Op]) -> dict[str, Any]:
    """Maelstrom's exceptions checker: ``info`` client ops that ended in an
    exception (their ``exception`` field: ``timeout``,
    ``malformed-rpc-response``, an error code's name...), grouped by kind.

    Returns ``{valid: True, exceptions: [{class, count, example}]}``, the most
    frequent kind first; ``example`` is the first such op's record.
    """
    groups: dict[str, list[Op]] = {}
    for op in history:
        kind = op.extra.get("exception")
        if is_client(op) and op.type == "info" and kind is not None:
            groups.setdefault(str(kind), []).append(op)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return {
        "valid": True,
        "exceptions": [
            {"class": kind, "count": len(ops), "example": ops[0].to_json()} for kind, ops in ordered
        ],
    }


#: The latency quantiles ``perf`` reports, as Maelstrom's latency plot draws them.
PERF_QUANTILES = (0.0, 0.5, 0.95, 0.99, 1.0)


def op_latencies(history: Iterable[Op]) -> dict[str, dict[str, list[float]]]:
    """Milliseconds from invocation to completion of each completed client
    operation, by ``f`` and then outcome, in invocation order."""
    latencies: dict[str, dict[str, list[float]]] = {}
    for invoke, completion in pairs(history):
        if completion is None or completion.type == "invoke":
            continue
        by_outcome = latencies.setdefault(invoke.f, {})
        by_outcome.setdefault(completion.type, []).append((completion.time - invoke.time) / 1e6)
    return latencies


def ok_latencies(history: Iterable[Op]) -> dict[str, list[float]]:
    """``op_latencies`` of the operations that completed ``ok``, by ``f``."""
    return {f: by["ok"] for f, by in op_latencies(history).items() if "ok" in by}


def perf(history: Sequence[Op]) -> dict[str, Any]:
    """Latency and throughput of client operations, per ``f`` and outcome.

    ``latency[f][outcome]`` holds ``count`` and the ``quantile`` of latencies
    (ms, invocation to completion) at 0, 0.5, 0.95, 0.99 and 1, keyed ``"0"``,
    ``"0.5"``...; ``rate[f][outcome]`` is completions per second over the run
    (its last record's time), and ``rate["all"]`` all of them. Operations that
    never completed have no latency. Always valid.
    """
    history = list(history)
    latencies = op_latencies(history)
    seconds = max((op.time for op in history), default=0) / _NANOS_PER_SECOND
    latency: dict[str, dict[str, Any]] = {}
    rate: dict[str, Any] = {}
    total = 0
    for f in sorted(latencies):
        latency[f], rate[f] = {}, {}
        for outcome in ("ok", "info", "fail"):
            values = sorted(latencies[f].get(outcome, []))
            if not values:
                continue
            latency[f][outcome] = {"count": len(values)} | {
                f"{q:g}": quantile(values, q) for q in PERF_QUANTILES
            }
            rate[f][outcome] = len(values) / seconds if seconds else None
            total += len(values)
    rate["all"] = total / seconds if seconds else None
    return {"valid": True, "latency": latency, "rate": rate}


__all__ = [
    "AvailabilityTarget",
    "Operation",
    "Validity",
    "availability",
    "compose",
    "exceptions",
    "guarded",
    "merge_valid",
    "net_stats",
    "operations",
    "perf",
    "quantile",
    "stats",
    "value_summary",
]
