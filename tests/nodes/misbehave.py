"""A node that breaks the protocol in the way its first argument names.

Node ``n0`` misbehaves at its third request (once; the other nodes behave):
``not-json`` (a log line on stdout), ``blank`` (an empty line), ``extra-key``
(a reply with a top-level key beyond the envelope), ``malformed`` (a reply
without ``dest``), ``unknown-dest`` (a message to ``n99``), ``wrong-src`` (its
replies claim to come from ``n1``, from then on), ``late`` (it keeps that
reply back and sends it when a request comes from another client: the one
that replaced the client which gave up), ``flood`` (an endless line),
``crash`` (exits with status 7) and ``init-twice`` (sends its ``init_ok``
again, to the init client, closed by then). Every node does
``exit-at-start`` (exits at once), ``silent`` (never answers init),
``init-type`` (answers it with another type), ``init-error`` (answers it with
an error) and ``spawn`` (starts a grandchild that would outlive it, then
behaves). Any further argument is ignored (tests use one to find leftover
processes).
"""

import json
import subprocess
import sys

#: The request (counted from 1) at which n0 misbehaves.
AT = 3


def send(msg: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def reply_to(node_id: str, msg: dict[str, object]) -> dict[str, object]:
    body = msg["body"]
    assert isinstance(body, dict)
    reply: dict[str, object] = {"type": body["type"] + "_ok", "in_reply_to": body["msg_id"]}
    if body["type"] == "read":
        reply["value"] = 0
    if body["type"] == "echo":
        reply["echo"] = body["echo"]
    return {"src": node_id, "dest": msg["src"], "body": reply}


def main() -> None:
    mode = sys.argv[1]
    print(f"misbehaving node, mode {mode}", file=sys.stderr, flush=True)
    if mode == "exit-at-start":
        print("cannot start: no configuration", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode == "spawn":
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", *sys.argv[2:]])
    node_id = ""
    init_ok: dict[str, object] = {}
    requests = 0
    held: dict[str, object] | None = None
    for line in sys.stdin:
        msg = json.loads(line)
        body = msg["body"]
        if body.get("type") == "init":
            if mode == "silent":
                continue
            if mode in ("init-type", "init-error"):
                reply = (
                    {"type": "hello", "in_reply_to": body["msg_id"]}
                    if mode == "init-type"
                    else {
                        "type": "error",
                        "in_reply_to": body["msg_id"],
                        "code": 13,
                        "text": "no config",
                    }
                )
                send({"src": body["node_id"], "dest": msg["src"], "body": reply})
                continue
            node_id = body["node_id"]
            init_ok = {
                "src": node_id,
                "dest": msg["src"],
                "body": {"type": "init_ok", "in_reply_to": body["msg_id"]},
            }
            send(init_ok)
            continue
        if "in_reply_to" in body:
            continue
        requests += 1
        reply = reply_to(node_id, msg)
        if held is not None and held["dest"] != msg["src"]:
            send(held)  # to a client that is closed by now
            held = None
        if node_id != "n0" or requests < AT:
            send(reply)
            continue
        if mode == "wrong-src":
            reply["src"] = "n1"
        if requests > AT:
            send(reply)
            continue
        print(f"misbehaving now ({mode})", file=sys.stderr, flush=True)
        if mode == "not-json":
            print(f"handling {body['type']}")  # meant for stderr
            sys.stdout.flush()
        elif mode == "blank":
            sys.stdout.write("\n")
            sys.stdout.flush()
        elif mode == "extra-key":
            reply["extra"] = 1
        elif mode == "malformed":
            del reply["dest"]
        elif mode == "unknown-dest":
            send({"src": node_id, "dest": "n99", "body": {"type": "gossip"}})
        elif mode == "init-twice":
            send(init_ok)
        elif mode == "late":
            held = reply
            continue
        elif mode == "flood":
            while True:
                sys.stdout.write("x" * 65536)
        elif mode == "crash":
            print("about to crash", file=sys.stderr, flush=True)
            sys.exit(7)
        send(reply)


if __name__ == "__main__":
    main()
