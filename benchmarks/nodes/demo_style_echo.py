"""Baseline: an echo node written the way Maelstrom's Python demo writes nodes.

One ``readline`` per message on a thread pool, the standard ``json`` module, one
flushed ``print`` per reply (also on the pool, under a lock), a task per request.
Kept here only as the benchmark's point of comparison.
"""

import asyncio
import json
import sys
from typing import Any


class DemoStyleNode:
    def __init__(self) -> None:
        self.node_id = ""
        self.out_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[None]] = set()

    async def recv(self) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        text = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        return json.loads(text) if text else None

    async def send(self, dest: str, body: dict[str, Any]) -> None:
        text = json.dumps({"src": self.node_id, "dest": dest, "body": body})
        async with self.out_lock:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, lambda: print(text, flush=True))

    async def handle(self, msg: dict[str, Any]) -> None:
        body = msg["body"]
        if body["type"] == "init":
            self.node_id = body["node_id"]
            reply: dict[str, Any] = {"type": "init_ok"}
        else:
            reply = {"type": "echo_ok", "echo": body["echo"]}
        reply["in_reply_to"] = body["msg_id"]
        await self.send(msg["src"], reply)

    async def main(self) -> None:
        while (msg := await self.recv()) is not None:
            task = asyncio.create_task(self.handle(msg))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)


if __name__ == "__main__":
    asyncio.run(DemoStyleNode().main())
