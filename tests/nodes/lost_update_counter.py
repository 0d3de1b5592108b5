"""Broken on purpose: forgets adds.

Every node keeps the total it has seen and blindly writes ``total + delta`` to
one shared key, so concurrent adds on different nodes overwrite each other.
"""

from glomers import Body, Node, Request, SeqKV


def build() -> Node:
    node = Node()
    kv = SeqKV(node)

    @node.handler("add")
    async def add(req: Request[Body]) -> Body:
        total = await kv.read_int("counter", 0)
        await kv.write("counter", total + req.body["delta"])
        return {"type": "add_ok"}

    @node.handler("read")
    async def read(req: Request[Body]) -> Body:
        await kv.write(f"barrier-{node.node_id}", node.random.random())
        return {"type": "read_ok", "value": await kv.read_int("counter", 0)}

    return node


if __name__ == "__main__":
    build().run()
