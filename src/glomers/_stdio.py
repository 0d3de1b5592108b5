"""Serving a node on the standard streams, as Maelstrom runs it.

Input is read in large chunks and split into lines; output is gathered and
written once per loop iteration. While stdout is backed up (the reader is slow)
stdin is not read, so memory stays bounded. When stdin ends the node is closed,
everything it produced is written out, and the process exits with status 0.

Pipes, sockets and terminals go through asyncio's non-blocking pipe transports.
Regular files (``node < requests.jsonl > replies.jsonl``) and devices the system
cannot wait on (``/dev/null``) cannot, so they are read in a worker thread and
written with plain blocking writes; so is output to a terminal.

The loop is asyncio's own unless uvloop is asked for (``GLOMERS_LOOP=uvloop``):
uvloop makes no consistent difference to speed (BENCHMARKS.md), and it has
broken stdio before (``/dev/null``, terminals).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import selectors
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glomers.node import Node

log = logging.getLogger("glomers.node")

_CHUNK = 1 << 16


def _pollable(fd: int, events: int) -> bool:
    """Whether the event loop can wait on ``fd``: pipes, sockets and terminals.

    A character device may not be (``/dev/null`` is refused by epoll), so the
    only certain test is to ask the system's selector.
    """
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return True
    if not stat.S_ISCHR(mode):
        return False
    with selectors.DefaultSelector() as selector:
        try:
            selector.register(fd, events)
        except (OSError, ValueError):
            return False
    return True


class _LineSplitter:
    """Turns chunks of bytes into whole lines for the node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.rest = b""

    def chunk(self, data: bytes) -> None:
        lines = data.split(b"\n")
        if self.rest:
            lines[0] = self.rest + lines[0]
        self.rest = lines.pop()
        feed = self.node._feed
        for line in lines:
            if line.strip():
                feed(line)

    def end(self) -> None:
        if self.rest.strip():
            self.node._feed(self.rest)
        self.rest = b""


class _Reader(asyncio.Protocol):
    def __init__(self, splitter: _LineSplitter, ended: asyncio.Future[None]) -> None:
        self.splitter = splitter
        self.ended = ended

    def data_received(self, data: bytes) -> None:
        try:
            self.splitter.chunk(data)
        except Exception as exc:
            self._broke(exc)

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self.splitter.end()
        except Exception as error:
            self._broke(error)
        if not self.ended.done():
            self.ended.set_result(None)

    def _broke(self, exc: Exception) -> None:
        # Raised by the node itself, not by a handler (those are answered). The
        # transport would only log it and read on, leaving a node that answers
        # nothing; ending the process with it makes it a crash the bench reports.
        if not self.ended.done():
            self.ended.set_exception(exc)


class _Writer(asyncio.Protocol):
    """Pauses reading while the output pipe is full; notices when it closes."""

    def __init__(self, closed: asyncio.Future[None]) -> None:
        self.closed = closed
        self.reader: asyncio.ReadTransport | None = None

    def pause_writing(self) -> None:
        if self.reader is not None and self.reader.is_reading():
            self.reader.pause_reading()

    def resume_writing(self) -> None:
        if self.reader is not None and not self.reader.is_closing():
            self.reader.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _BlockingWriter:
    """Output to a regular file, where writes do not block for long."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]


async def serve_stdio(node: Node, stdin_fd: int = 0, stdout_fd: int = 1) -> None:
    """Serve ``node`` on the given descriptors until the input ends."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[None] = loop.create_future()
    out_closed: asyncio.Future[None] = loop.create_future()
    splitter = _LineSplitter(node)
    out_transport: asyncio.WriteTransport | None = None
    in_transport: asyncio.ReadTransport | None = None
    writer_protocol = _Writer(out_closed)
    # Duplicates, so that closing the transports leaves fds 0 and 1 themselves alone.
    in_file = os.fdopen(os.dup(stdin_fd), "rb", buffering=0)
    out_file = os.fdopen(os.dup(stdout_fd), "wb", buffering=0)
    write: Callable[[bytes], None]
    try:
        # A terminal gets blocking writes: uvloop's write transport on a terminal
        # also reads from it, taking input lines away from the reader.
        out_fd = out_file.fileno()
        if _pollable(out_fd, selectors.EVENT_WRITE) and not os.isatty(out_fd):
            out_transport, _ = await loop.connect_write_pipe(lambda: writer_protocol, out_file)
            write = out_transport.write
        else:
            write = _BlockingWriter(out_fd).write
        node._attach(write)

        if _pollable(in_file.fileno(), selectors.EVENT_READ):
            in_transport, _ = await loop.connect_read_pipe(
                lambda: _Reader(splitter, ended), in_file
            )
            writer_protocol.reader = in_transport
            await asyncio.wait([ended, out_closed], return_when=asyncio.FIRST_COMPLETED)
            in_transport.close()
        else:
            await _read_file(loop, in_file.fileno(), splitter, out_closed)

        await node._close()
        if out_transport is not None:
            out_transport.close()  # writes out what is buffered, then closes
            await out_closed
        broken = ended.exception() if ended.done() else None
        if broken is not None:
            raise broken
    finally:
        # Cancelled (Ctrl-C): the transports must let go of their descriptors
        # before the files close, or the loop reads a closed descriptor.
        if in_transport is not None:
            in_transport.close()
        if out_transport is not None and not out_closed.done():
            out_transport.abort()
        for fd in (stdin_fd, stdout_fd):
            # The transports made the shared file descriptions non-blocking; a
            # shell that shares them would otherwise see EAGAIN after we exit.
            with contextlib.suppress(OSError):
                os.set_blocking(fd, True)
        for f in (in_file, out_file):
            with contextlib.suppress(OSError):
                f.close()


async def _read_file(
    loop: asyncio.AbstractEventLoop, fd: int, splitter: _LineSplitter, stop: asyncio.Future[None]
) -> None:
    while not stop.done():
        data = await loop.run_in_executor(None, os.read, fd, _CHUNK)
        if not data:
            break
        splitter.chunk(data)
        await asyncio.sleep(0)  # let handlers run between chunks
    splitter.end()


def new_loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop to run on: asyncio's own unless uvloop is asked for.

    ``"auto"`` takes ``GLOMERS_LOOP`` from the environment, else asyncio's.
    """
    if choice == "auto":
        choice = os.environ.get("GLOMERS_LOOP") or "asyncio"
    if choice not in ("asyncio", "uvloop"):
        raise ValueError(f"GLOMERS_LOOP must be 'asyncio' or 'uvloop', not {choice!r}")
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        raise RuntimeError(
            "uvloop was asked for but is not installed: pip install 'glomers[uvloop]'"
        ) from None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_stdio(node: Node, loop: str = "auto") -> None:
    """Run ``node`` on stdin/stdout until the input ends.

    Logs go to stderr. ``print`` inside handlers goes to stderr as well, because
    stdout carries nothing but protocol messages. Ctrl-C exits with status 130
    and no traceback.
    """
    if loop not in ("auto", "uvloop", "asyncio"):
        raise ValueError(f"loop must be 'auto', 'uvloop' or 'asyncio', not {loop!r}")
    if not logging.getLogger().handlers:
        logging.basicConfig(
            stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
        )
    factory = new_loop_factory(loop)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(serve_stdio(node))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        sys.stdout = real_stdout
