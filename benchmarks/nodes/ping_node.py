"""A node that keeps a window of pings in flight to its neighbour, for routing benchmarks.

``start {window}`` from a client starts ``window`` ping-pong loops from this
node to the next node in ``node_ids``; every pong triggers the next ping. Each
ping and pong carries the sender's ``time.monotonic()`` (one clock for every
process on the machine), so the receiver knows how long the message took from
the sender's stdout to its own stdin. ``reset`` forgets those delays; ``stats``
returns them, in microseconds.
"""

import time

from glomers import Body, Node, Request

node = Node()
delays: list[int] = []


def peer() -> str:
    return node.node_ids[(node.node_ids.index(node.node_id) + 1) % len(node.node_ids)]


@node.handler("start")
def start(req: Request[Body]) -> Body:
    for _ in range(req.body["window"]):
        node.send(peer(), {"type": "ping", "t": time.monotonic()})
    return {"type": "start_ok"}


@node.handler("ping")
def ping(req: Request[Body]) -> None:
    now = time.monotonic()
    delays.append(round((now - req.body["t"]) * 1e6))
    node.send(req.src, {"type": "pong", "t": now})


@node.handler("pong")
def pong(req: Request[Body]) -> None:
    now = time.monotonic()
    delays.append(round((now - req.body["t"]) * 1e6))
    node.send(req.src, {"type": "ping", "t": now})


@node.handler("reset")
def reset(req: Request[Body]) -> Body:
    delays.clear()
    return {"type": "reset_ok"}


@node.handler("stats")
def stats(req: Request[Body]) -> Body:
    return {"type": "stats_ok", "delays_us": delays}


if __name__ == "__main__":
    node.run()
