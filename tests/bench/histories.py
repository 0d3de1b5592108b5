"""Hand-written histories for the checkers' tests: ``History`` builds one record by record."""

from __future__ import annotations

from typing import Any

from glomers.bench.history import Op

SECOND = 1_000_000_000


class History:
    """Builds a history; each record is 1 ms after the previous one unless ``at`` (s) says."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.time = 0

    def record(self, process: int | str, type_: Any, f: str, value: Any = None, **kw: Any) -> Op:
        at = kw.pop("at", None)
        self.time = round(at * SECOND) if at is not None else self.time + 1_000_000
        op = Op(process=process, type=type_, f=f, value=value, time=self.time, **kw)
        op.index = len(self.ops)
        self.ops.append(op)
        return op

    def invoke(self, process: int | str, f: str, value: Any = None, **kw: Any) -> Op:
        return self.record(process, "invoke", f, value, **kw)

    def complete(self, process: int | str, type_: Any, f: str, value: Any = None, **kw: Any) -> Op:
        return self.record(process, type_, f, value, **kw)

    def add(self, process: int, delta: int, outcome: str = "ok", **kw: Any) -> None:
        self.invoke(process, "add", delta)
        self.complete(process, outcome, "add", delta, **kw)

    def read(self, process: int, value: Any, outcome: str = "ok", final: bool = False) -> None:
        self.invoke(process, "read", None, final=final)
        self.complete(process, outcome, "read", value, final=final, node=f"n{process}")


def completions(*specs: tuple[str, str, Any, bool]) -> list[Op]:
    """A history of completions only, the way Maelstrom's tests write them."""
    return [
        Op(process=i, type=t, f=f, value=v, final=final, index=i)  # type: ignore[arg-type]
        for i, (t, f, v, final) in enumerate(specs)
    ]


def expand(ranges: list[list[int]]) -> set[int]:
    return {v for lo, hi in ranges for v in range(lo, hi + 1)}
