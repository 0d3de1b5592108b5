"""Broken on purpose: answers reads from a local value it never refreshes.

Adds are stored correctly (each node's own key, compare-and-swap), but a read
returns the sum of the adds this node handled itself, so it never sees the
other nodes' adds.
"""

from glomers import Body, Node, PreconditionFailed, Request, SeqKV


def build() -> Node:
    node = Node()
    kv = SeqKV(node)
    local = 0

    @node.handler("add")
    async def add(req: Request[Body]) -> Body:
        nonlocal local
        key = f"counter-{node.node_id}"
        while True:
            value = await kv.read_int(key, 0)
            try:
                await kv.cas(key, value, value + req.body["delta"], create_if_not_exists=True)
                break
            except PreconditionFailed:
                continue
        local += req.body["delta"]
        return {"type": "add_ok"}

    @node.handler("read")
    def read(req: Request[Body]) -> Body:
        return {"type": "read_ok", "value": local}

    return node


if __name__ == "__main__":
    build().run()
