"""Jepsen's set-full checker, which judges the broadcast and g-set workloads,
and what those two workloads share (``SetWorkload``).

Clients add one element per ``add`` and read the whole set with ``read``. For
each element the checker follows the ``ok`` reads that completed after its add
was invoked:

- *known*: the add's ``ok``, or the first read that had the element, whichever
  came first in the history;
- *last present* / *last absent*: of those reads, the one invoked last that
  had the element / that lacked it.

An element is **stable** if some read had it and no read lacking it was
invoked after the last read having it; **lost** if it was known and the last
read lacking it was invoked after both the last read having it and the known
point; otherwise **never read**. A stable element whose last absent read began
after it was known is **stale**, for its stable latency: the time from known
to the last absent invocation (plus 1 ns), in whole ms. Lost latency is the
same, from known to the last present invocation.

The verdict: ``False`` if any element is lost, else ``"unknown"`` if none is
stable, else ``True``. Stale elements never invalidate. Keys follow Jepsen's
names with underscores (``stable_latencies``...); ``lost_details`` and the
sentences of ``reasons`` and ``summary_lines`` are this bench's own, for a
learner reading the verdict.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from glomers.bench.client import Client
from glomers.bench.history import Op, is_client, paired
from glomers.bench.pages.explain import Reason
from glomers.bench.workloads import Completion, ErrorPolicy, Reply, Workload, call, values

#: The quantiles of the latency distributions, as Jepsen's keys.
QUANTILES = (("0", 0.0), ("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99), ("1", 1.0))

#: Stale elements detailed under ``worst_stale``, and lost ones under ``lost_details``.
WORST_STALE = 8
LOST_DETAILS = 100

_NS_PER_MS = 1_000_000


@dataclass(slots=True)
class _Element:
    """What the reads said of one element so far (Jepsen's SetFullElement).

    Positions are places in the history; ``known`` is the op that made the
    element known, ``last_present`` / ``last_absent`` read invocations.
    """

    value: Any
    add: Op
    add_ok: Op | None = None
    known: tuple[int, Op] | None = None
    last_present: tuple[int, Op] | None = None
    last_absent: tuple[int, Op] | None = None


def set_full(history: Sequence[Op], add: str = "add") -> dict[str, Any]:
    """The set-full result of ``history``, whose adds have ``f`` ``add``."""
    return _results(_elements(history, add))


def element_outcomes(history: Sequence[Op], add: str = "add") -> list[dict[str, Any]]:
    """Each attempted element's fate, as ``set_full`` judged it: ``outcome``
    (stable, lost, never-read), ``stable_latency`` and ``lost_latency`` (ms or
    None), and ``known``, the op that made it known (None if none did)."""
    return [_outcome(e) for e in _elements(history, add)]


def _elements(history: Sequence[Op], add: str) -> list[_Element]:
    elements: dict[Hashable, _Element] = {}
    position = {id(op): i for i, op in enumerate(history)}
    invocation: dict[int, Op] = {}
    for first, done in paired(history):
        if first is not None and done is not None:
            invocation[id(done)] = first
    for i, op in enumerate(history):
        if not is_client(op):
            continue
        if op.f == add:
            k = values.key(op.value)
            if op.type == "invoke":
                # A second add of the same element starts it afresh, as in Jepsen.
                elements[k] = _Element(op.value, op)
            elif op.type == "ok" and k in elements:
                element = elements[k]
                element.add_ok = element.add_ok or op
                element.known = element.known or (i, op)
        elif op.f == "read" and op.type == "ok":
            inv = invocation.get(id(op))
            if inv is None:
                continue
            at = position[id(inv)]
            seen = {values.key(v) for v in op.value} if isinstance(op.value, list) else set()
            for k, element in elements.items():
                if k in seen:
                    element.known = element.known or (i, op)
                    if element.last_present is None or element.last_present[0] < at:
                        element.last_present = (at, inv)
                elif element.last_absent is None or element.last_absent[0] < at:
                    element.last_absent = (at, inv)
    return values.sort(elements.values(), lambda e: e.value)


def _outcome(e: _Element) -> dict[str, Any]:
    present, absent, known = e.last_present, e.last_absent, e.known
    absent_at = absent[0] if absent else -1
    present_at = present[0] if present else -1
    stable = present is not None and absent_at < present_at
    lost = (
        known is not None and absent is not None and present_at < absent_at and known[0] < absent_at
    )
    out: dict[str, Any] = {
        "element": e.value,
        "outcome": "stable" if stable else "lost" if lost else "never-read",
        "stable_latency": None,
        "lost_latency": None,
        "known": None if known is None else op_summary(known[0], known[1]),
        "last_absent": None if absent is None else op_summary(absent[0], absent[1]),
    }
    if stable and known is not None:
        since = absent[1].time + 1 if absent is not None else 0
        out["stable_latency"] = max(0, since - known[1].time) // _NS_PER_MS
    if lost and known is not None:
        since = present[1].time + 1 if present is not None else 0
        out["lost_latency"] = max(0, since - known[1].time) // _NS_PER_MS
    return out


def op_summary(at: int, op: Op) -> dict[str, Any]:
    """An op as results show it: where it is in the history, when, who, what."""
    return {
        "index": op.index if op.index >= 0 else at,
        "time": op.time,
        "process": op.process,
        "node": op.node,
        "type": op.type,
        "f": op.f,
    }


def distribution(latencies: Sequence[int]) -> dict[str, int]:
    """Jepsen's quantiles of ``latencies``: the value at index min(n-1, floor(n*q))."""
    ordered = sorted(latencies)
    n = len(ordered)
    return {name: ordered[min(n - 1, int(n * q))] for name, q in QUANTILES}


def _results(elements: list[_Element]) -> dict[str, Any]:
    rs = [_outcome(e) for e in elements]
    by = {
        kind: [r for r in rs if r["outcome"] == kind] for kind in ("stable", "lost", "never-read")
    }
    stale = [r for r in by["stable"] if r["stable_latency"] > 0]
    # Jepsen sorts by latency and reverses: ties keep the larger element first.
    worst = list(reversed(sorted(stale, key=lambda r: r["stable_latency"])))[:WORST_STALE]
    valid: bool | str = False if by["lost"] else "unknown" if not by["stable"] else True
    out: dict[str, Any] = {
        "valid": valid,
        "attempt_count": len(rs),
        "stable_count": len(by["stable"]),
        "lost_count": len(by["lost"]),
        "lost": [r["element"] for r in by["lost"]],
        "never_read_count": len(by["never-read"]),
        "never_read": [r["element"] for r in by["never-read"]],
        "stale_count": len(stale),
        "stale": [r["element"] for r in stale],
        "worst_stale": worst,
        # Jepsen 0.3.7 counts no duplicates within a read (its test is never true).
        "duplicated_count": 0,
        "duplicated": {},
    }
    stable_latencies = [r["stable_latency"] for r in rs if r["stable_latency"] is not None]
    lost_latencies = [r["lost_latency"] for r in rs if r["lost_latency"] is not None]
    if stable_latencies:
        out["stable_latencies"] = distribution(stable_latencies)
    if lost_latencies:
        out["lost_latencies"] = distribution(lost_latencies)
    lost_elements = [e for e, r in zip(elements, rs, strict=True) if r["outcome"] == "lost"]
    out["lost_details"] = [_lost_detail(e) for e in lost_elements[:LOST_DETAILS]]
    return out


def _lost_detail(e: _Element) -> dict[str, Any]:
    def summary(found: tuple[int, Op] | None) -> dict[str, Any] | None:
        return None if found is None else op_summary(*found)

    return {
        "element": e.value,
        "add": op_summary(-1, e.add),
        "add_ok": None if e.add_ok is None else op_summary(-1, e.add_ok),
        "known": summary(e.known),
        "last_present": summary(e.last_present),
        "last_absent": summary(e.last_absent),
    }


# -- in words --------------------------------------------------------------------


def _at(op: Mapping[str, Any] | None) -> str:
    if not isinstance(op, Mapping) or not isinstance(op.get("time"), int | float):
        return "at an unknown time"
    return f"at {op['time'] / 1e9:.3f} s"


def _read_by(op: Mapping[str, Any] | None) -> str:
    node = op.get("node") if isinstance(op, Mapping) else None
    return f"{node}'s read" if node else "a read"


def lost_sentence(detail: Mapping[str, Any]) -> str:
    """Why one element is lost, in one sentence, naming the operations."""
    element = values_text(detail.get("element"))
    add, add_ok = detail.get("add"), detail.get("add_ok")
    who = (add or {}).get("node") or "a client"
    if add_ok:
        added = f"added ok by {who} {_at(add_ok)}"
    else:
        added = f"added by {who} {_at(add)} (never acknowledged)"
    present = detail.get("last_present")
    seen = (
        f"was last seen in {_read_by(present)} begun {_at(present)}"
        if present
        else "was never seen by any read"
    )
    absent = detail.get("last_absent")
    return (
        f"element {element}, {added}, {seen}, and was missing from {_read_by(absent)} begun "
        f"{_at(absent)}, after it was known; no read begun later had it: lost"
    )


def stale_sentence(record: Mapping[str, Any]) -> str:
    """How long one stale element took to show in every read, in one sentence."""
    known, absent = record.get("known"), record.get("last_absent")
    if (known or {}).get("f") == "read":
        how = f"first seen in {_read_by(known)} that ended {_at(known)}"
    else:
        how = f"acknowledged {_at(known)}"
    return (
        f"element {values_text(record.get('element'))}, {how}, was still missing "
        f"from {_read_by(absent)} begun {_at(absent)}, but every read begun later had it: "
        f"stable after {record.get('stable_latency')} ms"
    )


def values_text(value: Any) -> str:
    """An element as text: JSON-like, short."""
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:60] + "…"


