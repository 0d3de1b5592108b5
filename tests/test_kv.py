"""The KV client against a fake service in memory, including its 20 and 22 answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from glomers import (
    KV,
    LWWKV,
    Body,
    Crash,
    KeyDoesNotExist,
    LinKV,
    LinTSO,
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
        self.drop_next = 0  # requests to drop before answering again

    def __call__(self, src: str, body: Body) -> Body | None:
        self.requests.append(body)
        if self.drop:
            return None
        if self.drop_next:
            self.drop_next -= 1
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
    assert LinTSO(node).service == "lin-tso"
    assert KV(node).service == "seq-kv"
    assert repr(KV(node, "lin-kv")) == "KV('lin-kv')"


async def test_reads_are_sent_again_writes_and_cas_only_when_asked(kv_net: Any) -> None:
    node, fake, _ = kv_net
    node.round_trips.initial = 0.005
    kv = SeqKV(node, timeout=2.0)
    await kv.write("x", 1)
    fake.drop_next = 2
    assert await kv.read("x") == 1
    assert [b["type"] for b in fake.requests[-3:]] == ["read"] * 3
    fake.drop_next = 1
    with pytest.raises(Timeout):
        await kv.write("x", 2, timeout=0.3)
    assert fake.requests[-1]["type"] == "write" and fake.data["x"] == 1
    fake.drop_next = 1
    await kv.write("x", 2, retry=True)
    fake.drop_next = 1
    await kv.cas("x", 2, 3, retry=True)
    assert fake.data["x"] == 3


async def test_a_cas_retried_after_it_applied_fails_without_being_definite(kv_net: Any) -> None:
    node, fake, net = kv_net
    node.round_trips.initial = 0.005
    kv = SeqKV(node, timeout=2.0)
    await kv.write("x", 1)
    # The first copy applies but its reply is lost; the second finds x already 2.
    applied = fake.__call__

    def lose_first_reply(src: str, body: Body) -> Body | None:
        answer = applied(src, body)
        return None if body["type"] == "cas" and len(fake.requests) == 2 else answer

    net.services["seq-kv"] = lose_first_reply
    with pytest.raises(PreconditionFailed) as info:
        await kv.cas("x", 1, 2, retry=True)
    assert fake.data["x"] == 2 and info.value.resent and not info.value.definite


async def tso_net(drop_first: int) -> tuple[Node, MemoryTransport, list[Body]]:
    node = Node(rpc_timeout=2.0)
    node.round_trips.initial = 0.005
    seen: list[Body] = []
    counter = iter(range(100))

    def tso(src: str, body: Body) -> Body | None:
        seen.append(body)
        if len(seen) <= drop_first:
            return None
        if body["type"] != "ts":
            return None  # lin-tso answers nothing else
        return {"type": "ts_ok", "ts": next(counter)}

    net = MemoryTransport(node, services={"lin-tso": tso})
    await net.start()
    return node, net, seen


async def test_lin_tso_gives_increasing_timestamps_and_resends_when_lost() -> None:
    node, net, seen = await tso_net(drop_first=1)
    tso = LinTSO(node)
    stamps = [await tso.ts() for _ in range(3)]
    await net.close()
    assert stamps == [0, 1, 2]
    assert len(seen) == 4 and all(b == {"type": "ts", "msg_id": b["msg_id"]} for b in seen)


async def test_lin_tso_refuses_a_reply_without_an_integer_ts() -> None:
    node = Node(rpc_timeout=1.0)
    bad: dict[str, Any] = {"lin-tso": lambda s, b: {"type": "ts_ok", "ts": "soon"}}
    async with MemoryTransport(node, services=bad):
        with pytest.raises(Crash, match="integer ts"):
            await LinTSO(node).ts()
