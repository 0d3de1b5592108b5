"""A test run, start to finish: Maelstrom's core loop.

``TestRun`` sets up the services and the nodes (each answers ``init``, then
whatever the workload's setup step tells it: broadcast's topology), runs the
workload's clients and the nemesis for ``time_limit`` seconds and, for
workloads with a final phase, performs the nemesis's final operations (heal,
resume, restart), waits ``recovery_time`` seconds and has every worker perform
the workload's final operation; then it tears the nodes down and checks the
history.

Clients follow Jepsen's scheduling: ``concurrency`` worker threads, thread i
bound to node i mod N, each with at most one operation in flight; each next
operation goes to the first free thread at or after a rotating cursor, which
every operation (the nemesis's too) moves one slot on, over the client threads
and the nemesis's. The first operation goes out at once, each next one a
uniform [0, 2 / rate] seconds after the previous, counted from when a thread
was free (no catch-up). An operation that ends ``info`` costs its thread its
process: the thread continues as a new process (process + concurrency), and at
that process's first operation a new client replaces the old one unless the
workload's clients are reusable.

A node the nemesis killed is restarted with its queue held by the network:
only its ``init`` goes through, and what was kept for it follows ``init_ok``.

Nodes are judged as Maelstrom judges them: one that breaks the protocol goes
mute and the run goes on to its verdict (``node_errors`` in the results); one
that crashes is reported at once, the run goes on without it, and the verdict
is the crash (unknown, exit 255), though the checkers' figures are kept. A node
that cannot be started or initialised aborts the run (exit 255).

The run knows nothing of how nodes are hosted: it gets a factory of hosts, a
clock and a journal, so the same run drives child processes in real time and
in-process nodes in virtual time. All randomness comes from ``seed``, one
independent stream per concern.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, Protocol, TypeVar

from glomers.bench import checker, findings
from glomers.bench.client import Client, ClientError, ClientIds, ClientTimeout
from glomers.bench.clock import LoopClock
from glomers.bench.history import Op
from glomers.bench.hosts import Host, HostFactory, NodeFault
from glomers.bench.nemesis import Nemesis
from glomers.bench.net import Journal, Latency, Network
from glomers.bench.services import default_services
from glomers.bench.usage import EXIT_ERROR, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID
from glomers.bench.workloads import Setup, SetupFailed, Workload, reuses_clients
from glomers.bench.workloads.registry import make as make_workload

log = logging.getLogger("glomers.bench")

T = TypeVar("T")


@dataclass
class TestOptions:
    """Everything that defines a run; ``flags`` is what the user typed, for the record.

    ``bench.params`` declares the flags that set these fields, with the same
    defaults, and builds the options from them (``params.build_options``).
    """

    __test__ = False  # not a pytest test class, despite the name

    workload: str = "g-counter"
    nodes: list[str] = field(default_factory=lambda: [f"n{i}" for i in range(1, 6)])
    time_limit: float = 60.0
    rate: float = 5.0
    concurrency: int = 5
    latency: Latency = field(default_factory=Latency)
    nemesis: list[str] = field(default_factory=list)
    nemesis_interval: float = 10.0
    availability: Literal["total"] | float | None = None
    seed: int = 0
    recovery_time: float = 10.0
    topology: str = "grid"
    loss_rate: float = 0.5
    client_timeout: float = 5.0
    init_timeout: float = 10.0
    log_net_send: bool = False
    log_net_recv: bool = False
    #: Findings beyond Maelstrom decide the verdict too (they are always reported).
    strict: bool = False
    flags: dict[str, Any] = field(default_factory=dict)


class Observer(Protocol):
    """Watches a run as it goes (``glomers.bench.progress.RunProgress``)."""

    def attach_clock(self, now: Callable[[], float]) -> None: ...

    def phase(self, name: str, seconds: float | None = None) -> None: ...

    def op(self, op: Op) -> None: ...


class Aborted(Exception):
    """The run stopped early; ``str()`` says why."""


@dataclass
class Outcome:
    """What a run produced."""

    results: dict[str, Any]
    history: list[Op]
    exit_code: int
    error: str | None = None


def round_robin(free: set[int], cursor: int, threads: int) -> int:
    """The first of the ``free`` client threads at or after ``cursor``, else the first
    from 0; ``cursor`` may point past the clients, at the nemesis's slot."""
    later = [t for t in free if t >= cursor]
    return min(later) if later else min(free)


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def _is_init(message: dict[str, Any]) -> bool:
    return bool(message["body"].get("type") == "init")


@dataclass
class _Thread:
    process: int
    client: Client
    #: The process changed (an info): the client is replaced at its next operation.
    new_process: bool = False


