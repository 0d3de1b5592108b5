"""The unique-ids workload (Maelstrom's unique_ids.clj): every id a node hands out is new.

Clients send ``generate``; nodes answer ``generate_ok {id}``, the id any JSON
value. Clients are reusable, as Maelstrom's are: a thread keeps its client when
an ``info`` changes its process. There is no final phase. The checker is
Jepsen's unique-ids (``unique_ids_checker``): the run is invalid if an
acknowledged id comes back twice, ids compared as Clojure compares them.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from glomers.bench.client import Client
from glomers.bench.history import Op, is_client
from glomers.bench.pages.explain import Reason
from glomers.bench.workloads import Completion, ErrorPolicy, Reply, Workload, call, values
from glomers.bench.workloads.registry import DefaultNode, Entry, register

#: Errors as in Maelstrom's unique-ids: a definite code is ``fail``; nothing is idempotent.
POLICY = ErrorPolicy("with-errors")

#: Duplicated ids listed (Jepsen lists the 48 most repeated).
MAX_DUPLICATED = 48


class GenerateOk(Reply, tag="generate_ok"):
    """The reply to ``generate``: the new id, any JSON value."""

    id: Any


class UniqueIdsWorkload(Workload):
    """Clients ask for ids; no two acknowledged ids may be equal."""

    name = "unique-ids"
    reusable_clients = True

    def __init__(self, client_timeout: float) -> None:
        self.timeout = client_timeout

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        return "generate", None

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        reply = await call(client, node, f, {"type": "generate"}, GenerateOk, POLICY, self.timeout)
        return reply if isinstance(reply, Completion) else Completion("ok", reply.id)

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": unique_ids_checker(history)}

    def summary_lines(self, results: Mapping[str, Any]) -> list[str]:
        result = results.get("workload") or {}
        if "acknowledged_count" not in result:
            return []
        return [
            f"ids: {result['attempted_count']} asked for, {result['acknowledged_count']} "
            f"acknowledged, {result.get('duplicated_count', 0)} handed out more than once; "
            f"range {json_text(result.get('range'))}"
        ]

    def reasons(self, name: str, result: Mapping[str, Any]) -> list[Reason]:
        if name != "workload":
            return []
        return [Reason("", duplicate_sentence(d)) for d in result.get("duplicate_details") or []]

    def report_rows(self, result: Mapping[str, Any]) -> list[tuple[str, Any]]:
        if "acknowledged_count" not in result:
            return []
        return [
            ("ids asked for", result["attempted_count"]),
            ("ids acknowledged", result["acknowledged_count"]),
            ("ids handed out twice or more", result.get("duplicated_count")),
            ("lowest and highest id", json_text(result.get("range"))),
        ]


def unique_ids_checker(history: Sequence[Op]) -> dict[str, Any]:
    """Jepsen's unique-ids checker on the ``generate`` operations of ``history``.

    ``attempted_count``: invocations; ``acknowledged_count``: ``ok`` ids;
    ``duplicated``: up to 48 ids returned more than once (the most repeated),
    each as its JSON text with its count; ``range``: the lowest and highest id
    by Clojure's ``compare``. Ids are equal as Clojure's ``=`` says (``1``,
    ``1.0`` and ``"1"`` are three ids); ids that cannot be ordered (objects,
    strings among numbers) raise ``Incomparable``, which makes the result
    unknown, as Jepsen's throws. ``duplicate_details`` (this bench's own) lists
    which operations got each duplicated id, and when.
    """
    ops = [op for op in history if is_client(op) and op.f == "generate"]
    attempted = sum(1 for op in ops if op.type == "invoke")
    acks = [op for op in ops if op.type == "ok"]
    counts: Counter[Hashable] = Counter(values.key(op.value) for op in acks)
    first: dict[Hashable, Any] = {}
    got: dict[Hashable, list[Op]] = {}
    lo: Any = None
    hi: Any = None
    for i, op in enumerate(acks):
        k = values.key(op.value)
        first.setdefault(k, op.value)
        if counts[k] > 1:
            got.setdefault(k, []).append(op)
        if i == 0 or values.compare(op.value, lo) < 0:
            lo = op.value
        if i == 0 or values.compare(op.value, hi) > 0:
            hi = op.value
    dups = values.sort([k for k in counts if counts[k] > 1], lambda k: first[k])
    # Jepsen's: ordered by id, then by count, most repeated first (ties: the
    # larger id first); the 48 kept are ordered by id again.
    most = list(reversed(sorted(dups, key=lambda k: counts[k])))[:MAX_DUPLICATED]
    kept = values.sort(most, lambda k: first[k])
    return {
        "valid": not dups,
        "attempted_count": attempted,
        "acknowledged_count": len(acks),
        "duplicated_count": len(dups),
        "duplicated": {json_text(first[k]): counts[k] for k in kept},
        "range": [lo, hi],
        "duplicate_details": [
            {"id": first[k], "count": counts[k], "ops": [_where(op) for op in got[k]]} for k in kept
        ],
    }


def _where(op: Op) -> dict[str, Any]:
    return {"index": op.index, "time": op.time, "process": op.process, "node": op.node}


def json_text(value: Any) -> str:
    """A value as JSON text (``1`` and ``"1"`` stay apart), cut short."""
    text = json.dumps(value, default=repr)
    return text if len(text) <= 80 else text[:80] + "…"


def duplicate_sentence(detail: Mapping[str, Any]) -> str:
    """Which id came back more than once, to whom and when, in one sentence."""
    given = []
    for op in detail.get("ops") or []:
        who = op.get("node") or "a node"
        at = op.get("time")
        when = f" at {at / 1e9:.3f} s" if isinstance(at, int | float) else ""
        given.append(f"{who} (process {op.get('process')}){when}")
    listed = ", ".join(given[:-1]) + f" and {given[-1]}" if len(given) > 1 else "".join(given)
    return (
        f"id {json_text(detail.get('id'))} was handed out {detail.get('count')} times, to "
        f"the requests sent to {listed}; an id must be new each time"
    )


register(
    Entry(
        "unique-ids",
        "every id a node generates must differ from all others",
        UniqueIdsWorkload,
        DefaultNode("glomers.examples.unique_ids:build", "glomers.examples.unique_ids"),
    )
)
