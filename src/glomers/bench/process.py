"""Node programs as child processes: Maelstrom's process layer.

Each node runs the binary given with ``--bin`` in a process group of its own.
Messages for it are written to its stdin, one JSON object per line; each line it
prints on stdout must be such a message and goes into the network; whatever it
prints on stderr goes to ``node-logs/<id>.log``. The last 32 lines of stdout and
stderr are kept, so a node that misbehaves can be reported with them.

Anything that breaks the protocol -- a line that is not JSON, an envelope
without string ``src`` / ``dest`` or object ``body``, a message to an id the
network does not know, an endless line -- and any exit the bench did not ask
for is a ``NodeFault``: the host reports it once and the test stops.

Every group started is killed when the bench leaves, normally or not.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import msgspec

from glomers.bench.net import Message, Network, UnknownNode

log = logging.getLogger("glomers.bench.process")

#: Lines of stdout and stderr kept for error reports (Maelstrom keeps 32).
DEBUG_LINES = 32
#: A stdout line longer than this is a fault: the node is flooding its output.
MAX_LINE = 16 << 20

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode

_live_groups: set[int] = set()


def kill_all() -> None:
    """SIGKILL every node process group still running (also run at exit)."""
    for pgid in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        _live_groups.discard(pgid)


atexit.register(kill_all)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # Linux only: if the bench dies without cleaning up, the kernel kills the node.
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class NodeFault(Exception):
    """A node broke the protocol or died unasked. ``str()`` is the full report."""

    def __init__(self, node: str, report: str) -> None:
        self.node = node
        self.report = report
        super().__init__(report)


class _Lines(asyncio.Protocol):
    """Splits a pipe's bytes into lines for a callback; notes when the pipe ends."""

    def __init__(self, on_line: Callable[[bytes], None], on_overflow: Callable[[], None]) -> None:
        self.on_line = on_line
        self.on_overflow = on_overflow
        self.rest = b""
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        lines = data.split(b"\n")
        if self.rest:
            lines[0] = self.rest + lines[0]
        self.rest = lines.pop()
        for line in lines:
            self.on_line(line)
        if len(self.rest) > MAX_LINE:
            self.rest = b""
            self.on_overflow()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.rest:
            self.on_line(self.rest)
            self.rest = b""
        if not self.closed.done():
            self.closed.set_result(None)


class ProcessHost:
    """One node of the test as a child process, reachable through the network."""

    def __init__(
        self,
        node_id: str,
        argv: list[str],
        net: Network,
        log_path: Path,
        on_fault: Callable[[NodeFault], None],
        *,
        log_stderr: bool = False,
        cwd: str | None = None,
    ) -> None:
        self.node_id = node_id
        self.argv = argv
        self.net = net
        self.log_path = log_path
        self.on_fault = on_fault
        self.log_stderr = log_stderr
        self.cwd = cwd
        self.stdout_tail: deque[str] = deque(maxlen=DEBUG_LINES)
        self.stderr_tail: deque[str] = deque(maxlen=DEBUG_LINES)
        self.proc: asyncio.subprocess.Process | None = None
        self.up = False  # running and not killed by the nemesis
        self.paused = False
        self._expected_exit = False
        self._faulted = False
        self._stdin: asyncio.StreamWriter | None = None
        self._log: IO[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None
        net.add(node_id, self.deliver)

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Start the program. A missing or unusable binary is a NodeFault."""
        loop = asyncio.get_running_loop()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        binary = self.argv[0]
        problem = _check_binary(binary)
        if problem:
            self._fault(problem, with_tail=False)
            return
        try:
            read_out, write_out = os.pipe()
            read_err, write_err = os.pipe()
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=write_out,
                stderr=write_err,
                start_new_session=True,
                cwd=self.cwd,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except OSError as exc:
            self._fault(f"Could not start node {self.node_id} with {self.argv!r}: {exc}", False)
            return
        finally:
            os.close(write_out)
            os.close(write_err)
        _live_groups.add(self.proc.pid)
        assert self.proc.stdin is not None
        self._stdin = self.proc.stdin
        out = _Lines(self._on_stdout, self._on_overflow)
        err = _Lines(self._on_stderr, lambda: None)
        await loop.connect_read_pipe(lambda: out, os.fdopen(read_out, "rb", buffering=0))
        await loop.connect_read_pipe(lambda: err, os.fdopen(read_err, "rb", buffering=0))
        self.up = True
        self.paused = False
        self._expected_exit = False
        self._watch = loop.create_task(self._watch_exit(self.proc, out.closed, err.closed))

    async def kill(self) -> None:
        """SIGKILL the node (a fault the bench injects) and wait for it to go."""
        if self.proc is None or not self.up:
            return
        self.up = False
        self._expected_exit = True
        self._signal(signal.SIGKILL)
        await self._wait_gone()

    def pause(self) -> None:
        """SIGSTOP the node's process group."""
        if self.up and not self.paused:
            self.paused = True
            self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT the node's process group."""
        if self.paused:
            self.paused = False
            self._signal(signal.SIGCONT)

    async def stop(self) -> None:
        """Tear the node down (SIGKILL, as Maelstrom does) at the end of a test."""
        self._expected_exit = True
        self.up = False
        if self.proc is not None and self.proc.returncode is None:
            self._signal(signal.SIGKILL)
        await self._wait_gone()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    # -- traffic ------------------------------------------------------------------

    def deliver(self, message: Message) -> None:
        """Network endpoint: write ``message`` to the node's stdin."""
        if not self.up or self._stdin is None or self._stdin.is_closing():
            return
        self._stdin.write(_encode(message) + b"\n")

    def _on_stdout(self, raw: bytes) -> None:
        if self._faulted:
            return
        self.stdout_tail.append(raw.decode("utf-8", "replace"))
        if not raw.strip():
            return
        try:
            send_output(self.net, self.node_id, raw)
        except BadOutput as exc:
            self._fault(str(exc))

    def _on_overflow(self) -> None:
        self._fault(
            f"Node {self.node_id} flooded STDOUT with more than {MAX_LINE >> 20} MiB "
            "without a newline; messages must be one JSON object per line."
        )

    def _on_stderr(self, raw: bytes) -> None:
        if self._log is not None:
            self._log.write(raw + b"\n")
            self._log.flush()
        line = raw.decode("utf-8", "replace")
        self.stderr_tail.append(line)
        if self.log_stderr:
            log.info("%s %s", self.node_id, line)

    # -- faults -------------------------------------------------------------------

    async def _watch_exit(
        self,
        proc: asyncio.subprocess.Process,
        out_closed: asyncio.Future[None],
        err_closed: asyncio.Future[None],
    ) -> None:
        status = await proc.wait()
        _live_groups.discard(proc.pid)
        # Its last words are still in the pipes: read them before reporting.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(out_closed, err_closed), 2.0)
        if self._stdin is not None:
            self._stdin.close()
        if self._expected_exit or self._faulted or proc is not self.proc:
            return
        self.up = False
        self._fault(f"Node {self.node_id} crashed with exit status {_status(status)}.")

    def tail_report(self) -> str:
        """The node's last lines on stdout and stderr, for an error report."""
        return (
            f"\n\nIts last {DEBUG_LINES} lines on STDOUT:\n\n"
            + ("\n".join(self.stdout_tail) or "(nothing)")
            + "\n\nAnd on STDERR:\n\n"
            + ("\n".join(self.stderr_tail) or "(nothing)")
            + f"\n\nFull STDERR logs are in {self.log_path}"
        )

    def _fault(self, problem: str, with_tail: bool = True) -> None:
        if self._faulted:
            return
        self._faulted = True
        report = problem + (self.tail_report() if with_tail else "")
        self.on_fault(NodeFault(self.node_id, report))

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    async def _wait_gone(self) -> None:
        if self._watch is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._watch), 10.0)


