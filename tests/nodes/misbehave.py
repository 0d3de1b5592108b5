"""A node that breaks the protocol in the way its first argument names.

Modes: ``exit-at-start``, ``silent`` (never answers init), ``not-json``,
``malformed``, ``unknown-dest``, ``flood`` (an endless line on stdout),
``crash`` (exits with status 7 at its fifth request), ``spawn`` (starts a
grandchild that would outlive it, then behaves). Any further argument is
ignored (tests use one to find leftover processes).
"""

import json
import subprocess
import sys


def send(msg: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def main() -> None:
    mode = sys.argv[1]
    print(f"misbehaving node, mode {mode}", file=sys.stderr, flush=True)
    if mode == "exit-at-start":
        print("cannot start: no configuration", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode == "spawn":
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", *sys.argv[2:]])
    node_id = ""
    requests = 0
    for line in sys.stdin:
        msg = json.loads(line)
        body = msg["body"]
        if body.get("type") == "init":
            if mode == "silent":
                continue
            node_id = body["node_id"]
            send(
                {
                    "src": node_id,
                    "dest": msg["src"],
                    "body": {"type": "init_ok", "in_reply_to": body["msg_id"]},
                }
            )
            continue
        if "in_reply_to" in body:
            continue
        requests += 1
        if mode == "not-json":
            print(f"handling {body['type']}")  # meant for stderr
            sys.stdout.flush()
        elif mode == "malformed":
            send({"src": node_id, "body": {"type": "add_ok", "in_reply_to": body["msg_id"]}})
        elif mode == "unknown-dest":
            send({"src": node_id, "dest": "n99", "body": {"type": "gossip"}})
        elif mode == "flood":
            while True:
                sys.stdout.write("x" * 65536)
        elif mode == "crash" and requests >= 5:
            print("about to crash", file=sys.stderr, flush=True)
            sys.exit(7)
        reply = {"type": body["type"] + "_ok", "in_reply_to": body["msg_id"]}
        if body["type"] == "read":
            reply["value"] = 0
        if body["type"] == "echo":
            reply["echo"] = body["echo"]
        send({"src": node_id, "dest": msg["src"], "body": reply})


if __name__ == "__main__":
    main()
