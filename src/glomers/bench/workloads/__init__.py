"""Workloads: what clients ask of the nodes, and how the answers are judged.

A workload generates operations (``f`` and ``value``) for the main phase, may
name one operation every worker performs after recovery (the final reads),
turns each operation into a request to a node and its reply into a completion,
and checks the resulting history.

Each workload module declares, next to its requests:

- the reply it accepts for each request, as a closed ``Reply`` struct: the
  workload's fields, ``in_reply_to`` and an optional ``msg_id``, nothing else;
- its ``ErrorPolicy``: which of Maelstrom's two regimes turns timeouts and
  error replies into ``fail`` or ``info``, and which ``f`` are idempotent.

``call`` does the rest, the same way for every workload.

``Workload`` is the protocol every workload implements: the run's side
(operations, checkers, findings beyond Maelstrom) and the pages' side (what
it adds to the summary, the report and the plots). ``registry`` lists the
workloads by name.
"""

from __future__ import annotations

import abc
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, TypeVar

import msgspec

from glomers.bench.client import Client, ClientError, ClientTimeout
from glomers.bench.findings import Finding
from glomers.bench.history import Op, OpType

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from glomers.bench.pages.explain import Reason
    from glomers.bench.pages.plots import Spans

#: The largest and smallest integers a reply may carry where Maelstrom reads a long.
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


class Reply(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="type"):
    """The fields every reply may carry besides the workload's own.

    Subclasses name their ``type`` with ``tag=`` and add their fields; unknown
    fields are refused, so a reply is exactly what the workload declares.
    """

    in_reply_to: int
    msg_id: int | msgspec.UnsetType = msgspec.UNSET


R = TypeVar("R", bound=Reply)

Regime = Literal["with-errors", "none"]


@dataclass(frozen=True, slots=True)
class ErrorPolicy:
    """How a workload's clients classify what goes wrong, as Maelstrom's do.

    ``with-errors``: a timeout is ``info``, a definite error code ``fail``, an
    indefinite or unknown code ``info``; for an idempotent ``f`` (performing it
    twice is harmless, a read say) timeouts and indefinite codes are ``fail``
    too. ``none``: every timeout and every error code is ``info``, whatever it
    promises. In both, a malformed reply is ``info``.
    """

    regime: Regime
    idempotent: frozenset[str] = frozenset()


@dataclass(slots=True)
class Completion:
    """How an operation ended: its type, the value that came back, and why if not ok.

    ``extra`` goes into the op's record: ``exception``, the kind of failure
    for ops Maelstrom records with an exception (``timeout``,
    ``malformed-rpc-response`` or an error code's name), and ``code``, the
    error code a node answered with.
    """

    type: OpType
    value: Any = None
    error: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Setup:
    """What a workload's setup step gets: the nodes in order, the run's
    ``--topology``, and a way to open a client (closed at teardown)."""

    nodes: Sequence[str]
    topology: str
    open_client: Callable[[], Client]


class SetupFailed(Exception):
    """A node failed the workload's setup; the run stops (exit 255); ``str()`` says why."""