def _check_binary(path: str) -> str | None:
    if os.sep not in path and not os.path.exists(path):
        return None  # a command looked up on PATH; exec reports it if missing
    if not os.path.exists(path):
        return f"--bin {path}: no such file."
    if os.path.isdir(path):
        return f"--bin {path} is a directory, not a program."
    if not os.access(path, os.X_OK):
        return f"--bin {path} is not executable (try: chmod +x {path})."
    return None


class BadOutput(Exception):
    """A line a node printed on stdout breaks the protocol; ``str()`` says how."""


def send_output(net: Network, node_id: str, raw: bytes) -> None:
    """Check one line a node printed and put the message on the network.

    Raises ``BadOutput`` with Maelstrom's explanation for a line that is not
    JSON, an envelope without string ``src`` / ``dest`` or object ``body``, a
    ``src`` other than the node's own id, or a ``dest`` the network does not know.
    """
    line = raw.decode("utf-8", "replace")
    try:
        message = _decode(raw)
    except msgspec.DecodeError:
        raise BadOutput(
            f"Node {node_id} printed a line to STDOUT which was not well-formed JSON:\n\n"
            f"{_clip(line)}\n\nDid you mean to encode this line as JSON? Or was this line "
            "intended for STDERR? Only protocol messages may go to stdout; logs belong on stderr."
        ) from None
    reason = _malformed(message, node_id)
    if reason:
        raise BadOutput(
            f"Malformed network message. Node {node_id} tried to send the following message "
            f"via STDOUT:\n\n{_clip(line)}\n\nThis is malformed because {reason}."
        )
    try:
        net.send(message)
    except UnknownNode as exc:
        raise BadOutput(
            f"Node {node_id} sent a message to {message['dest']!r}, which is no node, client "
            f"or service of this test ({exc}):\n\n{_clip(line)}"
        ) from None


def _malformed(message: Any, node_id: str) -> str | None:
    if type(message) is not dict:
        return f"it is a JSON {type(message).__name__}, not an object"
    for key in ("src", "dest"):
        if key not in message:
            return f"it has no `{key}`"
        if type(message[key]) is not str:
            return f"`{key}` is not a string"
    if "body" not in message:
        return "it has no `body`"
    if type(message["body"]) is not dict:
        return "`body` is not an object"
    if message["src"] != node_id:
        return f"its `src` is {message['src']!r}, but this node is {node_id!r}"
    return None


def _status(status: int) -> str:
    if status < 0:
        try:
            return f"{status} (killed by {signal.Signals(-status).name})"
        except ValueError:
            return str(status)
    return str(status)


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