class TestRun:
    """One test. ``await run()`` once."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        opts: TestOptions,
        make_host: HostFactory,
        clock: LoopClock,
        *,
        journal: Journal | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.opts = opts
        self.clock = clock
        self.observer = observer
        if observer is not None:
            observer.attach_clock(clock.now)
        self.workload: Workload = make_workload(opts.workload, opts.client_timeout)
        self.rngs = {
            name: random.Random(f"{opts.seed}:{name}")
            for name in ("net", "services", "generator", "schedule", "nemesis")
        }
        #: The journal's time origin, fixed for the whole run so its times never go
        #: back; history times count from the main phase, as Maelstrom's do
        #: (``history_origin`` in the results says where that falls in the journal).
        self.journal_t0 = clock.now()
        if journal is not None:
            sink = journal

            def journal(event: str, time: float, msg_id: int, message: dict[str, Any]) -> None:
                sink(event, round((time - self.journal_t0) * 1e9), msg_id, message)

        self.net = Network(
            clock,
            self.rngs["net"],
            opts.latency,
            journal=journal,
            log_send=opts.log_net_send,
            log_recv=opts.log_net_recv,
        )
        self.history: list[Op] = []
        #: What the run observed beyond the history, for findings beyond Maelstrom.
        self.facts: dict[str, Any] = {}
        self.client_ids = ClientIds()
        self.t0 = clock.now()
        self._fault: asyncio.Future[NodeFault] = clock.loop.create_future()
        #: After setup a crash no longer aborts: the run goes on without the node.
        self._running = False
        self.node_errors: list[dict[str, Any]] = []
        #: Messages sent with another node's id as src, by (node, src): a finding.
        self._wrong_src: dict[tuple[str, str], dict[str, Any]] = {}
        self.facts["wrong_src"] = self._wrong_src
        self.crashes: dict[str, NodeFault] = {}
        self.hosts: dict[str, Host] = {
            n: make_host(n, self.net, self._on_fault) for n in opts.nodes
        }
        self.nemesis = Nemesis(
            opts.nemesis,
            opts.nodes,
            self.net,
            self.hosts,
            self.rngs["nemesis"],
            self.record,
            self.restart,
            clock,
            interval=opts.nemesis_interval,
            loss_rate=opts.loss_rate,
        )
        self.nemesis.on_invoke = self._advance_cursor
        self.threads: list[_Thread] = []
        #: The clients of the workload's setup step, open until teardown as in Jepsen.
        self._setup_clients: list[Client] = []
        self._cursor = 0
        self._ops: set[asyncio.Task[None]] = set()
        self._free: set[int] = set()
        self._freed = asyncio.Event()
        for name, service in default_services(self.rngs["services"]).items():
            self.net.add(name, self._service_endpoint(name, service.handle))

    # -- the run ------------------------------------------------------------------------

    async def run(self) -> Outcome:
        """Set up, run, recover, read, tear down and check."""
        error: str | None = None
        try:
            await self._guard(self._setup())
            await self._guard(self._main_phase())
            await self._guard(self._final_phase())
        except Aborted as exc:
            error = str(exc)
        finally:
            await self._teardown()
        self._phase("checking")
        return self.conclude(error)

    def conclude(self, error: str | None) -> Outcome:
        """``outcome(error)`` with what the nodes did wrong.

        A crash makes the verdict unknown and the exit status 255, as Maelstrom
        fails a run whose node is dead at teardown; the checkers' figures stay.
        """
        outcome = self.outcome(error)
        results = outcome.results
        if error is None and self.crashes:
            report = "\n\n".join(fault.report for fault in self.crashes.values())
            results["valid"] = "unknown"
            results["error"] = report
            outcome.error = report
            outcome.exit_code = EXIT_ERROR
        results["node_errors"] = list(self.node_errors)
        return outcome

    def _phase(self, name: str, seconds: float | None = None) -> None:
        if self.observer is not None:
            self.observer.phase(name, seconds)

    async def _setup(self) -> None:
        self._phase("starting nodes")
        await asyncio.gather(*(host.start() for host in self.hosts.values()))
        await asyncio.gather(*(self._init(node) for node in self.hosts))
        try:
            await self.workload.setup(
                Setup(list(self.opts.nodes), self.opts.topology, self._setup_client)
            )
        except SetupFailed as exc:
            raise Aborted(str(exc)) from None

    async def _main_phase(self) -> None:
        # History times count from here, as Maelstrom's do.
        self.t0 = self.clock.now()
        self._running = True
        self._phase("running", self.opts.time_limit)
        end = self.clock.now() + self.opts.time_limit
        for i in range(self.opts.concurrency):
            self.threads.append(_Thread(i, self._open_client()))
            self._free.add(i)
        nemesis = asyncio.ensure_future(self.nemesis.run(end))
        # Both begin at once, the nemesis's first operation first, as in Maelstrom.
        await self.nemesis.started.wait()
        clients = self._dispatch(end) if self.opts.rate > 0 else self.clock.sleep_until(end)
        await asyncio.gather(clients, nemesis)
        self._phase("finishing")
        await self._drain()

    async def _final_phase(self) -> None:
        final = self.workload.final()
        if final is None:
            return  # as in Maelstrom: no final nemesis operations, faults end at teardown
        self._phase("healing")
        await self.nemesis.heal()
        self._phase("recovery", self.opts.recovery_time)
        await self.clock.sleep(self.opts.recovery_time)
        self._phase("final reads")
        f, value = final
        flag = self.workload.flag_final
        await asyncio.gather(
            *(self._perform(i, f, value, final=flag) for i in range(len(self.threads)))
        )

    async def _teardown(self) -> None:
        for task in self._ops:
            task.cancel()
        await self.nemesis.cancel()
        for client in [*self._setup_clients, *(thread.client for thread in self.threads)]:
            client.close()
        results = await asyncio.gather(
            *(host.stop() for host in self.hosts.values()), return_exceptions=True
        )
        for host, result in zip(self.hosts.values(), results, strict=True):
            if isinstance(result, BaseException):
                log.warning("tearing down %s failed: %r", host.node_id, result)

    # -- clients ----------------------------------------------------------------------

    async def _dispatch(self, end: float) -> None:
        gen_rng, schedule = self.rngs["generator"], self.rngs["schedule"]
        threads = len(self.threads)
        next_at = self.clock.now()
        while True:
            while not self._free:
                self._freed.clear()
                await self._freed.wait()
            at = max(next_at, self.clock.now())
            if at >= end:
                return
            await self.clock.sleep_until(at)
            thread = round_robin(self._free, self._cursor, threads)
            self._advance_cursor()
            self._free.discard(thread)
            f, value = self.workload.generate(gen_rng)
            task = self.clock.loop.create_task(self._perform(thread, f, value))
            self._ops.add(task)
            task.add_done_callback(self._ops.discard)
            next_at = at + schedule.uniform(0, 2 / self.opts.rate)

    def _advance_cursor(self) -> None:
        # As Jepsen's, the rotation counts the nemesis's thread (after the clients'),
        # and every operation invoked, the nemesis's too, moves it one slot on.
        self._cursor = (self._cursor + 1) % (self.opts.concurrency + 1)

    async def _drain(self) -> None:
        while self._ops:
            await asyncio.gather(*list(self._ops), return_exceptions=True)

    async def _perform(self, thread: int, f: str, value: Any, *, final: bool = False) -> None:
        state = self.threads[thread]
        node = self.opts.nodes[thread % len(self.opts.nodes)]
        if state.new_process:
            state.new_process = False
            if not reuses_clients(self.workload):
                # Not at the info itself: until now a late reply reached an open client,
                # which dropped it; from now on it goes to a closed one (Maelstrom's order).
                state.client.close()
                state.client = self._open_client()
        process = state.process
        self.record(Op(process, "invoke", f, value, final=final, node=node))
        try:
            done = await self.workload.invoke(state.client, node, f, value)
        finally:
            self._free.add(thread)
            self._freed.set()
        result = done.value if done.type == "ok" else value
        self.record(
            Op(
                process,
                done.type,
                f,
                result,
                error=done.error,
                final=final,
                node=node,
                extra=dict(done.extra),
            )
        )
        if done.type == "info":
            # The request may still be in flight: the thread continues as a new process.
            state.process += self.opts.concurrency
            state.new_process = True

    def _open_client(self) -> Client:
        return Client(self.net, self.clock, self.client_ids.new())

    def _setup_client(self) -> Client:
        client = self._open_client()
        self._setup_clients.append(client)
        return client

    # -- nodes --------------------------------------------------------------------------

    async def _init(self, node: str) -> None:
        client = self._open_client()
        body = {"type": "init", "node_id": node, "node_ids": list(self.opts.nodes)}
        try:
            reply = await client.rpc(node, body, self.opts.init_timeout)
        except ClientTimeout:
            self._fail(
                node,
                f"Expected node {node} to respond to an init message, but node did not "
                f"respond. (It was given {self.opts.init_timeout:g} s.)",
            )
        except ClientError as exc:
            self._fail(node, f"RPC error from node {node} in reply to init: {exc}.")
        finally:
            # Closed for good: a second reply to init is an unknown destination.
            client.close()
        if reply.get("type") != "init_ok":
            self._fail(
                node, f"Expected an init_ok message, but node {node} responded with {reply!r}."
            )

    def _fail(self, node: str, problem: str) -> NoReturn:
        fault = NodeFault(node, problem + self.hosts[node].tail_report())
        self._on_fault(fault)
        raise Aborted(fault.report)

    async def restart(self, node: str) -> None:
        """Start ``node`` again after a kill and initialise it; only then does it get
        the messages the network kept for it while it was down."""
        # Maelstrom looks for dead nodes at teardown: one brought back is not one.
        self.crashes.pop(node, None)
        # Nothing but its init reaches the fresh process before it knows its id.
        self.net.hold(node, admit=_is_init)
        await self.hosts[node].start()
        await self._init(node)
        self.net.release(node)

    def _on_fault(self, fault: NodeFault) -> None:
        if fault.kind == "protocol":
            log.error("%s", fault.report)
            self.node_errors.append(
                {
                    "node": fault.node,
                    "time": round((self.clock.now() - self.t0) * 1e9),
                    "problem": fault.problem,
                    "line": fault.line,
                }
            )
        elif fault.kind == "wrong-src":
            assert fault.src is not None
            seen = self._wrong_src.get((fault.node, fault.src))
            if seen is None:
                log.warning("%s (beyond Maelstrom, which routes it)", fault.report)
                self._wrong_src[fault.node, fault.src] = {
                    "node": fault.node,
                    "src": fault.src,
                    "count": 1,
                    "example": fault.line,
                }
            else:
                seen["count"] += 1
        elif fault.kind == "crash" and self._running:
            # One line now; the whole report (with the node's last lines) comes once, at the end.
            log.error("%s The run goes on without it.", _first_line(fault.report))
            self.crashes.setdefault(fault.node, fault)
        elif not self._fault.done():
            log.error("%s The run stops.", _first_line(fault.report))
            self._fault.set_result(fault)

    async def _guard(self, work: Awaitable[T]) -> T:
        """Run ``work`` unless a node fault comes first; then abort."""
        task = asyncio.ensure_future(work)
        waiting: set[asyncio.Future[Any]] = {task, self._fault}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise Aborted(self._fault.result().report)

    # -- services and history ------------------------------------------------------------

    def _service_endpoint(
        self, name: str, handle: Callable[[str, dict[str, Any]], dict[str, Any]]
    ) -> Callable[[dict[str, Any]], None]:
        def endpoint(message: dict[str, Any]) -> None:
            body = message["body"]
            reply = {**handle(message["src"], body), "in_reply_to": body.get("msg_id")}
            self.net.send({"src": name, "dest": message["src"], "body": reply})

        return endpoint

    def record(self, op: Op) -> None:
        """Append ``op`` to the history, stamped with its index and time."""
        op.index = len(self.history)
        op.time = round((self.clock.now() - self.t0) * 1e9)
        self.history.append(op)
        if self.observer is not None:
            self.observer.op(op)

    def outcome(self, error: str | None) -> Outcome:
        """Check the history so far; ``error`` says why the run ended early, if it did.

        The verdict is Maelstrom's: the worst of its checkers. Findings beyond
        Maelstrom are reported under ``beyond_maelstrom`` and count only with
        ``strict``.
        """
        history = self.history
        results: dict[str, Any] = {"valid": "unknown"}
        checks: dict[str, dict[str, Any]] = {}
        if error is None:
            try:
                checks.update(self.workload.check(history))
            except Exception as exc:  # a checker that raises gives unknown, as in Jepsen
                checks["workload"] = {"valid": "unknown", "error": f"{type(exc).__name__}: {exc}"}
        checks["stats"] = checker.guarded(lambda: checker.stats(history, self.opts.client_timeout))
        checks["availability"] = checker.guarded(
            lambda: checker.availability(history, self.opts.availability)
        )
        checks["net"] = checker.guarded(
            lambda: checker.net_stats(self.net.stats.as_dict(), history)
        )
        checks["perf"] = checker.guarded(lambda: checker.perf(history))
        checks["timeline"] = {"valid": True}
        checks["exceptions"] = checker.guarded(lambda: checker.exceptions(history))
        results.update(checks)
        results["strict"] = self.opts.strict
        if error is None:
            found = findings.beyond_maelstrom(
                findings.FindingInput(self.opts.workload, history, self.facts),
                self.workload.findings(),
            )
            results["beyond_maelstrom"] = found
            valid = checker.compose(checks)
            if self.opts.strict:
                results["maelstrom_valid"] = valid
                valid = checker.merge_valid([valid, findings.validity(found)])
            results["valid"] = valid
            code = EXIT_VALID if valid is True else EXIT_INVALID if valid is False else EXIT_UNKNOWN
        else:
            results["error"] = error
            code = EXIT_ERROR
        results["seed"] = self.opts.seed
        results["history_origin"] = round((self.t0 - self.journal_t0) * 1e9)
        results["flags"] = self.opts.flags
        return Outcome(results, self.history, code, error)
