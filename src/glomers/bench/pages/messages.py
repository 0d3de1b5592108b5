"""The message diagram of a run: ``messages.html``, every message as an arrow.

As in Maelstrom's ``messages.svg`` (a Lamport diagram), each participant --
clients, then nodes, then services, each group in numeric order -- is a
vertical line, and each message an arrow from its send to its delivery. Time
runs downwards one row per journal event (a send or a delivery; ``init`` and
``init_ok`` are left out, as Maelstrom leaves them out), so that messages
sent and delivered at the same instant stay apart. An arrow is coloured as
Maelstrom colours it: pink for an error, light blue for traffic to or from a
client; other messages take their type's colour from a fixed palette. Its
label is Maelstrom's: the type and the body without ``type``, ``msg_id`` and
``in_reply_to`` (an error: its text), cut to 48 characters. A message never
delivered (lost, dropped by a partition, or still in flight at the end) is a
dashed stub from its send, ending in a cross.

Unlike Maelstrom's, which stops after 10,000 events and leaves out messages
never delivered, the page draws a whole run: the journal goes into the page as
compact data, and a small inline script draws on a canvas only the rows in
view, for the participants and the time window chosen; hovering an arrow shows
the whole message and its times. When the participants are too many to fit
side by side, the page starts with the messages between servers only.
The page is a single static file that opens from the file system, with
nothing fetched.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from glomers.bench.net import is_client_id
from glomers.bench.pages.html import WIDE_PAGE_STYLE
from glomers.bench.pages.html import escape as _esc
from glomers.bench.words import counted

#: The most messages drawn (the first ones sent): beyond this the page would
#: be too large for a browser to load comfortably.
MESSAGE_LIMIT = 300_000

#: Maelstrom's colours for errors and for traffic with a client.
ERROR_COLOR = "#FF1E90"
CLIENT_COLOR = "#81BFFC"
#: The colours of the other message types: dark enough to show on white, and
#: far from the two above. A type keeps its colour from run to
#: run (it comes from a hash of its name).
PALETTE = (
    "#000000", "#d95f02", "#1b9e77", "#7570b3", "#66a61e",
    "#a6761d", "#b2182b", "#2166ac", "#666666", "#7a6a00",
)  # fmt: skip

#: Maelstrom's longest label.
LABEL_CHARS = 48
_HIDDEN_KEYS = ("type", "msg_id", "in_reply_to")
_SKIPPED_TYPES = frozenset({"init", "init_ok"})
_NS_PER_US = 1_000


class _Wire(msgspec.Struct):
    src: str
    dest: str
    body: msgspec.Raw


class _Event(msgspec.Struct):
    event: str
    time: int | float
    id: int
    message: msgspec.Raw  # decoded for sends only


def participant_key(name: str) -> tuple[int, str, int]:
    """Maelstrom's order: by prefix and number (``c`` before ``n``, n2 before
    n10), names without a number (the services) last."""
    found = re.search(r"(\w+?)(\d+)", name)
    if found is None:
        return (1, name, 0)
    return (0, found.group(1), int(found.group(2)))


def label(body: Mapping[str, Any]) -> str:
    """Maelstrom's label of a message: its type, then the rest of its body (an
    error: its text), cut to ``LABEL_CHARS``."""
    kind = body.get("type")
    if kind == "error":
        rest = body.get("text")
        rest = "" if rest is None else rest if isinstance(rest, str) else _json(rest)
    else:
        rest = _json({k: v for k, v in body.items() if k not in _HIDDEN_KEYS})
    text = f"{kind if isinstance(kind, str) else _json(kind)} {rest}"
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode("utf-8", errors="backslashreplace")


def type_colors(types: Iterable[str]) -> dict[str, str]:
    """A palette colour for each type: the one its name hashes to, or the next
    one free, taken in name order so that the same types always get the same
    colours (types beyond the palette's size share)."""
    taken: set[str] = set()
    colors: dict[str, str] = {}
    for kind in sorted(set(types)):
        start = zlib.crc32(kind.encode("utf-8", errors="backslashreplace")) % len(PALETTE)
        for step in range(len(PALETTE)):
            color = PALETTE[(start + step) % len(PALETTE)]
            if color not in taken:
                break
        else:
            color = PALETTE[start]
        taken.add(color)
        colors[kind] = color
    return colors


def _events(journal: Path) -> Iterator[_Event]:
    decode = msgspec.json.Decoder(_Event).decode
    with journal.open("rb") as f:
        for line in f:
            if line.strip():
                yield decode(line)


def _body_type(body: Any) -> str:
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else str(kind)


def read_journal(journal: Path, origin: int = 0) -> dict[str, Any]:
    """The data the page embeds, from a ``net-journal.jsonl`` (``origin``: where
    the history's time 0 falls in the journal, in ns).

    ``messages`` holds one column per field, one entry per message in the order
    they were sent: ``src`` and ``dest`` (indices into ``participants``),
    ``type`` (into ``types``), ``color`` (into ``colors``), ``label`` (into
    ``labels``), the network ``id``, ``sent`` and ``received`` (µs of history
    time; ``received`` None when never delivered), ``sent_step`` and
    ``received_step`` (the journal row of the send and the delivery, -1 when
    never delivered) and ``body`` (the body's JSON as the journal has it).
    ``colors`` are Maelstrom's two (error, client traffic) then those of
    ``type_colors``, the types seen between servers. ``steps`` is the number
    of rows, ``total`` the messages in the journal (more than drawn beyond
    ``MESSAGE_LIMIT``).
    """
    decode_wire = msgspec.json.Decoder(_Wire).decode
    decode = msgspec.json.decode
    where: dict[int, int] = {}  # network id -> position
    src: list[str] = []
    dest: list[str] = []
    kinds: list[str] = []
    labels: list[str] = []
    ids: list[int] = []
    sent: list[int] = []
    received: list[int | None] = []
    sent_step: list[int] = []
    received_step: list[int] = []
    bodies: list[str] = []
    total = step = 0
    for event in _events(journal):
        if event.event == "recv":
            at = where.get(event.id)
            if at is not None and received_step[at] < 0:
                received[at] = (round(event.time) - origin) // _NS_PER_US
                received_step[at] = step
                step += 1
            continue
        if event.event != "send":
            continue
        wire = decode_wire(event.message)
        body = decode(wire.body)
        kind = _body_type(body)
        if kind in _SKIPPED_TYPES:
            continue
        total += 1
        if len(ids) >= MESSAGE_LIMIT or event.id in where:
            continue
        where[event.id] = len(ids)
        src.append(wire.src)
        dest.append(wire.dest)
        kinds.append(kind)
        labels.append(label(body) if isinstance(body, dict) else _json(body)[:LABEL_CHARS])
        ids.append(event.id)
        sent.append((round(event.time) - origin) // _NS_PER_US)
        received.append(None)
        sent_step.append(step)
        received_step.append(-1)
        bodies.append(bytes(wire.body).decode("utf-8", errors="backslashreplace"))
        step += 1
    participants = sorted({*src, *dest}, key=participant_key)
    clients = {name for name in participants if is_client_id(name)}
    # Maelstrom's colours: 0 for an error, 1 for traffic with a client, else
    # (-1 here) the colour of the message's type.
    maelstrom = [
        0 if k == "error" else 1 if s in clients or d in clients else -1
        for k, s, d in zip(kinds, src, dest, strict=True)
    ]
    by_type = type_colors(k for k, c in zip(kinds, maelstrom, strict=True) if c < 0)
    colors = [ERROR_COLOR, CLIENT_COLOR, *by_type.values()]
    type_color = {t: colors.index(c) for t, c in by_type.items()}
    types = sorted(set(kinds))
    type_index = {t: i for i, t in enumerate(types)}
    place = {name: i for i, name in enumerate(participants)}
    label_index: dict[str, int] = {}
    return {
        "participants": participants,
        "types": types,
        "type_colors": by_type,
        "colors": colors,
        "labels": list(dict.fromkeys(labels)),
        "messages": {
            "src": [place[n] for n in src],
            "dest": [place[n] for n in dest],
            "type": [type_index[k] for k in kinds],
            "color": [type_color[k] if c < 0 else c for k, c in zip(kinds, maelstrom, strict=True)],
            "label": [label_index.setdefault(text, len(label_index)) for text in labels],
            "id": ids,
            "sent": sent,
            "received": received,
            "sent_step": sent_step,
            "received_step": received_step,
            "body": bodies,
        },
        "steps": step,
        "total": total,
    }


def _embedded(data: Mapping[str, Any]) -> str:
    # Inside a script element "</script" or "<!--" would end or confuse it; a
    # JSON "<" only ever occurs in strings, where \u003c means the same.
    raw = msgspec.json.encode(data).replace(b"<", b"\\u003c")
    return raw.decode("utf-8", errors="backslashreplace")


def render_messages(data: Mapping[str, Any], title: str) -> str:
    """The HTML of ``messages.html`` showing ``data`` (``read_journal``)."""
    shown = len(data["messages"]["id"])
    lost = sum(1 for r in data["messages"]["received"] if r is None)
    types = "".join(
        f'<span class="k" style="background:{c}"></span>{_esc(t)}'
        for t, c in data["type_colors"].items()
    )
    note = ""
    if data["total"] > shown:
        note = (
            f'<p class="note"><strong>Only the first {shown} of {data["total"]} messages '
            "are drawn.</strong></p>\n"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{_esc(title)}</title>\n<link rel="icon" href="data:,">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{_esc(title)}</h1>\n"
        f"<p>{counted(shown, 'message')} ({lost} never delivered) between "
        f"{counted(len(data['participants']), 'participant')}, "
        f"{counted(data['steps'], 'send and delivery', 'sends and deliveries')}; "
        "<code>init</code> and <code>init_ok</code> left out.</p>\n"
        + note
        + f'<p class="legend"><span class="k" style="background:{ERROR_COLOR}"></span>error'
        f'<span class="k" style="background:{CLIENT_COLOR}"></span>to or from a client'
        f'{types}<span class="k lost">×</span>never delivered</p>\n'
        + '<p class="note">Time runs downwards, one row per send or delivery, in the order '
        "they happened (so messages of the same instant stay apart; the times are at the left). "
        "Each arrow goes from a message's send to its delivery; hover it for the whole message. "
        "Choose participants and a time window (messages sent or delivered in it) below.</p>\n"
        f"{_CONTROLS}"
        '<p class="note" id="status"></p>\n</header>\n'
        '<div id="view"><canvas id="canvas"></canvas><div id="scroll">'
        '<div id="space"></div></div><pre id="tip" hidden></pre></div>\n'
        f'<script type="application/json" id="data">{_embedded(data)}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def write_messages(path: Path, journal: Path, title: str, origin: int = 0) -> None:
    """Write the message diagram of ``journal`` to ``path`` (``messages.html``)."""
    page = render_messages(read_journal(journal, origin), title)
    path.write_text(page, encoding="utf-8", errors="backslashreplace")


_CONTROLS = """<form id="controls" onsubmit="return false">
<details><summary>Participants</summary>
<p><button type="button" id="all">all</button> <button type="button" id="none">none</button>
<button type="button" id="servers">no clients</button>
<select id="mode"><option value="any">messages to or from the ticked ones</option>
<option value="both">messages between the ticked ones</option></select></p>
<div id="nodes"></div></details>
<label>from <input id="from" type="number" step="any" size="8"> s</label>
<label>to <input id="to" type="number" step="any" size="8"> s</label>
<label>row height <input id="row" type="range" min="4" max="40" value="20"></label>
</form>
"""

_STYLE = (
    WIDE_PAGE_STYLE
    + """.note { color: #57606a; font-size: 13px; }
.legend span.k { display: inline-block; width: 14px; height: 12px; margin: 0 4px 0 12px;
  vertical-align: -1px; border: 1px solid rgba(0,0,0,.25); }
.legend span.k:first-child { margin-left: 0; }
.legend span.lost { border: 0; width: auto; height: auto; color: #cf222e; font-weight: 700; }
form label { margin-right: 14px; }
#nodes { display: flex; flex-wrap: wrap; gap: 2px 12px; max-height: 9em; overflow: auto;
  font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#view { position: relative; height: calc(100vh - 40px); min-height: 300px;
  border-top: 1px solid #d0d7de; }
#canvas { position: absolute; left: 0; top: 0; }
#scroll { position: absolute; inset: 0; overflow: auto; }
#space { width: 1px; height: 1px; }
#tip { position: absolute; z-index: 5; max-width: 640px; margin: 0; padding: 6px 8px;
  background: #fff; border: 1px solid #8c959f; border-radius: 4px; pointer-events: none;
  box-shadow: 0 2px 8px rgba(0,0,0,.15); white-space: pre-wrap; overflow-wrap: anywhere;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
"""
)

# Times are µs of history time; rows are the journal's sends and deliveries of
# the messages that pass the filters, in journal order.
_SCRIPT = r"""
"use strict";
(() => {
const D = JSON.parse(document.getElementById("data").textContent);
const M = D.messages, P = D.participants, N = M.id.length;
const HEAD = 28, GUTTER = 78, MIN_COL = 56, MAX_PX = 15e6;
const view = document.getElementById("view"), canvas = document.getElementById("canvas");
const scroll = document.getElementById("scroll"), space = document.getElementById("space");
const tip = document.getElementById("tip"), ctx = canvas.getContext("2d");
const $ = (id) => document.getElementById(id);
const ticked = new Uint8Array(P.length).fill(1);
let shown = new Int32Array(0), rowOf = new Int32Array(D.steps), rowTime = [];
let colX = new Float64Array(P.length), columns = [], colW = MIN_COL, row = 20, drawn = [];
const secs = (us) => (us / 1e6).toFixed(6) + " s";
let lo = Infinity, hi = -Infinity;
for (let i = 0; i < N; i++) {
  lo = Math.min(lo, M.sent[i]);
  hi = Math.max(hi, M.received[i] === null ? M.sent[i] : M.received[i]);
}
if (!N) { lo = 0; hi = 0; }
$("from").value = Math.floor(lo / 1e3) / 1e3;
$("to").value = Math.ceil(hi / 1e3) / 1e3;

const boxes = $("nodes");
P.forEach((name, i) => {
  const l = document.createElement("label"), c = document.createElement("input");
  c.type = "checkbox"; c.checked = true; c.dataset.i = i;
  c.addEventListener("change", () => { ticked[i] = c.checked ? 1 : 0; refilter(); });
  l.append(c, " " + name); boxes.append(l);
});
function tick(pred) {
  boxes.querySelectorAll("input").forEach((c) => {
    c.checked = pred(P[+c.dataset.i]); ticked[+c.dataset.i] = c.checked ? 1 : 0;
  });
  refilter();
}
$("all").onclick = () => tick(() => true);
$("none").onclick = () => tick(() => false);
$("servers").onclick = () => { $("mode").value = "both"; tick((name) => !name.startsWith("c")); };
// Too many participants to see at once (clients come and go): start with the
// messages between servers, which are what a node's design is about, if any.
const server = (j) => !P[j].startsWith("c");
const between = M.src.some((s, i) => server(s) && server(M.dest[i]));
if (GUTTER + P.length * MIN_COL > scroll.clientWidth && between) {
  boxes.querySelectorAll("input").forEach((c) => {
    if (P[+c.dataset.i].startsWith("c")) { c.checked = false; ticked[+c.dataset.i] = 0; }
  });
  $("mode").value = "both";
}
for (const id of ["mode", "from", "to"]) $(id).addEventListener("input", refilter);
$("row").addEventListener("input", () => {
  // Keep the row at the top in view while the rows grow or shrink.
  const top = (scroll.scrollTop - HEAD) / row;
  layout();
  scroll.scrollTop = Math.max(0, HEAD + top * row);
});

function refilter() {
  const from = parseFloat($("from").value), to = parseFloat($("to").value);
  const t0 = isNaN(from) ? -Infinity : from * 1e6, t1 = isNaN(to) ? Infinity : to * 1e6;
  const both = $("mode").value === "both";
  const mark = new Uint8Array(D.steps), keep = [], used = new Uint8Array(P.length);
  for (let i = 0; i < N; i++) {
    const s = ticked[M.src[i]], d = ticked[M.dest[i]];
    if (both ? !(s && d) : !(s || d)) continue;
    const r = M.received[i];
    if (!((M.sent[i] >= t0 && M.sent[i] <= t1) || (r !== null && r >= t0 && r <= t1))) continue;
    keep.push(i); used[M.src[i]] = 1; used[M.dest[i]] = 1;
    mark[M.sent_step[i]] = 1;
    if (M.received_step[i] >= 0) mark[M.received_step[i]] = 1;
  }
  shown = Int32Array.from(keep);
  rowTime = [];
  for (let e = 0, r = 0; e < D.steps; e++) if (mark[e]) { rowOf[e] = r++; rowTime.push(e); }
  const when = new Float64Array(D.steps);
  for (const i of shown) {
    when[M.sent_step[i]] = M.sent[i];
    if (M.received_step[i] >= 0) when[M.received_step[i]] = M.received[i];
  }
  rowTime = rowTime.map((e) => when[e]);
  columns = [];
  P.forEach((_, j) => { if (used[j] || (ticked[j] && !both)) columns.push(j); });
  if (both) columns = columns.filter((j) => ticked[j]);
  const lost = keep.filter((i) => M.received_step[i] < 0).length;
  $("status").textContent = `${keep.length} of ${N} messages (${lost} never delivered), ` +
    `${columns.length} participants, ${rowTime.length} rows. Hover an arrow for the message.`;
  canvas.dataset.shown = keep.length;
  scroll.scrollTop = 0;
  layout();
}

function layout() {
  row = +$("row").value;
  if (rowTime.length * row > MAX_PX) row = MAX_PX / rowTime.length;
  const width = scroll.clientWidth;
  colW = Math.max(MIN_COL, (width - GUTTER) / Math.max(1, columns.length));
  colX.fill(NaN);
  columns.forEach((j, k) => { colX[j] = GUTTER + (k + 0.5) * colW; });
  space.style.width = GUTTER + columns.length * colW + "px";
  space.style.height = HEAD + (rowTime.length + 2) * row + "px";
  draw();
}

function arrowHead(x, y, angle, size) {
  ctx.save(); ctx.translate(x, y); ctx.rotate(angle); ctx.beginPath();
  ctx.moveTo(0, 0); ctx.lineTo(-size, size / 2.5); ctx.lineTo(-size, -size / 2.5);
  ctx.closePath(); ctx.fill(); ctx.restore();
}

function draw() {
  const w = scroll.clientWidth, h = scroll.clientHeight, dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const sx = scroll.scrollLeft, sy = scroll.scrollTop;
  const y = (r) => HEAD + (r + 1) * row - sy;
  const r0 = Math.floor((sy - HEAD) / row) - 2, r1 = Math.ceil((sy + h) / row) + 1;
  ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1; ctx.beginPath();
  for (const j of columns) {
    const x = colX[j] - sx;
    if (x < GUTTER - 2 || x > w + 2) continue;
    ctx.moveTo(x, Math.max(HEAD, y(-1))); ctx.lineTo(x, Math.min(h, y(rowTime.length)));
  }
  ctx.stroke();
  drawn = [];
  for (const i of shown) {
    const a = rowOf[M.sent_step[i]], lostOne = M.received_step[i] < 0;
    const b = lostOne ? a : rowOf[M.received_step[i]];
    if (b < r0 || a > r1) continue;
    const x0 = colX[M.src[i]] - sx, y0 = y(a);
    let x1 = colX[M.dest[i]] - sx, y1 = y(b);
    if (Math.max(x0, x1) < GUTTER || Math.min(x0, x1) > w) continue;
    ctx.strokeStyle = ctx.fillStyle = D.colors[M.color[i]];
    if (lostOne) {
      const dx = x1 - x0, len = Math.hypot(dx, row) || 1, stub = Math.min(40, Math.abs(dx) * 0.4);
      x1 = x0 + (dx / len) * stub; y1 = y0 + (row / len) * stub;
      ctx.setLineDash([4, 3]);
    }
    ctx.lineWidth = 2.5; ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    ctx.setLineDash([]);
    const angle = Math.atan2(y1 - y0, x1 - x0);
    if (lostOne) {
      ctx.strokeStyle = "#cf222e"; ctx.lineWidth = 2; ctx.beginPath();
      ctx.moveTo(x1 - 4, y1 - 4); ctx.lineTo(x1 + 4, y1 + 4);
      ctx.moveTo(x1 - 4, y1 + 4); ctx.lineTo(x1 + 4, y1 - 4); ctx.stroke();
    } else if (x0 !== x1 || y0 !== y1) {
      arrowHead(x1, y1, angle, 10);
    }
    drawn.push([i, x0, y0, x1, y1]);
  }
  if (row >= 10 && drawn.length <= 3000) {
    ctx.font = "11px Helvetica, Arial, sans-serif"; ctx.textAlign = "center";
    ctx.lineWidth = 3; ctx.strokeStyle = "#fff"; ctx.fillStyle = "#111";
    for (const [i, x0, y0, x1, y1] of drawn) {
      if (M.received_step[i] < 0) continue;
      let angle = Math.atan2(y1 - y0, x1 - x0);
      if (angle > Math.PI / 2 || angle < -Math.PI / 2) angle += Math.PI;
      ctx.save(); ctx.translate((x0 + x1) / 2, (y0 + y1) / 2); ctx.rotate(angle);
      const text = D.labels[M.label[i]];
      ctx.strokeText(text, 0, -5); ctx.fillText(text, 0, -5); ctx.restore();
    }
  }
  // The participants' names stay at the top, the times at the left.
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, HEAD);
  ctx.font = "600 12px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.fillStyle = "#1f2328";
  for (const j of columns) {
    const x = colX[j] - sx;
    if (x > GUTTER - colW / 2 && x < w + colW / 2) ctx.fillText(P[j], x, 18, colW - 4);
  }
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, GUTTER, h);
  ctx.strokeStyle = "#d0d7de"; ctx.lineWidth = 1; ctx.beginPath();
  ctx.moveTo(GUTTER, 0); ctx.lineTo(GUTTER, h); ctx.moveTo(0, HEAD); ctx.lineTo(w, HEAD);
  ctx.stroke();
  ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "right"; ctx.fillStyle = "#57606a";
  const every = Math.max(1, Math.ceil(40 / row));
  for (let r = Math.max(0, r0 - (r0 % every)); r <= Math.min(r1, rowTime.length - 1); r += every) {
    if (r < 0 || y(r) < HEAD + 6) continue;
    ctx.fillText((rowTime[r] / 1e6).toFixed(3) + " s", GUTTER - 6, y(r) + 4);
  }
  canvas.dataset.drawn = drawn.length;
}

function nearest(px, py) {
  let best = null, bestD = 6;
  for (const seg of drawn) {
    const [, x0, y0, x1, y1] = seg, dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
    const t = l2 ? Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / l2)) : 0;
    const d = Math.hypot(px - x0 - t * dx, py - y0 - t * dy);
    if (d < bestD) { bestD = d; best = seg[0]; }
  }
  return best;
}

function details(i) {
  const src = P[M.src[i]], dest = P[M.dest[i]], r = M.received[i];
  const lines = [`${src} → ${dest}: ${D.types[M.type[i]]} (message ${M.id[i]})`,
    `sent ${secs(M.sent[i])}`];
  lines.push(r === null ? "never delivered (lost, dropped by a partition, or still on its way)" :
    `delivered ${secs(r)}, after ${((r - M.sent[i]) / 1e3).toFixed(3)} ms`);
  lines.push(`{"id":${M.id[i]},"src":${JSON.stringify(src)},"dest":${JSON.stringify(dest)},` +
    `"body":${M.body[i]}}`);
  return lines.join("\n");
}

let pending = false;
scroll.addEventListener("scroll", () => {
  tip.hidden = true;
  if (!pending) {
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }
});
scroll.addEventListener("mouseleave", () => { tip.hidden = true; });
scroll.addEventListener("mousemove", (ev) => {
  const box = scroll.getBoundingClientRect(), px = ev.clientX - box.left, py = ev.clientY - box.top;
  const i = px > GUTTER && py > HEAD ? nearest(px, py) : null;
  if (i === null) { tip.hidden = true; return; }
  tip.textContent = details(i); tip.hidden = false; tip.dataset.message = M.id[i];
  const left = Math.min(px + 14, Math.max(0, box.width - tip.offsetWidth - 4));
  tip.style.left = left + "px";
  const below = py + 14 + tip.offsetHeight <= box.height;
  tip.style.top = (below ? py + 14 : py - tip.offsetHeight - 8) + "px";
});
window.addEventListener("resize", layout);
// For people and tests alike: what the canvas shows, in its coordinates.
window.diagram = { drawn: () => drawn.map((d) => d.slice()), details };
refilter();
})();
"""


__all__ = [
    "CLIENT_COLOR",
    "ERROR_COLOR",
    "LABEL_CHARS",
    "MESSAGE_LIMIT",
    "PALETTE",
    "label",
    "participant_key",
    "read_journal",
    "render_messages",
    "type_colors",
    "write_messages",
]
