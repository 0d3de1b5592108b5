"""Broken on purpose: each node counts ids from 0, so two nodes hand out the same ids.

A single node is fine; with several, n0's first id is n1's first id too.
"""

import itertools

from glomers import Body, Node, Request


def build() -> Node:
    node = Node()
    count = itertools.count()

    @node.handler("generate")
    def generate(req: Request[Body]) -> Body:
        return {"type": "generate_ok", "id": next(count)}

    return node


if __name__ == "__main__":
    build().run()
