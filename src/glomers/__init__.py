"""glomers: write Maelstrom nodes in Python, and test them.

The node library::

    from glomers import Node, SeqKV, RPCError, ErrorCode

Everything a node program needs is importable from here.
"""

from glomers.errors import (
    Abort,
    Crash,
    ErrorCode,
    KeyAlreadyExists,
    KeyDoesNotExist,
    MalformedRequest,
    NodeNotFound,
    NotSupported,
    PreconditionFailed,
    RPCError,
    TemporarilyUnavailable,
    Timeout,
    TxnConflict,
)
from glomers.kv import KV, LWWKV, LinKV, LinTSO, SeqKV
from glomers.node import DEFAULT_RPC_TIMEOUT, Body, Node, Request

__all__ = [
    "DEFAULT_RPC_TIMEOUT",
    "KV",
    "LWWKV",
    "Abort",
    "Body",
    "Crash",
    "ErrorCode",
    "KeyAlreadyExists",
    "KeyDoesNotExist",
    "LinKV",
    "LinTSO",
    "MalformedRequest",
    "Node",
    "NodeNotFound",
    "NotSupported",
    "PreconditionFailed",
    "RPCError",
    "Request",
    "SeqKV",
    "TemporarilyUnavailable",
    "Timeout",
    "TxnConflict",
]

__version__ = "0.1.0"
