"""Checkers: verdicts on a finished test, computed from its history alone.

Each checker is a pure function of a history (the ``Op`` records of a test, in
the order they happened) and returns a JSON-ready dict with a ``valid`` key,
which is ``True``, ``False`` or ``"unknown"`` as in Jepsen. They mirror the
checkers Maelstrom runs for the workloads we support:

- ``counter_checker``: the g-counter / pn-counter verdict on the final reads;
- ``stats``: operation counts overall and per ``f`` (Jepsen's ``stats``);
- ``availability``: the ``--availability`` target (Maelstrom's checker);
- ``net_stats``: message counts from the network, per logical operation;
- ``exceptions``: the info operations that ended in an exception, by kind;
- ``perf``: latency quantiles and rates per ``f`` and outcome;
- ``echo_checker``: every echo answered with what was sent;
- ``compose``: the validity of several results together (Jepsen's merge), and
  ``guarded``, which turns a checker that raises into an ``unknown`` result.

Two more look beyond what Maelstrom checks; ``glomers.bench.findings`` reports
them apart, and they decide the verdict only with ``--strict``:

- ``read_lag``: how far behind the acknowledged adds every read was, and reads
  no counter could return, final or not;
- ``definite_errors``: the final reads, with adds that got a definite error
  taken as not applied, as the error promises.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import portion

from glomers.bench.history import Op, is_client, paired, pairs
from glomers.errors import code_label, is_definite

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
class _Operation:
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


def _operations(history: Sequence[Op]) -> list[_Operation]:
    """Client operations in invocation order, then completions nobody invoked."""
    ops = paired(history)
    invoked = [_Operation(a, b) for a, b in ops if a is not None and is_client(a)]
    return invoked + [_Operation(None, b) for a, b in ops if a is None]


def _is_int(value: Any) -> bool:
    # bool is an int subclass, but a read of `true` is not a counter value.
    return isinstance(value, int) and not isinstance(value, bool)


def _delta(operation: _Operation) -> int:
    """The delta of an add: what was asked, else what the completion echoes."""
    for op in (operation.invoke, operation.completion):
        if op is not None and _is_int(op.value):
            value: int = op.value
            return value
    raise ValueError(
        f"add of process {operation.process!r} has no integer delta "
        f"(invoke value {getattr(operation.invoke, 'value', None)!r}); the history is malformed"
    )


# ---------------------------------------------------------------------------
# Counters


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
    if not _is_int(value):
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
    operations = _operations(history)
    definite_sum = 0
    indefinite: list[int] = []
    for operation in operations:
        if operation.f != "add" or operation.outcome == "fail":
            continue
        if operation.outcome == "ok":
            definite_sum += _delta(operation)
        else:
            indefinite.append(_delta(operation))
    acceptable = acceptable_counter_values(definite_sum, indefinite)
    acceptable_set = [(lo, hi) for lo, hi in acceptable]

    def is_acceptable(value: Any) -> bool:
        if not _is_int(value):
            return False
        i = bisect_right(acceptable_set, (value, math.inf)) - 1
        return i >= 0 and acceptable_set[i][0] <= value <= acceptable_set[i][1]

    final = [op for op in operations if op.f == "read" and op.final]
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


def quantile(ordered: Sequence[float], q: float) -> float:
    """Jepsen's quantile of sorted values, the project's only one: the value at
    index floor(n·q), capped at the last; always an observed value (the 0.5
    quantile of 1, 2, 3, 4 is 3)."""
    return ordered[min(len(ordered) - 1, math.floor(len(ordered) * q))]


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


def read_lag_points(history: Sequence[Op]) -> list[dict[str, Any]]:
    """Each ok read's lag, as ``read_lag`` measures it, in history order: dicts with
    ``process``, ``node``, ``value``, ``known``, ``lag``, ``lag_seconds``, ``time``
    (the read's invocation) and ``final``."""
    return _read_lags(history)[0]


def _read_lags(
    history: Sequence[Op],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], int]:
    history = list(history)
    operations = _operations(history)
    by_record: dict[int, _Operation] = {}
    for operation in operations:
        for op in (operation.invoke, operation.completion):
            if op is not None:
                by_record[id(op)] = operation

    # Bounds on what a read may return: adds invoked so far, split by sign.
    # Completions nobody invoked could have been invoked at any time, so they
    # count from the start (a looser bound is still a sound one).
    positive = negative = 0
    for operation in operations:
        if operation.invoke is None and operation.f == "add" and operation.outcome != "fail":
            d = _delta(operation)
            positive, negative = positive + max(d, 0), negative + min(d, 0)

    # The acknowledged adds in order, as running sums of their increments and
    # (negated) decrements: ack_times[j] is when the j-th ok add completed
    # (index 0: the test's start, before any).
    ack_times = [0]
    acked_up = [0]
    acked_down = [0]

    lags: list[dict[str, Any]] = []
    # Per read in flight: its entry in ``lags``, the acks before it began, and
    # the increments and decrements invoked by then.
    started: dict[int, tuple[dict[str, Any], int]] = {}
    too_high: list[dict[str, Any]] = []
    too_low: list[dict[str, Any]] = []
    skipped = 0
    for op in history:
        found = by_record.get(id(op))
        if found is None:
            continue
        operation = found
        if operation.f == "add":
            if op is operation.invoke and operation.outcome != "fail":
                d = _delta(operation)
                positive, negative = positive + max(d, 0), negative + min(d, 0)
            if op is operation.completion and op.type == "ok":
                d = _delta(operation)
                ack_times.append(op.time)
                acked_up.append(acked_up[-1] + max(d, 0))
                acked_down.append(acked_down[-1] - min(d, 0))
            continue
        completion = operation.completion
        if operation.f != "read" or completion is None or completion.type != "ok":
            continue
        value = completion.value
        if not _is_int(value):
            if op is completion:
                skipped += 1
            continue
        if op is operation.invoke:
            acks = len(ack_times) - 1
            entry = {
                "process": operation.process,
                "node": operation.node,
                "value": value,
                "known": acked_up[acks] - acked_down[acks],
                "lag": 0,
                "lag_seconds": 0.0,
                "time": op.time,
                "final": operation.final,
            }
            lags.append(entry)
            started[id(operation)] = (entry, acks)
        if op is completion:
            began = started.pop(id(operation), None)
            if began is not None:
                entry, acks = began
                # Adds not acknowledged when the read began, which it may have seen.
                early_up = positive - acked_up[acks]
                early_down = -negative - acked_down[acks]
                _measure_lag(entry, acks, early_up, early_down, ack_times, acked_up, acked_down)
            where = {"process": operation.process, "node": operation.node, "value": value}
            if value > positive:
                too_high.append(where | {"bound": positive, "time": op.time})
            elif value < negative:
                too_low.append(where | {"bound": negative, "time": op.time})

    return lags, too_high, too_low, skipped


