"""A node that keeps a window of pings in flight to its neighbour, for routing benchmarks.

``start {window}`` from a client starts ``window`` ping-pong loops from this
node to the next node in ``node_ids``; every pong triggers the next ping.
"""

from glomers import Body, Node, Request

node = Node()


@node.handler("start")
def start(req: Request[Body]) -> Body:
    peer = node.node_ids[(node.node_ids.index(node.node_id) + 1) % len(node.node_ids)]
    for _ in range(req.body["window"]):
        node.send(peer, {"type": "ping"})
    return {"type": "start_ok"}


@node.handler("ping")
def ping(req: Request[Body]) -> None:
    node.send(req.src, {"type": "pong"})


@node.handler("pong")
def pong(req: Request[Body]) -> None:
    node.send(req.src, {"type": "ping"})


if __name__ == "__main__":
    node.run()
