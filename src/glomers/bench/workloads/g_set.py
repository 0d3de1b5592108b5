"""The g-set workload (Maelstrom's g_set.clj): a grow-only set, added to and read.

Clients send ``add {element}`` (answered ``add_ok``) and ``read`` (answered
``read_ok {value}``) half and half, the elements 0, 1, 2, ... from one counter
for the whole run. Maelstrom's g-set client catches nothing, so every timeout
and every error reply is ``info``. After recovery every worker reads once more
(not flagged final: set-full uses every read). The verdict is set-full
(``setfull``).
"""

from __future__ import annotations

from typing import Any

from glomers.bench.workloads import ErrorPolicy, Reply, setfull
from glomers.bench.workloads.registry import DefaultNode, Entry, register

#: Maelstrom's g-set client catches nothing: every timeout and error is ``info``.
POLICY = ErrorPolicy("none")


class AddOk(Reply, tag="add_ok"):
    """The reply to ``add``: nothing but the acknowledgement."""


class ReadOk(Reply, tag="read_ok"):
    """The reply to ``read``: the set's elements, any JSON values."""

    value: list[Any]


class GSetWorkload(setfull.SetWorkload):
    """Clients add 0, 1, 2, ... and read the whole set."""

    name = "g-set"
    flag_final = False
    add = "add"
    element = "element"
    add_ok = AddOk
    read_ok = ReadOk
    read_field = "value"
    policy = POLICY


register(
    Entry(
        "g-set",
        "a grow-only set: add elements, read them all back",
        GSetWorkload,
        DefaultNode("glomers.examples.g_set:build", "glomers.examples.g_set"),
    )
)
