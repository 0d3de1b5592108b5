"""The echo node: answers ``echo`` with ``echo_ok`` carrying the same ``echo`` value.

Maelstrom's first workload, and the smallest useful node::

    python -m glomers.examples.echo
"""

from __future__ import annotations

from typing import Any

import msgspec

from glomers import Body, Node, Request


class Echo(msgspec.Struct):
    """An echo request: any JSON value under ``echo``."""

    echo: Any


def build() -> Node:
    """The echo node, ready to run."""
    node = Node()

    @node.handler("echo", Echo)
    def echo(req: Request[Echo]) -> Body:
        return {"type": "echo_ok", "echo": req.body.echo}

    return node


def main() -> None:
    """Serve echo on stdin/stdout."""
    build().run()


if __name__ == "__main__":
    main()