class Workload(abc.ABC):
    """A workload: what the run, the checkers and the pages need from it.

    The run (``core``) calls ``setup``, ``generate``, ``final``, ``invoke``, ``check`` and
    ``findings``; the pages (``pages/``) call the hooks after them, which say
    what the workload adds to the console summary, ``report.html`` and the
    plots. Every hook has a default that adds nothing, so a workload defines
    only what it has; the pages never test a workload's name.

    A workload whose clients are reusable (Maelstrom's unique-ids, lin-kv,
    txn-*) says so with a class attribute ``reusable_clients = True``: a thread
    then keeps its client when its process changes after an ``info``. Without it
    the client is replaced, as Maelstrom replaces echo's, broadcast's or the
    counters'.
    """

    name: str
    reusable_clients: ClassVar[bool] = False
    #: Whether the final operations are recorded as such (``final``); Maelstrom
    #: does not flag g-set's.
    flag_final: ClassVar[bool] = True

    # -- the run ---------------------------------------------------------

    async def setup(self, run: Setup) -> None:  # noqa: B027 (a hook: most add nothing)
        """Tell the nodes what they need before the main phase (default: nothing);
        raise ``SetupFailed`` if a node does not take it."""

    @abc.abstractmethod
    def generate(self, rng: random.Random) -> tuple[str, Any]:
        """The next operation of the main phase: ``(f, value)``."""

    def final(self) -> tuple[str, Any] | None:
        """The operation each worker performs after recovery, if any (default: none)."""
        return None

    @abc.abstractmethod
    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        """Perform one operation through ``client`` against ``node``."""

    @abc.abstractmethod
    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        """The workload's Maelstrom checkers, by name (``workload`` first)."""

    def findings(self) -> Mapping[str, Finding]:
        """The workload's own findings beyond Maelstrom, by name (default: none).

        They run before the findings every workload gets (``findings.REGISTRY``)."""
        return {}

    # -- the pages -------------------------------------------------------

    def summary_lines(self, results: Mapping[str, Any]) -> list[str]:
        """Lines the console summary adds after the generic figures (default: none)."""
        return []

    def caveat(self, results: Mapping[str, Any]) -> str | None:
        """Why a valid run proves less than it seems, if it does (default: None)."""
        return None

    def reasons(self, name: str, result: Mapping[str, Any]) -> list[Reason]:
        """What the checker result ``name`` says beyond the generic reasons that
        ``pages.explain`` finds in every result (default: nothing)."""
        return []

    def report_rows(self, result: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """Rows the report's Workload table shows first, from the ``workload``
        checker's result (default: none; the table always shows its scalars)."""
        return []

    def report_html(self, results: Mapping[str, Any]) -> str:
        """HTML figures of the workload's own, after the generic ones (default: none)."""
        return ""

    def plots(self) -> Sequence[Plot]:
        """Plots of the workload's own, drawn after the generic ones (default: none)."""
        return ()


#: Draws one plot: ``(history, workload name, duration s, bucket width s, fault spans)``.
DrawPlot: TypeAlias = "Callable[[Sequence[Op], str, float, float, Spans], Figure]"


@dataclass(frozen=True, slots=True)
class Plot:
    """A plot a workload adds to its run folder: file name, alt text, and how to draw it."""

    name: str
    alt: str
    draw: DrawPlot


def reuses_clients(workload: Workload) -> bool:
    """Whether ``workload`` declares its clients reusable (default: no)."""
    return workload.reusable_clients


def validate(body: dict[str, Any], schema: type[R]) -> R | str:
    """``body`` as ``schema``, or a sentence saying which field is wrong."""
    # A tagged struct converted on its own takes a missing tag for granted.
    expected = schema.__struct_config__.tag
    if body.get("type") != expected:
        return f"Expected `type` {expected!r}, got {body.get('type')!r}"
    try:
        return msgspec.convert(body, schema, strict=True)
    except msgspec.ValidationError as exc:
        return str(exc)


async def call(
    client: Client,
    node: str,
    f: str,
    request: dict[str, Any],
    schema: type[R],
    policy: ErrorPolicy,
    timeout: float,
) -> R | Completion:
    """Send ``request`` to ``node``; the reply as ``schema``, or the failed completion.

    An ``error`` reply is classified by ``policy`` before any schema check; a
    reply that does not fit ``schema`` is ``info`` (the request may well have
    been carried out) with error ``malformed-rpc-response``.
    """
    idempotent = f in policy.idempotent
    try:
        body = await client.rpc(node, request, timeout)
    except ClientTimeout:
        if policy.regime == "none":
            why = f"indeterminate: no reply from {node} within {timeout:g} s"
            return Completion("info", error=why, extra={"exception": "timeout"})
        return Completion("fail" if idempotent else "info", error="net-timeout")
    except ClientError as exc:
        extra: dict[str, Any] = {"code": exc.code}
        if policy.regime == "none":
            why = f"indeterminate: {node} answered with error {exc.code} ({exc.label}): {exc.text}"
            return Completion("info", error=why, extra=extra | {"exception": exc.label})
        definite = exc.definite or idempotent
        return Completion("fail" if definite else "info", error=[exc.label, exc.text], extra=extra)
    reply = validate(body, schema)
    if isinstance(reply, str):
        text = json.dumps(body, default=repr)
        shown = text if len(text) <= 300 else text[:300] + "…"
        why = f"indeterminate: malformed-rpc-response: {node}'s reply to {f} {shown}: {reply}"
        return Completion("info", error=why, extra={"exception": "malformed-rpc-response"})
    return reply
