"""Maelstrom's error codes and the exception that carries them.

A node answers a request it cannot serve with a body of type ``error`` holding a
numeric ``code``. Each code is either *definite* (the operation certainly did not
happen and never will) or *indefinite* (it may have happened, or may still).
Clients such as Maelstrom's checkers rely on that distinction, so an indefinite
code is the only safe answer when in doubt.

``RPCError`` is the one exception type for all of them. Raise it in a handler to
answer with its code; catch it (or a subclass such as ``KeyDoesNotExist``) around
``Node.rpc`` to handle an error some other node or service answered::

    try:
        value = await kv.read("x")
    except KeyDoesNotExist:
        value = 0
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar

__all__ = [
    "Abort",
    "Crash",
    "ErrorCode",
    "KeyAlreadyExists",
    "KeyDoesNotExist",
    "MalformedRequest",
    "NodeNotFound",
    "NotSupported",
    "PreconditionFailed",
    "RPCError",
    "TemporarilyUnavailable",
    "Timeout",
    "TxnConflict",
]


class ErrorCode(IntEnum):
    """The error codes Maelstrom defines. Codes 1000 and up are the application's."""

    TIMEOUT = 0
    NODE_NOT_FOUND = 1
    NOT_SUPPORTED = 10
    TEMPORARILY_UNAVAILABLE = 11
    MALFORMED_REQUEST = 12
    CRASH = 13
    ABORT = 14
    KEY_DOES_NOT_EXIST = 20
    KEY_ALREADY_EXISTS = 21
    PRECONDITION_FAILED = 22
    TXN_CONFLICT = 30

    @property
    def definite(self) -> bool:
        """True when this code means the operation certainly did not happen."""
        return self not in _INDEFINITE

    @property
    def label(self) -> str:
        """Maelstrom's name for the code, such as ``key-does-not-exist``."""
        return self.name.lower().replace("_", "-")


_INDEFINITE = frozenset({ErrorCode.TIMEOUT, ErrorCode.CRASH})


def is_definite(code: int) -> bool:
    """Whether ``code`` is definite. Unknown and application codes never are."""
    try:
        return ErrorCode(code).definite
    except ValueError:
        return False


def code_label(code: int) -> str:
    """A readable name for ``code``: Maelstrom's name, else ``error-<code>``."""
    try:
        return ErrorCode(code).label
    except ValueError:
        return f"error-{code}"


class RPCError(Exception):
    """An error answer to a request: a numeric ``code`` and a free ``text``.

    ``RPCError(code, text)`` works for any code, including application codes
    (1000 and up). Subclasses exist for each of Maelstrom's codes so that callers
    can catch exactly the case they handle; ``RPCError.from_body`` picks the right
    one for an error body received from the network.

    ``source`` is the node or service that answered with this error, or None when
    it was raised locally. A handler that lets an error from some other node
    escape is answered with an indefinite code: its own operation may already
    have done part of its work, so passing on a definite code would be a lie.

    ``resent`` is True for an error that answered one of several copies of a
    request (``Node.rpc(..., retry=True)``): another copy may have acted, so
    such an error is never ``definite``.
    """

    code: int
    text: str
    source: str | None
    extra: dict[str, Any]

    resent: bool = False
    default_code: ClassVar[int] = ErrorCode.CRASH
    _by_code: ClassVar[dict[int, type[_Fixed]]] = {}

    def __init__(
        self,
        code: int | None = None,
        text: str = "",
        *,
        source: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = self.default_code if code is None else int(code)
        self.text = text
        self.source = source
        self.extra = extra or {}
        super().__init__(self.code, text)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only the one-code subclasses below register; a user's subclass does not.
        if "default_code" in cls.__dict__ and cls.__module__ == __name__:
            RPCError._by_code[cls.default_code] = cls  # type: ignore[assignment]

    @property
    def definite(self) -> bool:
        """True when the failed operation certainly did not happen."""
        return is_definite(self.code) and not self.resent

    @property
    def label(self) -> str:
        """Maelstrom's name for the code, such as ``precondition-failed``."""
        return code_label(self.code)

    @classmethod
    def of(cls, code: int, text: str = "", *, source: str | None = None) -> RPCError:
        """The most specific ``RPCError`` subclass for ``code``."""
        fixed = cls._by_code.get(code)
        if fixed is None:
            return RPCError(code, text, source=source)
        return fixed(text, source=source)

    @classmethod
    def from_body(cls, body: dict[str, Any], *, source: str | None = None) -> RPCError:
        """The error an ``error`` body stands for (a malformed one reads as a crash)."""
        code = body.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            return Crash(f"malformed error body: {body!r}", source=source)
        text = body.get("text")
        err = cls.of(code, text if isinstance(text, str) else "", source=source)
        err.extra = {
            k: v
            for k, v in body.items()
            if k not in ("type", "code", "text", "in_reply_to", "msg_id")
        }
        return err

    def to_body(self) -> dict[str, Any]:
        """The ``error`` body that answers a request with this error."""
        body: dict[str, Any] = {**self.extra, "type": "error", "code": self.code}
        if self.text:
            body["text"] = self.text
        return body

    def __str__(self) -> str:
        where = f" from {self.source}" if self.source else ""
        text = f": {self.text}" if self.text else ""
        return f"{self.label} (code {self.code}){where}{text}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code}, text={self.text!r}, source={self.source!r})"
        )


class _Fixed(RPCError):
    """An RPCError whose class fixes the code, so it is raised with a text alone."""

    def __init__(self, text: str = "", *, source: str | None = None) -> None:
        super().__init__(self.default_code, text, source=source)


class Timeout(_Fixed):
    """No answer in time; the operation may still happen."""

    default_code = ErrorCode.TIMEOUT


class NodeNotFound(_Fixed):
    """The request went to a node that does not exist."""

    default_code = ErrorCode.NODE_NOT_FOUND


class NotSupported(_Fixed):
    """The node does not handle this request type."""

    default_code = ErrorCode.NOT_SUPPORTED


class TemporarilyUnavailable(_Fixed):
    """The operation certainly cannot be done right now."""

    default_code = ErrorCode.TEMPORARILY_UNAVAILABLE


class MalformedRequest(_Fixed):
    """The request is missing a field or has one of the wrong type."""

    default_code = ErrorCode.MALFORMED_REQUEST


class Crash(_Fixed):
    """A general indefinite failure: the operation may have happened."""

    default_code = ErrorCode.CRASH


class Abort(_Fixed):
    """A general definite failure: the operation did not happen."""

    default_code = ErrorCode.ABORT


class KeyDoesNotExist(_Fixed):
    """The key is not in the store."""

    default_code = ErrorCode.KEY_DOES_NOT_EXIST


class KeyAlreadyExists(_Fixed):
    """The key exists and was not overwritten."""

    default_code = ErrorCode.KEY_ALREADY_EXISTS


class PreconditionFailed(_Fixed):
    """A condition, such as compare-and-swap's ``from``, did not hold."""

    default_code = ErrorCode.PRECONDITION_FAILED


class TxnConflict(_Fixed):
    """The transaction conflicted with another one."""

    default_code = ErrorCode.TXN_CONFLICT