def reasons(result: Mapping[str, Any]) -> list[Reason]:
    """Why a set-full result is not valid: each lost element, or why it is unknown."""
    found = [Reason("", lost_sentence(d)) for d in result.get("lost_details") or []]
    shown = len(found)
    lost_count = result.get("lost_count")
    if isinstance(lost_count, int) and lost_count > shown:
        found.append(Reason("", f"{lost_count - shown} more elements were lost too"))
    if not found and result.get("valid") == "unknown" and "attempt_count" in result:
        attempts, never = result.get("attempt_count"), result.get("never_read_count")
        found.append(
            Reason(
                "",
                f"no element of the {attempts} added was seen in a read begun after it was "
                f"known ({never} never read), so nothing could be checked",
            )
        )
    return found


def summary_lines(result: Mapping[str, Any]) -> list[str]:
    """The set's figures on the console, each in words."""
    if "attempt_count" not in result:
        return []
    lines = [
        f"set: {result['attempt_count']} elements added: {result.get('stable_count', 0)} "
        f"stable (every read begun late enough had them), {result.get('lost_count', 0)} lost "
        f"(missing from a read begun after every read that had them), "
        f"{result.get('never_read_count', 0)} never read (no read began after they were known)"
    ]
    stable = result.get("stable_latencies")
    if isinstance(stable, Mapping):
        lines.append(
            f"stable latency: median {stable.get('0.5')} ms, max {stable.get('1')} ms "
            "(from when an element was known to the last read begun without it)"
        )
    stale = result.get("stale_count", 0)
    if stale:
        worst = result.get("worst_stale") or []
        example = f"; the worst: {stale_sentence(worst[0])}" if worst else ""
        lines.append(
            f"stale: {stale} elements were missing from some read begun after they "
            f"were known (allowed: the set is only eventually consistent){example}"
        )
    return lines