def _measure_lag(
    entry: dict[str, Any],
    acks: int,
    early_up: int,
    early_down: int,
    ack_times: Sequence[int],
    acked_up: Sequence[int],
    acked_down: Sequence[int],
) -> None:
    """Fill in ``entry``'s lag: a read that began after ``acks`` acknowledged
    adds and may also have seen ``early_up`` of increments and ``early_down``
    of decrements not acknowledged by then."""
    known, value = entry["known"], entry["value"]
    # How much of the acknowledged increments (decrements) it must have missed.
    missed_up = known - value - early_down
    missed_down = value - known - early_up
    entry["lag"] = missed_up
    if missed_up <= 0 and missed_down <= 0:
        return
    # The latest j such that missing every ack after the j-th (and seeing any
    # of the early adds) can give the value: the running sums only grow, so
    # each condition holds for a prefix of j.
    j = min(
        bisect_right(acked_up, acked_up[acks] - max(missed_up, 0), 0, acks + 1),
        bisect_right(acked_down, acked_down[acks] - max(missed_down, 0), 0, acks + 1),
    )
    since = ack_times[j]  # ack_times[0] is the test's start
    entry["lag_seconds"] = (entry["time"] - since) / _NANOS_PER_SECOND


def read_lag(history: Sequence[Op]) -> dict[str, Any]:
    """How stale each successful counter read was, and reads no counter could give.

    For every ``ok`` read R (final or not) with value v:

    - *known* K is the sum of the deltas of the adds that completed ``ok``
      before R was invoked (earlier in the history). R may also have seen
      adds that were not acknowledged when it began (in flight, or of unknown
      outcome): E+ of increments and E- of decrements. R's **lag** is how
      much of the acknowledged increments it must have missed: K - v - E-, in
      counter units (for a g-counter simply K - v). It is positive only when R
      certainly missed acknowledged adds, and negative when R already saw
      increments not yet acknowledged. A good counter keeps it at 0 or a few
      units.
    - **lag_seconds**: how long ago the acknowledged history last allowed v.
      Reading v means missing some acknowledged adds and seeing some of the
      early ones; going back from R's invocation over the acknowledged adds,
      take the most recent point such that missing every add acknowledged
      after it can give v (its increments at least K - v - E-, its decrements
      at least v - K - E+). lag_seconds is the time from the first add R must
      have missed to R's invocation (from the test's start if no point will
      do), and 0 when R needs to miss nothing. For a g-counter this is the age
      of the oldest acknowledged add R could not have seen if it saw a prefix
      of them. A pn-counter read that adds up keys of different ages can give
      a total the counter never had; the figure then says how far back the
      acknowledged adds must be cut for it to make sense.
    - **bounds**: a counter's value is the sum of some adds that were invoked
      before the read completed (``fail`` adds excluded: they did not happen),
      so v can be neither above the sum of their positive deltas nor below the
      sum of their negative ones. For a g-counter (no negative deltas) that is
      0 <= v <= the sum of all such adds. For a pn-counter, the plain sum of
      all adds is *not* an upper bound (a missed decrement raises the value),
      hence the split by sign. Reads outside go to ``too_high`` / ``too_low``;
      these are the only errors: ``valid`` is False iff there are some.

    Returns ``valid``; ``reads`` (how many were measured); ``lag`` and
    ``lag_seconds``, each ``{count, min, median, p90, p99, max}`` over all
    measured reads (``quantile``); ``lagging_reads`` (lag > 0);
    ``worst``, the read with the highest lag (or None); ``too_high`` and
    ``too_low``, lists of ``{process, node, value, bound, time}``; and
    ``skipped``, ok reads whose value is not an integer.
    """
    lags, too_high, too_low, skipped = _read_lags(history)
    lagging = [r for r in lags if r["lag"] > 0]
    worst = max(lagging, key=lambda r: (r["lag"], r["lag_seconds"]), default=None)
    return {
        "valid": not too_high and not too_low,
        "reads": len(lags),
        "lag": value_summary(r["lag"] for r in lags),
        "lag_seconds": value_summary(r["lag_seconds"] for r in lags),
        "lagging_reads": len(lagging),
        "worst": worst,
        "too_high": too_high,
        "too_low": too_low,
        "skipped": skipped,
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


def stats(history: Sequence[Op]) -> dict[str, Any]:
    """Jepsen's stats: how client operations ended, overall and per ``f``.

    Each operation is counted once, by its completion; one that never
    completed counts as ``info``. Nemesis operations are left out. ``valid``
    is False if some ``f`` has no ``ok`` operation at all (Jepsen's code; its
    docstring says "unknown"), True otherwise, including for no operations.

    Returns ``{valid, count, ok_count, fail_count, info_count, by_f}`` where
    ``by_f`` maps each ``f`` (sorted) to ``{valid, count, ok_count,
    fail_count, info_count}``.
    """
    operations = _operations(list(history))
    by_f: dict[str, list[OpOutcome]] = {}
    for operation in operations:
        by_f.setdefault(operation.f, []).append(operation.outcome)
    per_f = {f: _counts(by_f[f]) for f in sorted(by_f)}
    overall = _counts(operation.outcome for operation in operations)
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
        for operation in _operations(history)
        if operation.f == "add"
        and operation.outcome == "info"
        and operation.completion is not None
        and _is_int(operation.completion.extra.get("code"))
        and is_definite(operation.completion.extra["code"])
    ]
    adds = [
        {
            "node": operation.node,
            "process": operation.process,
            "delta": _delta(operation),
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


def echo_checker(history: Sequence[Op]) -> dict[str, Any]:
    """Maelstrom's echo checker: each reply must echo the invocation's value.

    An ``ok`` completion's value is the reply body; its ``echo`` must equal the
    invoke's value (JSON equality: ``true`` is not ``1``). A ``fail`` is an
    error too, as in Maelstrom, where the failed op's value is not a reply
    body and so never matches. ``info`` operations and ones that never
    completed prove nothing either way and are only counted.

    Returns ``{valid, errors, ok_count, indeterminate}``; each error is
    ``{process, node, expected, received, reason}``.
    """
    errors: list[dict[str, Any]] = []
    ok_count = indeterminate = 0
    for operation in _operations(list(history)):
        invoke, completion = operation.invoke, operation.completion
        if invoke is None:
            # Without the invocation there is nothing to compare the reply with.
            continue
        if completion is None or operation.outcome == "info":
            indeterminate += 1
            continue
        where = {"process": operation.process, "node": operation.node, "expected": invoke.value}
        if operation.outcome == "fail":
            reason = f"echo failed: {completion.error!r}"
            errors.append(where | {"received": completion.error, "reason": reason})
            continue
        ok_count += 1
        body = completion.value
        if not isinstance(body, Mapping) or "echo" not in body:
            reason = "reply has no 'echo' field"
            errors.append(where | {"received": body, "reason": reason})
        elif not _json_equal(body["echo"], invoke.value):
            reason = "reply echoed a different value"
            errors.append(where | {"received": body["echo"], "reason": reason})
    return {
        "valid": not errors,
        "errors": errors,
        "ok_count": ok_count,
        "indeterminate": indeterminate,
    }


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values, where booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping | list | tuple) or isinstance(b, Mapping | list | tuple):
        return False
    return bool(a == b)


__all__ = [
    "AvailabilityTarget",
    "Validity",
    "acceptable_counter_values",
    "availability",
    "compose",
    "counter_checker",
    "definite_errors",
    "echo_checker",
    "exceptions",
    "guarded",
    "merge_valid",
    "net_stats",
    "perf",
    "quantile",
    "read_lag",
    "stats",
    "value_summary",
]
