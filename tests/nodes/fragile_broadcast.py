"""Broken on purpose: a broadcast that sends each message to every peer once, and
never again.

Without faults every message arrives and the run is valid; a message sent
across a partition is dropped and never retried, so the nodes on the other
side never have it.
"""

from glomers import Body, Node, Request


def build() -> Node:
    node = Node()
    messages: set[object] = set()

    @node.handler("topology")
    def topology(req: Request[Body]) -> Body:
        return {"type": "topology_ok"}

    @node.handler("broadcast")
    def broadcast(req: Request[Body]) -> Body:
        message = req.body["message"]
        if message not in messages:
            messages.add(message)
            for peer in node.node_ids:
                if peer != node.node_id:
                    node.send(peer, {"type": "gossip", "message": message})
        return {"type": "broadcast_ok"}

    @node.handler("gossip")
    def gossip(req: Request[Body]) -> None:
        messages.add(req.body["message"])

    @node.handler("read")
    def read(req: Request[Body]) -> Body:
        return {"type": "read_ok", "messages": sorted(messages)}

    return node


if __name__ == "__main__":
    build().run()
