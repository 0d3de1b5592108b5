"""``messages.html``: the data the diagram embeds, from hand-written journals and a run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from glomers.bench.pages import messages
from glomers.bench.pages.messages import (
    CLIENT_COLOR,
    ERROR_COLOR,
    LABEL_CHARS,
    PALETTE,
    label,
    participant_key,
    read_journal,
    render_messages,
    type_colors,
    write_messages,
)
from tests.bench.conftest import SimulatedRun
from tests.html_page import Page

MS = 1_000_000
HOSTILE = "</script><script>alert(1)</script><!--"


class Journal:
    """A hand-written ``net-journal.jsonl``: sends get the next network id."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []
        self.next_id = 0

    def send(self, ms: float, src: str, dest: str, **body: Any) -> int:
        msg_id = self.next_id
        self.next_id += 1
        message = {"id": msg_id, "src": src, "dest": dest, "body": body}
        self.lines.append({"event": "send", "time": round(ms * MS), "id": msg_id,
                           "message": message})  # fmt: skip
        return msg_id

    def recv(self, ms: float, msg_id: int) -> None:
        sent = next(e for e in self.lines if e["id"] == msg_id and e["event"] == "send")
        self.lines.append({"event": "recv", "time": round(ms * MS), "id": msg_id,
                           "message": sent["message"]})  # fmt: skip

    def write(self, path: Path) -> Path:
        path.write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in self.lines))
        return path