def report_rows(result: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The report's rows for the set's figures, each with what it means."""
    if "attempt_count" not in result:
        return []
    rows: list[tuple[str, Any]] = [
        ("elements added", result["attempt_count"]),
        (
            "stable",
            f"{result.get('stable_count')}: some read had them and every read begun "
            "after the last one without them had them",
        ),
        (
            "lost",
            f"{result.get('lost_count')}: known, then missing from reads begun after "
            "every read that had them",
        ),
        (
            "never read",
            f"{result.get('never_read_count')}: no read began after they were "
            "known (adds that failed or timed out, or came last)",
        ),
        (
            "stale",
            f"{result.get('stale_count')}: stable, but missing from some read begun "
            "after they were known",
        ),
    ]
    for key, what in (("stable_latencies", "stable"), ("lost_latencies", "lost")):
        dist = result.get(key)
        if isinstance(dist, Mapping):
            rows.append(
                (f"{what} latency (ms)", ", ".join(f"q{q} {dist.get(q)}" for q, _ in QUANTILES))
            )
    for record in result.get("worst_stale") or []:
        if isinstance(record, Mapping):
            rows.append(("stale element", stale_sentence(record)))
    return rows


# -- the set workloads ---------------------------------------------------------------


class SetWorkload(Workload):
    """What broadcast and g-set share, as Maelstrom's two do: clients add the
    elements 0, 1, 2, ... from one counter for the whole run and read the whole
    set, half and half; after recovery every worker reads once more; set-full
    judges the run. A subclass names its addition (``add``, both its ``f`` and
    its request type, with the element in the request field ``element``), its
    replies, the ``read_ok`` field that holds the set, and its error policy."""

    add: ClassVar[str]
    element: ClassVar[str]
    add_ok: ClassVar[type[Reply]]
    read_ok: ClassVar[type[Reply]]
    read_field: ClassVar[str]
    policy: ClassVar[ErrorPolicy]

    def __init__(self, client_timeout: float) -> None:
        self.timeout = client_timeout
        self._next = itertools.count()

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        if rng.random() < 0.5:
            return self.add, next(self._next)
        return "read", None

    def final(self) -> tuple[str, Any] | None:
        return "read", None

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        if f == self.add:
            request = {"type": self.add, self.element: value}
            added = await call(client, node, f, request, self.add_ok, self.policy, self.timeout)
            return added if isinstance(added, Completion) else Completion("ok", value)
        request = {"type": "read"}
        read = await call(client, node, f, request, self.read_ok, self.policy, self.timeout)
        return (
            read
            if isinstance(read, Completion)
            else Completion("ok", getattr(read, self.read_field))
        )

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": set_full(history, add=self.add)}

    def summary_lines(self, results: Mapping[str, Any]) -> list[str]:
        return summary_lines(results.get("workload") or {})

    def reasons(self, name: str, result: Mapping[str, Any]) -> list[Reason]:
        return reasons(result) if name == "workload" else []

    def report_rows(self, result: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return report_rows(result)
