"""The node: Maelstrom's protocol as an asyncio runtime.

A Maelstrom node reads one JSON message per line on stdin, writes one per line on
stdout and logs on stderr. ``Node`` does the protocol work -- framing, ``init``,
message ids, replies, RPC bookkeeping, error answers -- so that a program only
says what each request type does::

    from glomers import Node

    def build():
        node = Node()

        @node.handler("echo")
        def echo(req):
            return {"type": "echo_ok", "echo": req.body["echo"]}

        return node

    if __name__ == "__main__":
        build().run()

(``build`` is what ``glomers test --sim`` imports and calls; ``run`` serves on
stdin and stdout, and refuses to while the bench imports the file.)

Handlers may be plain functions, which run inline as their request arrives, or
``async`` functions, each request of which gets its own task, so a slow handler
never holds up the others. A handler answers by returning a body (or by calling
``node.reply``); raising ``RPCError`` answers with that error's code; any other
exception is answered with code 13 (crash), logged, and the node keeps going.

The node itself never touches stdin or stdout: ``run`` wires it to the standard
streams, while ``glomers.testing.MemoryTransport`` and the bench's simulation
mode wire it to memory (through its private ``_attach`` and ``_feed``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from types import CoroutineType
from typing import Any, Final, Generic, Literal, TypeAlias, TypeVar, overload

import msgspec

from glomers._calls import Calls, Copies
from glomers.errors import Crash, MalformedRequest, NotSupported, RPCError, TemporarilyUnavailable
from glomers.errors import Timeout as RPCTimeout
from glomers.rtt import RoundTrips

__all__ = ["Body", "Later", "Node", "Request"]

log = logging.getLogger("glomers.node")

Body: TypeAlias = dict[str, Any]
B = TypeVar("B")
T = TypeVar("T")
H = TypeVar("H", bound=Callable[..., Any])

# Messages held while the node waits for init; beyond this they are refused.
_BACKLOG_LIMIT = 100_000

#: How long ``Node.rpc`` waits for an answer unless told otherwise, in seconds.
DEFAULT_RPC_TIMEOUT = 1.0

#: How old a client's request may be when its answer is ready; later answers are
#: dropped. Maelstrom's clients wait 5 s, and a reply to a client that gave up and
#: was replaced is an unknown destination, which mutes the node for the rest of
#: the run; the second left over is for the network.
CLIENT_REPLY_DEADLINE = 4.0

#: How often a node notes that its loop is running, and how late that note may be
#: before the node takes it that it was frozen (paused, say), in seconds. Input
#: read just after a freeze may have waited through all of it.
_TICK = 0.1
_FROZEN = 0.5


#: Set while a host imports a module to take its node-building function from it
#: (``glomers test --sim``): then ``Node.run`` must not take over stdin and stdout.
_loading_builder: ContextVar[str | None] = ContextVar("glomers_loading_builder", default=None)


class RunWhileLoading(RuntimeError):
    """``Node.run()`` was called while a module was imported for its builder."""


@contextmanager
def loading_builder(what: str) -> Iterator[None]:
    """While inside, ``Node.run()`` raises ``RunWhileLoading`` instead of serving.

    A host that imports ``what`` (a file or module) only to call its builder
    wraps the import in this, so a module that starts serving at import time
    stops with an explanation instead of blocking on stdin.
    """
    token = _loading_builder.set(what)
    try:
        yield
    finally:
        _loading_builder.reset(token)


class _Default(Enum):
    TOKEN = 0


#: Stands for "the node's ``rpc_timeout``" in ``rpc`` and ``call``.
DEFAULT: Final = _Default.TOKEN
Wait: TypeAlias = float | Literal[_Default.TOKEN] | None

_decode = msgspec.json.Decoder().decode
_encode_into = msgspec.json.Encoder().encode_into

# Python 3.12 can start a task eagerly: its first step runs at once instead of on
# the next loop iteration, which roughly halves the cost of a request that never
# waits. 3.11 has no safe equivalent, so it schedules the task as usual.
_TASK_KWARGS: dict[str, Any] = {"eager_start": True} if sys.version_info >= (3, 12) else {}


@dataclass(slots=True, eq=False)
class Request(Generic[B]):
    """One request a handler is asked to serve.

    ``body`` is the request body: a dict, or an instance of the type the handler
    declared (``@node.handler("add", Add)``). ``raw`` is always the dict as it
    arrived. ``msg_id`` is None for a message that expects no answer.
    """

    src: str
    dest: str
    type: str
    msg_id: int | None
    body: B
    raw: Body
    answered: bool = field(default=False, repr=False)
    #: When the request reached the node, on its loop's clock, as far as the node
    #: can tell: the start of a freeze it may have waited through, and -inf if it
    #: was sent before this node's init (it waited while the node was down).
    #: None if unknown.
    received: float | None = field(default=None, repr=False)


@dataclass(slots=True)
class _Route:
    fn: Callable[[Request[Any]], Any]
    schema: type[Any] | None


#: Seeds for nodes built without one; a simulator sets it so that runs replay.
_seed_source: ContextVar[Callable[[], int] | None] = ContextVar("glomers_seed", default=None)


@contextmanager
def default_seeds(source: Callable[[], int]) -> Iterator[None]:
    """Nodes built inside this block without an explicit seed take ``source()``."""
    token = _seed_source.set(source)
    try:
        yield
    finally:
        _seed_source.reset(token)


class Later(Generic[T]):
    """Background work ``Node.spawn`` was given before ``init``; it starts right
    after ``init``. Awaiting it waits for that, then for the work's result; if
    the node stops first, the work never runs and awaiting raises
    ``asyncio.CancelledError``."""

    def __init__(self, work: Coroutine[Any, Any, T]) -> None:
        self._work = work
        self.task: asyncio.Task[T] | None = None
        self._decided = asyncio.Event()

    def begin(self, task: asyncio.Task[T]) -> None:
        self.task = task
        self._decided.set()

    def drop(self) -> None:
        self._work.close()  # never started: no "never awaited" warning
        self._decided.set()

    def __await__(self) -> Generator[Any, None, T]:
        return self._result().__await__()

    async def _result(self) -> T:
        await self._decided.wait()
        if self.task is None:
            raise asyncio.CancelledError("the node stopped before init")
        return await self.task


class Node:
    """A Maelstrom node. Register handlers, then call ``run()``.

    ``node_id`` and ``node_ids`` are set when ``init`` arrives, before the
    ``on_init`` hook runs. ``random`` is the node's own random generator; seed it
    (``Node(seed=...)``) for runs that replay exactly.

    An answer to a client (``c1``, ``c2``, ...) whose request is older than
    ``client_reply_deadline`` seconds is dropped and logged: the client has
    given up, and under Maelstrom a reply to a client that was replaced mutes
    the node that sent it. None answers however late. A request sent while the
    node was down (before its ``init``) counts as too old, unless the node
    learns when its previous process was last alive (``alive_until``).
    """

    def __init__(
        self,
        *,
        rpc_timeout: float | None = DEFAULT_RPC_TIMEOUT,
        seed: int | None = None,
        client_reply_deadline: float | None = CLIENT_REPLY_DEADLINE,
    ):
        self.node_id: str = ""
        self.node_ids: list[str] = []
        self.rpc_timeout = rpc_timeout
        self.client_reply_deadline = client_reply_deadline
        source = _seed_source.get()
        if seed is None and source is not None:
            seed = source()
        self.random = random.Random(seed)
        self._routes: dict[str, _Route] = {}
        self._init_hooks: list[Callable[[], Any]] = []
        self._deferred: list[Callable[[], object]] = []
        self._laters: list[Later[Any]] = []
        self._silent_types: set[str] = set()
        self._late_types: set[str] = set()
        # Liveness: the loop's last tick, and the last freeze seen (from, to).
        self._alive_at = 0.0
        self._frozen = (0.0, float("-inf"))
        self._ticker: asyncio.TimerHandle | None = None
        self._init_net_id: int | None = None  # the network id of our init message
        self._alive_until: float | None = None  # when our previous process was alive
        self._calls = Calls(self._emit)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._out = bytearray()
        self._write: Callable[[bytes], None] | None = None
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._ready = False  # init answered: requests go to handlers, not the backlog
        self._backlog: list[tuple[str, str, Body, int | None]] = []

    @property
    def round_trips(self) -> RoundTrips:
        """Round-trip estimates per destination, from every reply; they set how
        soon ``rpc(..., retry=True)`` sends a request again."""
        return self._calls.round_trips

    # -- registering behaviour ---------------------------------------------------------

    @overload
    def handler(self, type: str) -> Callable[[H], H]: ...
    @overload
    def handler(self, type: str, body: type[Any]) -> Callable[[H], H]: ...

    def handler(self, type: str, body: type[Any] | None = None) -> Callable[[H], H]:
        """Register the decorated function as the handler of requests of ``type``.

        ``body`` declares the fields the handler needs, as a ``msgspec.Struct``,
        dataclass or TypedDict; a request whose body does not fit is answered with
        error 12 naming the field, and the handler gets the converted object as
        ``req.body``::

            class Add(msgspec.Struct):
                delta: int

            @node.handler("add", Add)
            async def add(req: Request[Add]) -> Body:
                ...
                return {"type": "add_ok"}
        """
        if callable(type):
            raise TypeError(
                f"@node.handler needs the message type in parentheses, e.g. "
                f'@node.handler("echo"), above {getattr(type, "__name__", type)!r}'
            )
        if not isinstance(type, str):
            raise TypeError(f'a message type is a string, such as "echo", not {type!r}')
        if type == "init":
            raise ValueError("`init` is answered by the node itself; use @node.on_init for a hook")
        if type in self._routes:
            raise ValueError(f"a handler for {type!r} is already registered")

        def register(fn: H) -> H:
            self._routes[type] = _Route(fn, body)
            return fn

        return register

    def on_init(self, fn: H) -> H:
        """Run ``fn()`` (plain or async) once ``init`` has set the node's ids, before
        ``init_ok`` is sent. An exception in it answers ``init`` with an error."""
        self._init_hooks.append(fn)
        return fn

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T] | Later[T]:
        """Run ``work`` in the background until it ends or the node stops.

        Returns its task. Called before the node has been initialised, the work
        starts right after ``init``, and what is returned is a ``Later``: awaiting
        it waits for the work to start, then for its result. Either way an
        exception the work raises is logged, and raised again to anyone awaiting.
        """
        if not self._started:
            later: Later[T] = Later(work)
            self._deferred.append(lambda: later.begin(self._start_task(work)))
            self._laters.append(later)
            return later
        return self._start_task(work)

    def every(self, seconds: float, fn: Callable[[], Any], *, first: float | None = None) -> None:
        """Call ``fn()`` (plain or async) every ``seconds`` while the node runs,
        starting after ``init``: the first call ``first`` seconds after it (by
        default ``seconds``). An exception in one call is logged; the next call
        still happens."""
        if seconds <= 0:
            raise ValueError("every() needs a positive period")
        if first is not None and first < 0:
            raise ValueError("every() needs a first delay of zero or more")
        wait = seconds if first is None else first

        async def repeat() -> None:
            delay = wait
            while True:
                await asyncio.sleep(delay)
                delay = seconds
                try:
                    result = fn()
                    if isinstance(result, Awaitable):
                        await result
                except Exception:
                    log.exception("periodic task %s failed", getattr(fn, "__name__", fn))

        self.spawn(repeat())

    # -- sending -----------------------------------------------------------------------

    def send(self, dest: str, body: Mapping[str, Any]) -> None:
        """Send ``body`` to ``dest`` and expect no answer."""
        self._emit(dest, _checked(body))

    def reply(self, req: Request[Any], body: Mapping[str, Any]) -> None:
        """Answer ``req`` with ``body``. A request is answered at most once."""
        body = _checked(body)
        if req.answered:
            raise RuntimeError(
                f"the {req.type} request {req.msg_id} from {req.src} was already answered"
            )
        req.answered = True
        if req.msg_id is None:
            log.warning("not answering %s from %s: the request has no msg_id", req.type, req.src)
            return
        if req.received is not None and self._too_late(req):
            return
        self._emit(req.src, {**body, "in_reply_to": req.msg_id})

    def alive_until(self, when: float) -> None:
        """Say that this node's previous process was alive at ``when`` (on this
        loop's clock: ``time.monotonic()`` outside simulation, which every process
        of the machine shares), for instance from a timestamp it left in a store.

        A request that waited while the node was down was sent after that
        process died, so no earlier than ``when``: it is answered if that is
        recent enough for its client to be waiting still."""
        if self._alive_until is None or when > self._alive_until:
            self._alive_until = when

    def _too_late(self, req: Request[Any]) -> bool:
        """Whether ``req`` comes from a client that has surely stopped waiting."""
        deadline = self.client_reply_deadline
        src = req.src
        if deadline is None or src[:1] != "c" or not src[1:].isdigit():
            return False  # peers and services keep listening
        received = req.received or 0.0
        if received == float("-inf") and self._alive_until is not None:
            received = self._alive_until  # it waited while we were down, since then at most
        age = self._running_loop().time() - received
        if age <= deadline:
            return False
        level = logging.DEBUG if req.type in self._late_types else logging.WARNING
        self._late_types.add(req.type)
        how_old = (
            "it was sent before this node's init (while the node was down)"
            if age == float("inf")
            else f"it may be {age:.1f} s old"
        )
        log.log(
            level,
            "not answering %s request %s from %s: %s, past the %.1f s a client waits, and a "
            "late reply to a client that was replaced would mute this node (said once per type)",
            req.type, req.msg_id, src, how_old, deadline,
        )  # fmt: skip
        return True

    @overload
    def rpc(
        self,
        dest: str,
        body: Mapping[str, Any],
        *,
        timeout: Wait = ...,
        retry: bool = ...,
        reply: None = ...,
    ) -> asyncio.Future[Body]: ...
    @overload
    def rpc(
        self,
        dest: str,
        body: Mapping[str, Any],
        *,
        timeout: Wait = ...,
        retry: bool = ...,
        reply: type[T],
    ) -> asyncio.Future[T]: ...
    def rpc(
        self,
        dest: str,
        body: Mapping[str, Any],
        *,
        timeout: Wait = DEFAULT,
        retry: bool = False,
        reply: type[Any] | None = None,
    ) -> asyncio.Future[Any]:
        """Send a request to ``dest``; the result is a future of the reply body.

        The request leaves at once; await the future for the answer. An ``error``
        reply raises the matching ``RPCError`` (with ``source`` set to ``dest``);
        no reply within ``timeout`` seconds (default ``rpc_timeout``; None waits
        forever) raises ``Timeout`` (code 0). A reply that comes after that is
        ignored.

        ``retry=True`` says the request is safe to send more than once (see
        the README's rule): while no reply has come, a copy is sent again
        each time the round-trip estimate for ``dest`` runs out (doubling the
        wait each time), and the first reply to any copy settles the call;
        ``timeout`` still bounds the whole. When more than one copy went out,
        an error reply comes from one copy while another may have acted, so
        the error raised is never definite (``resent`` is True).

        ``reply=SomeStruct`` (a ``msgspec.Struct``, dataclass or TypedDict, as
        for handlers) gives the reply decoded and checked as that type; a
        reply that does not fit raises ``Crash`` (code 13, indefinite: the
        request may well have been carried out).
        """
        loop = self._running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        copies: Copies | None = None
        schema = reply

        def settle(answer: Body | None, src: str) -> None:
            if fut.done():
                return
            if answer is None:
                fut.set_exception(
                    RPCTimeout(f"no reply to {body.get('type')} within {wait}s", source=dest)
                )
            elif answer.get("type") == "error":
                exc = RPCError.from_body(answer, source=src)
                exc.resent = copies is not None and len(copies.ids) > 1
                fut.set_exception(exc)
            elif schema is None:
                fut.set_result(answer)
            else:
                try:
                    fut.set_result(msgspec.convert(answer, schema))
                except msgspec.ValidationError as exc:
                    what = f"{answer.get('type')!r} reply to {body.get('type')!r}"
                    fut.set_exception(Crash(f"malformed {what}: {exc}", source=src))

        wait = self.rpc_timeout if timeout is DEFAULT else timeout
        body = _checked(body)
        if retry:
            copies = self._calls.send_retrying(loop, dest, body, settle, wait)
            forget: Callable[[], None] = partial(self._calls.stop, copies)
        else:
            forget = partial(self._calls.forget, self._calls.send(loop, dest, body, settle, wait))
        # The awaiting task was cancelled: forget the request, a late reply is ignored.
        fut.add_done_callback(lambda f: forget() if f.cancelled() else None)
        return fut

    async def rpc_all(
        self,
        body: Mapping[str, Any],
        *,
        peers: Iterable[str] | None = None,
        timeout: Wait = DEFAULT,
        retry: bool = False,
        reply: type[Any] | None = None,
    ) -> dict[str, Any]:
        """Send ``body`` to every other node (or to ``peers``) and gather the answers.

        Returns, per peer, its reply (decoded as ``reply`` if given) or the
        ``RPCError`` it ended with; each peer has its own ``timeout``, so one
        slow or partitioned peer costs its own timeout, not the others'. The
        requests leave at once, and ``timeout`` and ``retry`` are as for ``rpc``.
        """
        targets = [n for n in self.node_ids if n != self.node_id] if peers is None else [*peers]
        calls = {p: self.rpc(p, body, timeout=timeout, retry=retry, reply=reply) for p in targets}
        answers: dict[str, Any] = {}
        try:
            for peer, call in calls.items():
                try:
                    answers[peer] = await call
                except RPCError as exc:
                    answers[peer] = exc
        finally:
            for call in calls.values():
                call.cancel()  # only those still waiting: the caller was cancelled
        return answers

    def call(
        self,
        dest: str,
        body: Mapping[str, Any],
        callback: Callable[[Body], Any],
        *,
        timeout: Wait = DEFAULT,
        retry: bool = False,
    ) -> int:
        """Send a request to ``dest`` and call ``callback(reply_body)`` when it answers.

        The callback form of ``rpc``: the callback gets every reply, ``error``
        bodies included; with no reply in ``timeout`` seconds it gets an error
        body with code 0. It may be plain or async. ``retry`` is as for
        ``rpc``; then an error body may answer any copy, so no error code is
        definite. Returns the (first) request's msg_id.
        """

        def settle(reply: Body | None, src: str) -> None:
            if reply is None:
                reply = {**RPCTimeout(f"no reply within {wait}s").to_body(), "in_reply_to": msg_id}
            try:
                result = callback(reply)
                if isinstance(result, Coroutine):
                    self._start_task(result)
            except Exception:
                log.exception("reply callback for msg %s failed", msg_id)

        wait = self.rpc_timeout if timeout is DEFAULT else timeout
        loop, body = self._running_loop(), _checked(body)
        if retry:
            msg_id = self._calls.send_retrying(loop, dest, body, settle, wait).ids[0]
        else:
            msg_id = self._calls.send(loop, dest, body, settle, wait)
        return msg_id

    # -- wiring ------------------------------------------------------------------------

    def _attach(self, write: Callable[[bytes], None]) -> None:
        """Give the node the function that carries what it sends: each call gets
        one or more whole lines. Must be called inside the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._write = write
        if self.client_reply_deadline is not None:
            self._alive_at = self._loop.time()
            self._tick()

    def _feed(self, line: bytes | str) -> None:
        """Hand the node one line from its input. Malformed lines are logged and
        skipped; requests that can be answered with an error are."""
        if self._closing:
            return
        try:
            msg = _decode(line)
        except msgspec.DecodeError as exc:
            log.error("skipping input line that is not JSON (%s): %s", exc, _clip(line))
            return
        if type(msg) is not dict:
            log.error("skipping input line that is not a JSON object: %s", _clip(line))
            return
        src = msg.get("src")
        dest = msg.get("dest")
        body = msg.get("body")
        if type(src) is not str or type(dest) is not str or type(body) is not dict:
            log.error(
                "skipping message without string `src`, string `dest` and object `body`: %s",
                _clip(line),
            )
            return
        in_reply_to = body.get("in_reply_to")
        if in_reply_to is not None:
            loop = self._loop
            self._calls.answer(in_reply_to, body, src, None if loop is None else loop.time())
            return
        net_id = msg.get("id")
        self._dispatch(src, dest, body, net_id if type(net_id) is int else None)

    async def _close(self) -> None:
        """Stop: cancel handlers and background work still running, then push out
        every message already produced. Called when the input ends."""
        if self._closing:
            return
        # One pass of the loop first, so that requests already read start before the
        # cut: a handler that needs nothing more from the input then still answers.
        await asyncio.sleep(0)
        self._closing = True
        if self._ticker is not None:
            self._ticker.cancel()
        self._deferred.clear()
        for later in self._laters:
            later.drop()
        self._laters.clear()
        self._calls.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._flush()

    def _flush(self) -> None:
        """Hand everything produced so far to the writer now."""
        self._flush_scheduled = False
        if self._out and self._write is not None:
            data, self._out = self._out, bytearray()
            self._write(bytes(data))

    def run(self, *, loop: str = "auto") -> None:
        """Serve on stdin/stdout until stdin ends, then exit.

        ``loop`` is ``"auto"`` (the environment variable ``GLOMERS_LOOP`` if set,
        else asyncio's own loop), ``"asyncio"`` or ``"uvloop"`` (opt-in; it needs
        ``glomers[uvloop]``).
        """
        loading = _loading_builder.get()
        if loading is not None:
            raise RunWhileLoading(
                f"{loading} calls Node.run() when it is imported, so it cannot be loaded "
                "to build nodes in the bench. Write it as a function that returns the node, "
                "and serve only when run as a program:\n"
                "    def build() -> Node:\n"
                "        node = Node()\n"
                "        ...  # handlers\n"
                "        return node\n\n"
                '    if __name__ == "__main__":\n'
                "        build().run()"
            )
        from glomers._stdio import run_stdio

        run_stdio(self, loop)

    # -- internals ---------------------------------------------------------------------

    @property
    def _started(self) -> bool:
        return self._ready and self._loop is not None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _start_task(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = self._running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Logged here, and still raised to whoever awaits the task.
            log.error("background task %s failed", task.get_coro(), exc_info=task.exception())

    def _emit(self, dest: str, body: Mapping[str, Any]) -> None:
        out = self._out
        # Encode first: a body that cannot be encoded must not leave half a line.
        mark = len(out)
        try:
            _encode_into({"src": self.node_id, "dest": dest, "body": body}, out, -1)
        except BaseException:
            del out[mark:]
            raise
        out.append(10)  # b"\n"
        if not self._flush_scheduled:
            self._flush_scheduled = True
            (self._loop or self._running_loop()).call_soon(self._flush)

    def _tick(self) -> None:
        loop = self._running_loop()
        now = loop.time()
        if now - self._alive_at > _FROZEN:
            self._frozen = (self._alive_at, now)
        self._alive_at = now
        self._ticker = loop.call_later(_TICK, self._tick)

    def _arrival(self, loop: asyncio.AbstractEventLoop, net_id: int | None) -> float:
        """When a message read now reached this node, as far as it can tell."""
        if net_id is not None and self._init_net_id is not None and net_id < self._init_net_id:
            # Sent before our init: it waited while this node was down.
            return float("-inf")
        now = loop.time()
        if self._ticker is None:
            return now
        if now - self._alive_at > _FROZEN:
            return self._alive_at  # frozen until just now, and the tick has not run yet
        frozen_from, thawed_at = self._frozen
        # Read in the same instant the loop thawed: it may have waited all along.
        return frozen_from if now - thawed_at <= _TICK / 2 else now

    def _dispatch(self, src: str, dest: str, body: Body, net_id: int | None = None) -> None:
        msg_id = body.get("msg_id")
        if msg_id is not None and type(msg_id) is not int:
            log.error("skipping request whose msg_id is not an integer: %s", _clip_obj(body, src))
            return
        kind = body.get("type")
        if type(kind) is not str:
            req = Request(src, dest, "?", msg_id, body, body)
            self._answer_error(req, MalformedRequest("body field `type` must be a string"))
            return
        if kind == "init":
            if not self.node_id and net_id is not None:
                self._init_net_id = net_id
            self._init(Request(src, dest, kind, msg_id, body, body))
            return
        if not self._ready:
            # Peers that were initialised first may talk to us before our own init:
            # hold their messages until it is done.
            if len(self._backlog) < _BACKLOG_LIMIT:
                self._backlog.append((src, dest, body, net_id))
            else:
                req = Request(src, dest, kind, msg_id, body, body)
                self._answer_error(req, TemporarilyUnavailable("node is not initialised yet"))
            return
        route = self._routes.get(kind)
        if route is None:
            req = Request(src, dest, kind, msg_id, body, body)
            self._answer_error(req, NotSupported(f"no handler for request type {kind!r}"))
            return
        fields: Any = body
        if route.schema is not None:
            try:
                fields = msgspec.convert(body, route.schema)
            except msgspec.ValidationError as exc:
                req = Request(src, dest, kind, msg_id, body, body)
                self._answer_error(req, MalformedRequest(f"malformed {kind} request: {exc}"))
                return
            except Exception as exc:
                # The schema itself is broken (say, a name in its annotations is not
                # found): the node's fault, answered as a failing handler's would be.
                self._answer_error(Request(src, dest, kind, msg_id, body, body), exc)
                return
        req = Request(src, dest, kind, msg_id, fields, body)
        if self._loop is not None:
            req.received = self._arrival(self._loop, net_id)
        try:
            result = route.fn(req)
        except Exception as exc:
            self._answer_error(req, exc)
            return
        if result is None:
            self._unanswered(req)
            return
        if type(result) is dict:
            self._answer(req, result)
        elif type(result) is CoroutineType or isinstance(result, Awaitable):
            task = asyncio.Task(self._finish(req, result), loop=self._loop, **_TASK_KWARGS)
            if not task.done():
                self._tasks.add(task)
        else:
            self._answer(req, result)

    async def _finish(self, req: Request[Any], work: Awaitable[Any]) -> None:
        try:
            result = await work
        except asyncio.CancelledError:
            return
        except Exception as exc:
            self._answer_error(req, exc)
            return
        finally:
            # Cheaper than a done callback, which costs a loop turn per request.
            self._tasks.discard(asyncio.current_task())
        if result is not None:
            self._answer(req, result)
        else:
            self._unanswered(req)

    def _unanswered(self, req: Request[Any]) -> None:
        """Say once per message type that a handler ended without answering: the
        client would wait for a reply that never comes."""
        if req.answered or req.msg_id is None or req.type in self._silent_types:
            return
        self._silent_types.add(req.type)
        log.warning(
            "the %s handler ended without answering request %s from %s: return a body or "
            "call node.reply(req, body), or the sender waits in vain (said once per type; "
            "fine if something else answers it later)",
            req.type, req.msg_id, req.src,
        )  # fmt: skip

    def _answer(self, req: Request[Any], result: Any) -> None:
        try:
            self.reply(req, result)
        except Exception as exc:
            self._answer_error(req, exc)

    def _answer_error(self, req: Request[Any], exc: Exception) -> None:
        if isinstance(exc, RPCError):
            err = exc
            if err.source is not None:
                log.info("%s request %s: unhandled %s", req.type, req.msg_id, err)
                if err.definite:
                    # The handler may have done part of its work before this error
                    # reached it, so only an indefinite answer is safe.
                    err = Crash(f"{err} (unhandled by the {req.type} handler)")
        else:
            log.error(
                "%s handler failed on %s", req.type, _clip_obj(req.raw, req.src), exc_info=exc
            )
            err = Crash(f"{type(exc).__name__}: {exc}")
        if req.answered:
            return
        if req.msg_id is None:
            return
        req.answered = True
        if req.received is not None and self._too_late(req):
            return
        self._emit(req.src, {**err.to_body(), "in_reply_to": req.msg_id})

    def _init(self, req: Request[Body]) -> None:
        node_id = req.body.get("node_id")
        node_ids = req.body.get("node_ids")
        if type(node_id) is not str or not node_id:
            self._answer_error(req, MalformedRequest("init needs a non-empty string `node_id`"))
            return
        if type(node_ids) is not list or not all(type(n) is str for n in node_ids):
            self._answer_error(req, MalformedRequest("init needs `node_ids`, a list of strings"))
            return
        first = not self.node_id
        self.node_id, self.node_ids = node_id, list(node_ids)
        if not first:
            self.reply(req, {"type": "init_ok"})
            return
        log.info("node %s initialising (cluster %s)", node_id, " ".join(node_ids))
        # Hooks that never wait run inline, so a plain node is ready at once.
        for i, hook in enumerate(self._init_hooks):
            try:
                result = hook()
            except Exception as exc:
                self._answer_error(req, exc)
                return
            if isinstance(result, Awaitable):
                self._start_task(self._init_async(req, result, self._init_hooks[i + 1 :]))
                return
        self._init_done(req)

    async def _init_async(
        self, req: Request[Body], first: Awaitable[Any], rest: list[Callable[[], Any]]
    ) -> None:
        try:
            await first
            for hook in rest:
                result = hook()
                if isinstance(result, Awaitable):
                    await result
        except Exception as exc:
            self._answer_error(req, exc)
            return
        self._init_done(req)

    def _init_done(self, req: Request[Body]) -> None:
        self.reply(req, {"type": "init_ok"})
        self._ready = True
        deferred, self._deferred = self._deferred, []
        self._laters.clear()
        for start in deferred:
            start()
        backlog, self._backlog = self._backlog, []
        for src, dest, body, net_id in backlog:
            self._dispatch(src, dest, body, net_id)


def _checked(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """``body`` if it can be sent as a message body, else a clear TypeError."""
    if type(body) is not dict and not isinstance(body, Mapping):
        raise TypeError(f"a message body is a dict, not {type(body).__name__}: {body!r}")
    if type(body.get("type")) is not str:
        raise TypeError(f"a message body needs a string `type`: {body!r}")
    return body


def _clip(line: bytes | str, limit: int = 500) -> str:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\n")
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def _clip_obj(body: Body, src: str) -> str:
    try:
        return _clip(msgspec.json.encode({"src": src, "body": body}))
    except (TypeError, ValueError):
        return repr(body)[:500]
