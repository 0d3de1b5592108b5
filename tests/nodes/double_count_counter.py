"""Broken on purpose: counts retried adds twice.

Each node adds to its own key with compare-and-swap. It gives up on the first
attempt's reply after 2 ms and tries again with a fresh value, never checking
whether the first attempt landed; with any network latency it always has, so
every add counts twice.
"""

from glomers import Body, Node, PreconditionFailed, Request, SeqKV, Timeout


def build() -> Node:
    node = Node()
    kv = SeqKV(node)

    async def current(key: str) -> int:
        await kv.write(f"barrier-{node.node_id}", node.random.random())
        return await kv.read_int(key, 0)

    @node.handler("add")
    async def add(req: Request[Body]) -> Body:
        key = f"counter-{node.node_id}"
        delta = req.body["delta"]
        value = await current(key)
        try:
            await node.rpc(
                "seq-kv",
                {
                    "type": "cas",
                    "key": key,
                    "from": value,
                    "to": value + delta,
                    "create_if_not_exists": True,
                },
                timeout=0.002,
            )
            return {"type": "add_ok"}
        except (PreconditionFailed, Timeout):
            pass
        while True:
            value = await current(key)
            try:
                await kv.cas(key, value, value + delta, create_if_not_exists=True)
                return {"type": "add_ok"}
            except PreconditionFailed:
                continue

    @node.handler("read")
    async def read(req: Request[Body]) -> Body:
        await kv.write(f"barrier-{node.node_id}", node.random.random())
        total = 0
        for peer in node.node_ids:
            total += await kv.read_int(f"counter-{peer}", 0)
        return {"type": "read_ok", "value": total}

    return node


if __name__ == "__main__":
    build().run()