def sample(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A journal with init, client traffic, reordering, an error, a message never
    delivered and a long body; returns it and the network ids by name."""
    j = Journal()
    ids: dict[str, int] = {}
    for n, node in enumerate(("n0", "n10", "n2")):
        init = j.send(0, f"c{n}", node, type="init", node_id=node, node_ids=[], msg_id=1)
        j.recv(0, init)
        ok = j.send(0.1, node, f"c{n}", type="init_ok", in_reply_to=1)
        j.recv(0.1, ok)
    ids["echo"] = j.send(1, "c10", "n0", type="echo", echo="hi", msg_id=1)
    j.recv(1, ids["echo"])
    ids["gossip_a"] = j.send(2, "n0", "n10", type="gossip", values=[1, 2], msg_id=2)
    ids["gossip_b"] = j.send(2.5, "n0", "n2", type="gossip", values=[3], msg_id=3)
    j.recv(3, ids["gossip_b"])
    ids["lost"] = j.send(4, "n10", "n2", type="gossip", values=[], msg_id=4)
    ids["read"] = j.send(5, "n2", "lin-kv", type="read", key="k", msg_id=5)
    j.recv(6, ids["read"])
    ids["error"] = j.send(
        6, "lin-kv", "n2", type="error", code=20, text="key does not exist", in_reply_to=5
    )
    j.recv(6.5, ids["error"])
    j.recv(7, ids["gossip_a"])
    ids["reply"] = j.send(8, "n0", "c10", type="echo_ok", echo="x" * 60 + HOSTILE, in_reply_to=1)
    j.recv(8, ids["reply"])
    return j.write(tmp_path / "net-journal.jsonl"), ids


def message_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The embedded columns as one dict per message, indices resolved."""
    m = data["messages"]
    return [
        {
            "src": data["participants"][m["src"][i]],
            "dest": data["participants"][m["dest"][i]],
            "type": data["types"][m["type"][i]],
            "color": data["colors"][m["color"][i]],
            "label": data["labels"][m["label"][i]],
            **{k: m[k][i] for k in ("id", "sent", "received", "sent_step", "received_step")},
            "body": json.loads(m["body"][i]),
        }
        for i in range(len(m["id"]))
    ]


def test_every_message_once_in_send_order_with_its_rows(tmp_path: Path) -> None:
    journal, ids = sample(tmp_path)
    data = read_journal(journal, origin=1 * MS)
    rows = message_rows(data)
    order = ["echo", "gossip_a", "gossip_b", "lost", "read", "error", "reply"]
    assert [r["id"] for r in rows] == [ids[name] for name in order]
    by = {name: rows[order.index(name)] for name in order}
    # init and init_ok are left out, as in Maelstrom's diagram.
    assert {r["type"] for r in rows} == {"echo", "gossip", "read", "error", "echo_ok"}
    # Rows count the sends and deliveries left, in journal order: the echo is
    # sent at row 0 and delivered at row 1; gossip b overtakes gossip a.
    assert (by["echo"]["sent_step"], by["echo"]["received_step"]) == (0, 1)
    assert (by["gossip_a"]["sent_step"], by["gossip_a"]["received_step"]) == (2, 10)
    assert (by["gossip_b"]["sent_step"], by["gossip_b"]["received_step"]) == (3, 4)
    assert (by["lost"]["sent_step"], by["lost"]["received_step"]) == (5, -1)
    assert by["lost"]["received"] is None
    assert data["steps"] == 2 * len(rows) - 1 == by["reply"]["received_step"] + 1
    assert data["total"] == len(rows)
    # Times are µs from the history's start, ``origin`` ns into the journal.
    assert (by["gossip_a"]["sent"], by["gossip_a"]["received"]) == (1_000, 6_000)
    assert by["echo"]["sent"] == 0
    assert by["gossip_a"]["body"] == {"type": "gossip", "values": [1, 2], "msg_id": 2}


def test_participants_in_maelstrom_order(tmp_path: Path) -> None:
    data = read_journal(sample(tmp_path)[0])
    # c0..c2 only sent init: left out with it.
    assert data["participants"] == ["c10", "n0", "n2", "n10", "lin-kv"]
    names = ["seq-kv", "n10", "c2", "n2", "lin-kv", "c10", "n1"]
    assert sorted(names, key=participant_key) == [
        "c2", "c10", "n1", "n2", "n10", "lin-kv", "seq-kv"
    ]  # fmt: skip


def test_labels_as_maelstrom_words_them(tmp_path: Path) -> None:
    rows = message_rows(read_journal(sample(tmp_path)[0]))
    labels = {r["type"] + str(r["id"]): r["label"] for r in rows}
    assert [r["label"] for r in rows][:3] == [
        'echo {"echo":"hi"}', 'gossip {"values":[1,2]}', 'gossip {"values":[3]}'
    ]  # fmt: skip
    assert label({"type": "read", "key": "k", "msg_id": 5}) == 'read {"key":"k"}'
    assert label({"type": "add_ok", "in_reply_to": 3}) == "add_ok {}"
    assert "error key does not exist" in labels.values()
    assert label({"type": "error", "code": 11}) == "error "
    long = next(r["label"] for r in rows if r["type"] == "echo_ok")
    assert len(long) == LABEL_CHARS and long.endswith("…")
    assert long == ('echo_ok {"echo":"' + "x" * 60)[: LABEL_CHARS - 1] + "…"


def test_colours_as_maelstrom_then_by_type(tmp_path: Path) -> None:
    data = read_journal(sample(tmp_path)[0])
    colors = {r["id"]: r["color"] for r in message_rows(data)}
    _, ids = sample(tmp_path)
    assert colors[ids["error"]] == ERROR_COLOR
    assert colors[ids["echo"]] == colors[ids["reply"]] == CLIENT_COLOR
    # Only the types seen between servers have colours of their own.
    assert data["type_colors"] == type_colors(["gossip", "read"])
    assert colors[ids["gossip_a"]] == colors[ids["lost"]] == data["type_colors"]["gossip"]
    assert colors[ids["read"]] == data["type_colors"]["read"]
    assert data["type_colors"]["gossip"] != data["type_colors"]["read"]


def test_type_colours_are_stable_and_distinct() -> None:
    types = ["read", "read_ok", "cas", "cas_ok", "write", "write_ok", "gossip", "add"]
    colors = type_colors(types)
    assert colors == type_colors(reversed(types))
    assert len(set(colors.values())) == len(types)
    assert set(colors.values()) <= set(PALETTE)
    assert ERROR_COLOR not in PALETTE and CLIENT_COLOR not in PALETTE
    # A run that sees one more type keeps the colours of the types before it in name order.
    more = type_colors([*types, "zzz"])
    assert {t: more[t] for t in types} == colors
    many = type_colors(f"t{i}" for i in range(len(PALETTE) + 3))
    assert set(many.values()) == set(PALETTE)


def embedded(text: str) -> Any:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    assert match
    return json.loads(match.group(1))


def test_page_embeds_the_data_safely(tmp_path: Path) -> None:
    journal, _ = sample(tmp_path)
    path = tmp_path / "messages.html"
    write_messages(path, journal, f"a run {HOSTILE}", origin=MS)
    text = path.read_text(encoding="utf-8")
    assert embedded(text) == read_journal(journal, origin=MS)
    # The hostile body stays inside the data: one script element for data, one for code.
    assert text.count("</script>") == 2 and "<script>alert" not in text
    page = Page()
    page.feed(text)
    page.close()
    scripts = [e.attrs.get("id") for e in page.elements if e.tag == "script"]
    assert scripts == ["data", None]
    assert [e.text for e in page.elements if e.tag == "h1"] == [f"a run {HOSTILE}"]
    assert "7 messages (1 never delivered) between 5 participants" in text


def test_limit_draws_the_first_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal, ids = sample(tmp_path)
    monkeypatch.setattr(messages, "MESSAGE_LIMIT", 3)
    data = read_journal(journal)
    assert data["messages"]["id"] == [ids["echo"], ids["gossip_a"], ids["gossip_b"]]
    assert data["total"] == 7
    assert data["messages"]["received_step"] == [1, 5, 4]
    assert "Only the first 3 of 7 messages are drawn." in render_messages(data, "t")


def test_empty_journal(tmp_path: Path) -> None:
    data = read_journal(Journal().write(tmp_path / "j.jsonl"))
    assert data["participants"] == [] and data["steps"] == 0
    assert "0 messages" in render_messages(data, "empty")


def test_each_run_folder_has_the_diagram(tmp_path: Path, simulated_run: SimulatedRun) -> None:
    run = simulated_run(tmp_path / "store", "-w echo --node-count 2 --rate 20 --time-limit 1")
    text = (run / "messages.html").read_text(encoding="utf-8")
    data = embedded(text)
    sends = [
        json.loads(line)
        for line in (run / "net-journal.jsonl").read_text().splitlines()
        if '"send"' in line
    ]
    kept = [e["id"] for e in sends if e["message"]["body"]["type"] not in ("init", "init_ok")]
    assert data["messages"]["id"] == kept and kept
    assert set(data["colors"][c] for c in data["messages"]["color"]) == {CLIENT_COLOR}
    report = (run / "report.html").read_text(encoding="utf-8")
    assert report.count('href="messages.html"') == 2  # the navigation and the files
