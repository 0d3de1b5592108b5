"""Clients for Maelstrom's key/value services: seq-kv, lin-kv and lww-kv.

Each service answers ``read``, ``write`` and ``cas`` (compare-and-swap) requests
from nodes. ``KV`` wraps them as coroutines over ``Node.rpc``::

    kv = SeqKV(node)
    await kv.write("x", 1)
    await kv.cas("x", 1, 2)          # PreconditionFailed unless x is 1
    n = await kv.read_int("x")       # KeyDoesNotExist if x was never written

The consistency each service promises differs (lin-kv: linearizable; seq-kv:
sequentially consistent, so reads may be stale; lww-kv: last write wins, and
writes may be lost); the client is the same for all three.

Reads are sent again while unanswered (``Node.rpc(..., retry=True)``): a read
done twice changes nothing. Writes and compare-and-swaps are sent once unless
the caller passes ``retry=True``, which is safe only when a copy arriving late
cannot undo someone else's later change (a key only this node writes, or a
value never written twice). ``LinTSO`` is the client of the ``lin-tso``
timestamp oracle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from glomers.errors import Crash, KeyDoesNotExist
from glomers.node import DEFAULT, Wait

if TYPE_CHECKING:
    from glomers.node import Node

__all__ = ["KV", "LWWKV", "LinKV", "LinTSO", "SeqKV"]

SEQ_KV: Final = "seq-kv"
LIN_KV: Final = "lin-kv"
LWW_KV: Final = "lww-kv"
LIN_TSO: Final = "lin-tso"

_MISSING: Final[Any] = object()


class KV:
    """A client of the key/value service named ``service`` (default seq-kv).

    Errors the service answers are raised as ``RPCError`` subclasses:
    ``KeyDoesNotExist`` (20) and ``PreconditionFailed`` (22) above all, and
    ``Timeout`` (code 0) when no answer comes in ``timeout`` seconds (default:
    the node's ``rpc_timeout``). Each call can take its own ``timeout=``.
    """

    def __init__(self, node: Node, service: str = SEQ_KV, *, timeout: Wait = DEFAULT) -> None:
        self.node = node
        self.service = service
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.service!r})"

    def _wait(self, timeout: Wait) -> Wait:
        return self.timeout if timeout is DEFAULT else timeout

    async def read(self, key: Any, default: Any = _MISSING, *, timeout: Wait = DEFAULT) -> Any:
        """The value of ``key``; ``default`` if given and the key does not exist."""
        try:
            reply = await self.node.rpc(
                self.service, {"type": "read", "key": key}, timeout=self._wait(timeout), retry=True
            )
        except KeyDoesNotExist:
            if default is _MISSING:
                raise
            return default
        if "value" not in reply:
            raise Crash(f"read_ok without a value: {reply!r}", source=self.service)
        return reply["value"]

    async def read_int(
        self, key: Any, default: int | None = None, *, timeout: Wait = DEFAULT
    ) -> int:
        """The integer value of ``key``; ``default`` (if not None) when it does not exist."""
        value = await self.read(key, _MISSING if default is None else default, timeout=timeout)
        if type(value) is not int:
            raise TypeError(f"{self.service} key {key!r} holds {value!r}, not an integer")
        return value

    async def write(
        self, key: Any, value: Any, *, timeout: Wait = DEFAULT, retry: bool = False
    ) -> None:
        """Set ``key`` to ``value`` (``retry``: see the module's docstring)."""
        await self.node.rpc(
            self.service,
            {"type": "write", "key": key, "value": value},
            timeout=self._wait(timeout),
            retry=retry,
        )

    async def cas(
        self,
        key: Any,
        from_: Any,
        to: Any,
        *,
        create_if_not_exists: bool = False,
        timeout: Wait = DEFAULT,
        retry: bool = False,
    ) -> None:
        """Set ``key`` to ``to`` if it holds ``from_``, else raise ``PreconditionFailed``.

        A missing key raises ``KeyDoesNotExist`` unless ``create_if_not_exists``,
        in which case it is created with ``to``. With ``retry`` (see the module's
        docstring) a copy may fail because an earlier one succeeded; such an
        error has ``resent`` set and is not definite.
        """
        body: dict[str, Any] = {"type": "cas", "key": key, "from": from_, "to": to}
        if create_if_not_exists:
            body["create_if_not_exists"] = True
        await self.node.rpc(self.service, body, timeout=self._wait(timeout), retry=retry)


class SeqKV(KV):
    """The sequentially consistent ``seq-kv`` service."""

    def __init__(self, node: Node, *, timeout: Wait = DEFAULT) -> None:
        super().__init__(node, SEQ_KV, timeout=timeout)


class LinKV(KV):
    """The linearizable ``lin-kv`` service."""

    def __init__(self, node: Node, *, timeout: Wait = DEFAULT) -> None:
        super().__init__(node, LIN_KV, timeout=timeout)


class LWWKV(KV):
    """The last-write-wins ``lww-kv`` service."""

    def __init__(self, node: Node, *, timeout: Wait = DEFAULT) -> None:
        super().__init__(node, LWW_KV, timeout=timeout)


class LinTSO:
    """A client of ``lin-tso``, the linearizable timestamp oracle.

    ``await tso.ts()`` gives a timestamp greater than every one given before
    it (0, 1, 2, ...). Requests are sent again while unanswered: a copy that
    arrives too only uses up a timestamp nobody sees.
    """

    def __init__(self, node: Node, *, timeout: Wait = DEFAULT) -> None:
        self.node = node
        self.service = LIN_TSO
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"LinTSO({self.service!r})"

    async def ts(self, *, timeout: Wait = DEFAULT) -> int:
        """A new timestamp."""
        wait = self.timeout if timeout is DEFAULT else timeout
        reply = await self.node.rpc(self.service, {"type": "ts"}, timeout=wait, retry=True)
        value = reply.get("ts")
        if type(value) is not int:
            raise Crash(f"ts_ok without an integer ts: {reply!r}", source=self.service)
        return value
