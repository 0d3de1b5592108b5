"""What the bench needs of a node's host, and the checks on what a node prints.

A host runs one node of the test: ``ProcessHost`` (``glomers.bench.process``)
as a child process, ``InProcessHost`` (``glomers.bench.inproc``) as a glomers
``Node`` object in the bench's own process. Both satisfy ``Host``, report what
their node does wrong as a ``NodeFault`` and pass every line the node prints
through ``forward_output``, so a node is judged the same way however it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

import msgspec

from glomers.bench.net import Message, Network
from glomers.bench.words import clipped

_decode = msgspec.json.Decoder().decode


class Host(Protocol):
    """One node of the test, however it is run; it registers itself in the network."""

    node_id: str
    #: Started and not killed since: what the nemesis sees (a crash leaves it set).
    up: bool
    #: Paused by the nemesis and not resumed since.
    paused: bool

    async def start(self) -> None:
        """Start the node (again, after a kill); a failure is reported as a fault."""
        ...

    async def kill(self) -> None:
        """Kill the node, losing whatever it held in memory, and wait for it to go."""
        ...

    def pause(self) -> None:
        """Stop the node's work where it is: it reads nothing and runs nothing."""
        ...

    def resume(self) -> None:
        """Let a paused node go on, with what came for it meanwhile."""
        ...

    async def stop(self) -> None:
        """Tear the node down at the end of the test."""
        ...

    def tail_report(self) -> str:
        """The node's last output, to append to a report of its fault ("" if none)."""
        ...


#: ``abort``: the node could not be started or initialised, the run cannot go on;
#: ``protocol``: a stdout line broke the protocol, the node is mute from then on;
#: ``crash``: the node exited unasked; ``wrong-src``: a message sent in another's
#: name, routed all the same (a finding beyond Maelstrom).
FaultKind = Literal["abort", "protocol", "crash", "wrong-src"]


class NodeFault(Exception):
    """Something a node did wrong. ``str()`` is the full report.

    ``problem`` is the report without the node's last lines of output, ``line``
    the offending stdout line (``protocol`` and ``wrong-src``) and ``src`` the
    id it claimed (``wrong-src``).
    """

    def __init__(
        self,
        node: str,
        report: str,
        kind: FaultKind = "abort",
        *,
        problem: str | None = None,
        line: str | None = None,
        src: str | None = None,
    ) -> None:
        self.node = node
        self.report = report
        self.kind: FaultKind = kind
        self.problem = report if problem is None else problem
        self.line = line
        self.src = src
        super().__init__(report)


#: Builds the host of one node: ``(node_id, network, on_fault) -> Host``.
HostFactory = Callable[[str, Network, Callable[[NodeFault], None]], Host]


class BadOutput(Exception):
    """A line a node printed on stdout breaks the protocol; ``str()`` says how."""


#: Keys Maelstrom's closed envelope allows at the top level of a node's message.
_ENVELOPE = frozenset(("src", "dest", "body", "id"))

#: Appended to the report of a line that breaks the protocol.
MUTE_NOTE = (
    "\n\nAs Maelstrom does, nothing this node prints on STDOUT is read from now on "
    "(it still receives messages); the run goes on."
)


def forward_output(
    net: Network, node_id: str, raw: bytes, on_fault: Callable[[NodeFault], None]
) -> bool:
    """Send one stdout line of ``node_id`` into the network, reporting what is wrong.

    Returns False when the line breaks the protocol: the caller must then read
    nothing more from that node (it goes mute).
    """
    try:
        message = send_output(net, node_id, raw)
    except BadOutput as exc:
        problem = str(exc)
        line = raw.decode("utf-8", "replace")
        on_fault(NodeFault(node_id, problem + MUTE_NOTE, "protocol", problem=problem, line=line))
        return False
    src = message["src"]
    if src != node_id:
        line = raw.decode("utf-8", "replace")
        problem = f"Node {node_id} sent a message with `src` {src!r}, not its own id."
        on_fault(NodeFault(node_id, problem, "wrong-src", line=line, src=src))
    return True


def send_output(net: Network, node_id: str, raw: bytes) -> Message:
    """Check one line a node printed and put the message on the network.

    The envelope must be Maelstrom's closed one: ``src`` and ``dest`` strings
    naming ids registered now, ``body`` an object (missing or null: empty), an
    optional integer ``id`` (replaced), nothing else; a blank line is malformed
    too. Returns the message sent; raises ``BadOutput`` with Maelstrom's
    explanation otherwise.
    """
    line = raw.decode("utf-8", "replace")
    if not raw.strip():
        raise BadOutput(_malformed_text(node_id, line, "it is a blank line"))
    try:
        message = _decode(raw)
    except msgspec.DecodeError:
        raise BadOutput(
            f"Node {node_id} printed a line to STDOUT which was not well-formed JSON:\n\n"
            f"{clipped(line, 2000, count=True)}\n\nDid you mean to encode this line as JSON? "
            "Or was this line intended for STDERR? Only protocol messages may go to stdout; "
            "logs belong on stderr."
        ) from None
    reason = _malformed(message)
    if reason:
        raise BadOutput(_malformed_text(node_id, line, reason))
    for key, name in (("src", "source"), ("dest", "dest")):
        if not net.registered(message[key]):
            raise BadOutput(
                f"Invalid {name} for message from node {node_id}: {message[key]!r} is no node, "
                "service or open client of this test (a client is closed once its operation "
                f"is over: a late reply to it is lost):\n\n{clipped(line, 2000, count=True)}"
            )
    body = message.get("body")
    sent: Message = {
        "src": message["src"],
        "dest": message["dest"],
        "body": {} if body is None else body,
    }
    net.send(sent)
    return sent


def _malformed_text(node_id: str, line: str, reason: str) -> str:
    return (
        f"Malformed network message. Node {node_id} tried to send the following message "
        f"via STDOUT:\n\n{clipped(line, 2000, count=True)}\n\nThis is malformed because {reason}."
    )


def _malformed(message: Any) -> str | None:
    if type(message) is not dict:
        kind = "null" if message is None else type(message).__name__
        return f"it is a JSON {kind}, not an object"
    extra = sorted(set(message) - _ENVELOPE)
    if extra:
        keys = ", ".join(f"`{k}`" for k in extra)
        return f"it has {keys} at the top level, where only `src`, `dest`, `body` and `id` may be"
    for key in ("src", "dest"):
        if key not in message:
            return f"it has no `{key}`"
        if type(message[key]) is not str:
            return f"`{key}` is not a string"
    body = message.get("body")
    if body is not None and type(body) is not dict:
        return "`body` is not an object"
    if "id" in message and type(message["id"]) is not int:
        return "`id` is not an integer"
    return None
