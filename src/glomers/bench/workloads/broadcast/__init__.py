"""The broadcast workload (Maelstrom's broadcast.clj): every message reaches every node.

At setup each node gets ``topology {topology: {node: [neighbours]}}`` (the
shape ``--topology`` names, see ``topology``) and must answer ``topology_ok``
within 5 s, or the run stops (exit 255). Then clients send ``broadcast
{message}`` (answered ``broadcast_ok``) and ``read`` (answered ``read_ok
{messages}``) half and half, the messages 0, 1, 2, ... from one counter for the
whole run. After recovery every worker reads once more (flagged final). The
verdict is set-full (``setfull``), with the broadcasts as the adds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from glomers.bench.client import ClientError, ClientTimeout
from glomers.bench.workloads import (
    ErrorPolicy,
    Reply,
    Setup,
    SetupFailed,
    setfull,
    validate,
)
from glomers.bench.workloads.broadcast.topology import TOPOLOGIES, topology
from glomers.bench.workloads.registry import DefaultNode, Entry, register

#: Errors as Maelstrom's broadcast client sees them: a read may fail outright.
POLICY = ErrorPolicy("with-errors", frozenset({"read"}))

#: How long a node has to answer ``topology``, in seconds.
TOPOLOGY_TIMEOUT = 5.0

__all__ = ["TOPOLOGIES", "BroadcastWorkload"]


class TopologyOk(Reply, tag="topology_ok"):
    """The reply to ``topology``: nothing but the acknowledgement."""


class BroadcastOk(Reply, tag="broadcast_ok"):
    """The reply to ``broadcast``: nothing but the acknowledgement."""


class ReadOk(Reply, tag="read_ok"):
    """The reply to ``read``: every message the node has, any JSON values."""

    messages: list[Any]


class BroadcastWorkload(setfull.SetWorkload):
    """Clients broadcast 0, 1, 2, ... and read what each node has."""

    name = "broadcast"
    add = "broadcast"
    element = "message"
    add_ok = BroadcastOk
    read_ok = ReadOk
    read_field = "messages"
    policy = POLICY

    async def setup(self, run: Setup) -> None:
        shape = topology(run.topology, run.nodes)
        await _tell_topology(run, shape)


async def _tell_topology(run: Setup, shape: Mapping[str, list[str]]) -> None:
    """Send every node the topology at once, each through a client of its own."""

    async def tell(node: str) -> None:
        client = run.open_client()
        request = {"type": "topology", "topology": dict(shape)}
        try:
            body = await client.rpc(node, request, TOPOLOGY_TIMEOUT)
        except ClientTimeout:
            raise SetupFailed(
                f"Node {node} did not answer the topology message within "
                f"{TOPOLOGY_TIMEOUT:g} s; the broadcast workload cannot start without it."
            ) from None
        except ClientError as exc:
            raise SetupFailed(
                f"Node {node} answered the topology message with error {exc.code} "
                f"({exc.label}): {exc.text}"
            ) from None
        reply = validate(body, TopologyOk)
        if isinstance(reply, str):
            raise SetupFailed(f"Node {node} answered the topology message with {body!r}: {reply}")

    await asyncio.gather(*(tell(node) for node in run.nodes))


register(
    Entry(
        "broadcast",
        "messages broadcast to one node must reach every node",
        BroadcastWorkload,
        DefaultNode("glomers.examples.broadcast:build", "glomers.examples.broadcast"),
        takes=("topology",),
    )
)
