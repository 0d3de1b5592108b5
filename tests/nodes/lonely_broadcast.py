"""Broken on purpose: a broadcast node that keeps each message to itself.

With one node that is all a broadcast needs; with more, the other nodes never
hear of a message, and their reads lose it.
"""

from glomers import Body, Node, Request


def build() -> Node:
    node = Node()
    messages: list[object] = []

    @node.handler("topology")
    def topology(req: Request[Body]) -> Body:
        return {"type": "topology_ok"}

    @node.handler("broadcast")
    def broadcast(req: Request[Body]) -> Body:
        messages.append(req.body["message"])
        return {"type": "broadcast_ok"}

    @node.handler("read")
    def read(req: Request[Body]) -> Body:
        return {"type": "read_ok", "messages": messages}

    return node


if __name__ == "__main__":
    build().run()
