"""Read lag, a finding beyond Maelstrom: how far behind the acknowledged adds
every counter read was, and reads no counter could return, final or not.

``read_lag`` measures it; ``read_lag_points`` gives each read's figures for
the read-lag plot; ``read_lag_finding`` is the finding ``results.json`` lists
under ``beyond_maelstrom``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from glomers.bench.checker import Operation, operations, value_summary
from glomers.bench.findings import FindingInput
from glomers.bench.history import Op
from glomers.bench.workloads.counter.checker import add_delta, is_int

_NANOS_PER_SECOND = 1_000_000_000


def read_lag_points(history: Sequence[Op]) -> list[dict[str, Any]]:
    """Each ok read's lag, as ``read_lag`` measures it, in history order: dicts with
    ``process``, ``node``, ``value``, ``known``, ``lag``, ``lag_seconds``, ``time``
    (the read's invocation) and ``final``."""
    return _read_lags(history)[0]


def _read_lags(
    history: Sequence[Op],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], int]:
    history = list(history)
    ops = operations(history)
    by_record: dict[int, Operation] = {}
    for operation in ops:
        for op in (operation.invoke, operation.completion):
            if op is not None:
                by_record[id(op)] = operation

    # Bounds on what a read may return: adds invoked so far, split by sign.
    # Completions nobody invoked could have been invoked at any time, so they
    # count from the start (a looser bound is still a sound one).
    positive = negative = 0
    for operation in ops:
        if operation.invoke is None and operation.f == "add" and operation.outcome != "fail":
            d = add_delta(operation)
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
                d = add_delta(operation)
                positive, negative = positive + max(d, 0), negative + min(d, 0)
            if op is operation.completion and op.type == "ok":
                d = add_delta(operation)
                ack_times.append(op.time)
                acked_up.append(acked_up[-1] + max(d, 0))
                acked_down.append(acked_down[-1] - min(d, 0))
            continue
        completion = operation.completion
        if operation.f != "read" or completion is None or completion.type != "ok":
            continue
        value = completion.value
        if not is_int(value):
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


def read_lag_finding(run: FindingInput) -> dict[str, Any]:
    """``read_lag`` as a finding: its figures, a sentence and one line per bad read."""
    result = read_lag(run.history)
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
