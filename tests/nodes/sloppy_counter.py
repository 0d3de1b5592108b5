"""Broken on purpose: a one-node counter whose replies break the workload's rules.

Plain Python with no dependency, so Maelstrom can run it as well. Run it with
``--node-count 1``: the total lives in the node. The first argument is the mode:

- ``add-delta``: ``add_ok`` copies the request's ``delta`` (a field the reply
  may not have);
- ``read-extra``: ``read_ok`` carries a ``node`` field besides ``value``;
- ``refuse``: every other add is applied but answered with error 20
  (key-does-not-exist), which promises it was not.
"""

import json
import sys


def main() -> None:
    mode = sys.argv[1]
    node_id = ""
    total = 0
    adds = 0
    for line in sys.stdin:
        msg = json.loads(line)
        body = msg["body"]
        reply: dict[str, object] = {"in_reply_to": body["msg_id"]}
        if body["type"] == "init":
            node_id = body["node_id"]
            reply["type"] = "init_ok"
        elif body["type"] == "add":
            adds += 1
            total += body["delta"]
            reply["type"] = "add_ok"
            if mode == "add-delta":
                reply["delta"] = body["delta"]
            if mode == "refuse" and adds % 2 == 0:
                reply |= {"type": "error", "code": 20, "text": "no such counter"}
        elif body["type"] == "read":
            reply |= {"type": "read_ok", "value": total}
            if mode == "read-extra":
                reply["node"] = node_id
        else:
            continue
        sys.stdout.write(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
