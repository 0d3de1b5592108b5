"""The glomers echo node with an ``async def`` handler (a task per request)."""

from glomers import Body, Node, Request

node = Node()


@node.handler("echo")
async def echo(req: Request[Body]) -> Body:
    return {"type": "echo_ok", "echo": req.body["echo"]}


if __name__ == "__main__":
    node.run()
