"""The KV client against a fake service in memory, including its 20 and 22 answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from glomers import (
    KV,
    LWWKV,
    Body,
    KeyDoesNotExist,
    LinKV,
    Node,
    PreconditionFailed,
    SeqKV,
    Timeout,
)
from glomers.testing import MemoryTransport


class FakeKV:
    """A linearizable map answering like Maelstrom's services; it can drop requests."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.requests: list[Body] = []
        self.drop = False

    def __call__(self, src: str, body: Body) -> Body | None:
        self.requests.append(body)
        if self.drop:
            return None
        key = body["key"]
        if body["type"] == "read":
            if key not in self.data:
                return {"type": "error", "code": 20, "text": "key does not exist"}
            return {"type": "read_ok", "value": self.data[key]}
        if body["type"] == "write":
            self.data[key] = body["value"]
            return {"type": "write_ok"}
        if body["type"] == "cas":
            if key not in self.data:
                if not body.get("create_if_not_exists"):
                    return {"type": "error", "code": 20, "text": "key does not exist"}
                self.data[key] = body["to"]
                return {"type": "cas_ok"}
            if self.data[key] != body["from"]:
                text = f"current value {self.data[key]} is not {body['from']}"
                return {"type": "error", "code": 22, "text": text}
            self.data[key] = body["to"]
            return {"type": "cas_ok"}
        return {"type": "error", "code": 10, "text": "unsupported"}


@pytest.fixture
async def kv_net() -> Any:
    fake = FakeKV()
    node = Node(rpc_timeout=0.05)
    async with MemoryTransport(node, services={"seq-kv": fake, "lin-kv": fake}) as net:
        yield node, fake, net


async def test_read_write_cas(kv_net: Any) -> None:
    node, fake, _ = kv_net
    kv = SeqKV(node)
    await kv.write("x", 1)
    assert await kv.read("x") == 1
    await kv.cas("x", 1, 2)
    assert await kv.read_int("x") == 2
    assert fake.requests[-2] == {"type": "cas", "key": "x", "from": 1, "to": 2, "msg_id": 3}


async def test_missing_key_raises_20_or_gives_default(kv_net: Any) -> None:
    node, _, _ = kv_net
    kv = SeqKV(node)
    with pytest.raises(KeyDoesNotExist) as info:
        await kv.read("nope")
    assert info.value.code == 20 and info.value.source == "seq-kv" and info.value.definite
    assert await kv.read("nope", None) is None
    assert await kv.read_int("nope", 0) == 0
    with pytest.raises(KeyDoesNotExist):
        await kv.read_int("nope")
    with pytest.raises(KeyDoesNotExist):
        await kv.cas("nope", 0, 1)


async def test_cas_precondition_failed_is_22(kv_net: Any) -> None:
    node, fake, _ = kv_net
    kv = SeqKV(node)
    await kv.write("x", 5)
    with pytest.raises(PreconditionFailed) as info:
        await kv.cas("x", 4, 6)
    assert info.value.code == 22 and info.value.text == "current value 5 is not 4"
    assert fake.data["x"] == 5


async def test_cas_create_if_not_exists(kv_net: Any) -> None:
    node, fake, _ = kv_net
    kv = SeqKV(node)
    await kv.cas("fresh", 0, 7, create_if_not_exists=True)
    assert fake.data["fresh"] == 7
    assert fake.requests[-1]["create_if_not_exists"] is True


async def test_read_int_refuses_other_values(kv_net: Any) -> None:
    node, _, _ = kv_net
    kv = SeqKV(node)
    await kv.write("s", "text")
    await kv.write("b", True)
    with pytest.raises(TypeError, match="not an integer"):
        await kv.read_int("s")
    with pytest.raises(TypeError, match="not an integer"):
        await kv.read_int("b")


async def test_timeout_is_indefinite(kv_net: Any) -> None:
    node, fake, _ = kv_net
    fake.drop = True
    with pytest.raises(Timeout) as info:
        await SeqKV(node).write("x", 1)
    assert not info.value.definite


async def test_each_call_can_take_its_own_timeout(kv_net: Any) -> None:
    node, fake, _ = kv_net
    fake.drop = True
    kv = SeqKV(node, timeout=None)  # the client's own default: wait for ever
    calls = [
        kv.read("x", timeout=0.01),
        kv.read_int("x", 0, timeout=0.01),
        kv.write("x", 1, timeout=0.01),
        kv.cas("x", 1, 2, timeout=0.01),
    ]
    for call in calls:
        with pytest.raises(Timeout):
            # Without the per-call timeout the call would wait for ever: bound the test.
            await asyncio.wait_for(call, 5)
    fake.drop = False
    await kv.write("x", 7, timeout=1.0)
    assert await kv.read_int("x", timeout=1.0) == 7


async def test_any_json_keys_and_values(kv_net: Any) -> None:
    node, _, _ = kv_net
    kv = LinKV(node)
    await kv.write(3, {"nested": [1, 2**80]})
    assert await kv.read(3) == {"nested": [1, 2**80]}


def test_service_names() -> None:
    node = Node()
    assert SeqKV(node).service == "seq-kv"
    assert LinKV(node).service == "lin-kv"
    assert LWWKV(node).service == "lww-kv"
    assert KV(node).service == "seq-kv"
    assert repr(KV(node, "lin-kv")) == "KV('lin-kv')"
