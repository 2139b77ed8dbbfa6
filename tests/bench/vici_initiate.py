#!/usr/bin/env python3
"""vici_initiate.py - initiate many CHILD_SAs in strongSwan's charon over its vici socket.

    vici_initiate.py SOCKET PREFIX COUNT [PARALLEL]

sends `initiate {child = PREFIX<i>, timeout = 0}` for i = 0 .. COUNT-1, PARALLEL at a time
(one vici connection each: vici runs one command per connection), and prints one line
of JSON: how many initiations charon reported as successful, how many failed, the wall
time, and charon's `stats` afterwards (IKE_SAs total and half-open).

The vici protocol (strongSwan's src/libcharon/plugins/vici/README.md): a 32-bit length,
then a packet; CMD_REQUEST = 0 (then an 8-bit name length and the name), CMD_RESPONSE
= 1; a message is a list of elements: SECTION_START 1, SECTION_END 2, KEY_VALUE 3
(8-bit key length, key, 16-bit value length, value), LIST_START 4, LIST_ITEM 5,
LIST_END 6.  This is a client of that protocol and of nothing else (Debian ships no
Python vici module), used by tests/bench/charon_pair.sh.
"""
import json
import socket
import struct
import sys
import threading
import time

CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
SECTION_START, SECTION_END, KEY_VALUE, LIST_START, LIST_ITEM, LIST_END = 1, 2, 3, 4, 5, 6


def encode(cmd, kv):
    name = cmd.encode()
    body = bytes([CMD_REQUEST, len(name)]) + name
    for k, v in kv.items():
        kb, vb = k.encode(), str(v).encode()
        body += bytes([KEY_VALUE, len(kb)]) + kb + struct.pack(">H", len(vb)) + vb
    return struct.pack(">I", len(body)) + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("vici socket closed")
        buf += chunk
    return buf


def parse_message(data):
    """A vici message as nested dicts (lists as Python lists), every length checked."""
    root, stack, i, cur_list = {}, [], 0, None
    cur = root

    def take(n):
        nonlocal i
        if i + n > len(data):
            raise ValueError("truncated vici message")
        out = data[i:i + n]
        i += n
        return out

    while i < len(data):
        t = take(1)[0]
        if t in (SECTION_START, KEY_VALUE, LIST_START):
            name = take(take(1)[0]).decode(errors="replace")
        if t == SECTION_START:
            stack.append(cur)
            cur[name] = {}
            cur = cur[name]
        elif t == SECTION_END:
            if not stack:
                raise ValueError("unbalanced section end")
            cur = stack.pop()
        elif t == KEY_VALUE:
            (n,) = struct.unpack(">H", take(2))
            cur[name] = take(n).decode(errors="replace")
        elif t == LIST_START:
            cur_list = cur[name] = []
        elif t == LIST_ITEM:
            (n,) = struct.unpack(">H", take(2))
            if cur_list is None:
                raise ValueError("list item outside a list")
            cur_list.append(take(n).decode(errors="replace"))
        elif t == LIST_END:
            cur_list = None
        else:
            raise ValueError("unknown vici element %d" % t)
    return root


def command(sock, cmd, kv=None):
    sock.sendall(encode(cmd, kv or {}))
    while True:
        (n,) = struct.unpack(">I", recv_exact(sock, 4))
        pkt = recv_exact(sock, n)
        if pkt[0] == CMD_RESPONSE:
            return parse_message(pkt[1:])
        if pkt[0] == CMD_UNKNOWN:
            raise RuntimeError("charon does not know the command " + cmd)
        # events (none registered) are skipped


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.split("\n\n")[1])
    path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    parallel = int(sys.argv[4]) if len(sys.argv) == 5 else 32
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0, "errors": []}

    def worker():
        s = connect(path)
        try:
            while True:
                with lock:
                    i = state["next"]
                    if i >= count:
                        return
                    state["next"] += 1
                r = command(s, "initiate", {"child": "%s%d" % (prefix, i), "timeout": 0})
                with lock:
                    if r.get("success") == "yes":
                        state["ok"] += 1
                    else:
                        state["failed"] += 1
                        if len(state["errors"]) < 3:
                            state["errors"].append(r.get("errmsg", "?"))
        finally:
            s.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(max(1, parallel))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    s = connect(path)
    stats = command(s, "stats")
    s.close()
    ikesas = stats.get("ikesas", {})
    print(json.dumps({"initiated": count, "ok": state["ok"], "failed": state["failed"],
                      "errors": state["errors"], "wall_s": round(wall, 3),
                      "ikesas_total": int(ikesas.get("total", 0)),
                      "ikesas_half_open": int(ikesas.get("half-open", 0))}))


if __name__ == "__main__":
    main()
