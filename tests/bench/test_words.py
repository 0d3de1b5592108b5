"""Counts in words."""

from __future__ import annotations

from glomers.bench.words import counted


def test_one_is_singular_and_others_plural() -> None:
    assert counted(1, "node") == "1 node"
    assert counted(0, "node") == "0 nodes"
    assert counted(3, "run") == "3 runs"
    assert counted(1, "process", "processes") == "1 process"
    assert counted(2, "process", "processes") == "2 processes"
