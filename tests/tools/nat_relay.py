#!/usr/bin/env python3
"""nat_relay.py - a small UDP NAPT simulator for NAT traversal tests (stdlib only).

Usage:
  nat_relay.py --listen 10.99.1.1:500 --server 10.99.2.2:500 --source 10.99.2.1 \\
               --port-base 40000 [--float-port 4500] [--delay-ms N] [--duration S] \\
               [--max-flows N] [--idle-timeout S] [--transparent]

Clients send to a --listen address; the relay forwards each datagram to the server from
an outside socket of its own on --source (the NAT's outside address), so the server sees
the NAT's address and a rewritten port.  Replies from the server come back to the client
from the --listen address and port the client used.

- Mapping: one outside socket per inside (client address, client port), allocated at
  the client's first datagram (ports --port-base, --port-base+1, ... or ephemeral when
  --port-base is 0) and logged to stderr.  The mapping does not depend on the
  destination, like a real NAT's: a client that floats from port 500 to 4500 (RFC 3947)
  uses a new source port, so it gets a new mapping and a different outside port.
- Float: every --listen address also listens on --float-port (default 4500; 0 turns it
  off), which forwards to the server's --float-port.  Other listen ports forward to the
  --server port.
- Filtering: an outside socket accepts datagrams from the server's address only
  (address-restricted, as most NATs do); the rest are dropped and counted.
- --transparent lets a --listen address be one the relay's host does not own, e.g. the
  server's own address, so the relay is a pure source NAT and the client's NAT-D for the
  destination stays valid.  It needs root and a route that delivers those datagrams
  locally, e.g. in the NAT namespace:
    ip route add local 10.99.2.2/32 dev lo table 100; ip rule add iif nat-in lookup 100
  (only datagrams arriving from the inside take that route; the relay's own datagrams to
  the server still go out).  Without it the client addresses the relay, so the server
  also sees a NAT in front of itself.
- --delay-ms holds every datagram, both ways, that long before sending it on.
- --max-replies N forwards only the server's first N datagrams to clients and drops
  the rest (counted as "cut"): seen from the client, a peer that dies mid-exchange.
- --spoil-sig flips a byte in the middle of the SIG payload of each unencrypted datagram
  of the server's that carries one (Aggressive Mode's AM2, RFC 2409 5.1; counted as
  "spoilt"): seen from the client, a signature that does not verify.
- The relay exits after --duration seconds (default 120), on SIGTERM or SIGINT, and
  prints its counters to stderr.  At most --max-flows mappings (default 1024) exist at
  once; datagrams of further new flows are dropped.  --idle-timeout S expires a mapping
  unused for S seconds (0, the default: never), as a NAT forgets a silent flow.

Stderr lines start with "nat_relay: "; "nat_relay: ready" follows the last bind.
"""

import argparse
import heapq
import ipaddress
import selectors
import signal
import socket
import sys
import time

IP_TRANSPARENT = getattr(socket, "IP_TRANSPARENT", 19)
IPV6_TRANSPARENT = getattr(socket, "IPV6_TRANSPARENT", 75)
MAX_DATAGRAM = 65535


def log(msg):
    print("nat_relay: " + msg, file=sys.stderr, flush=True)


def parse_endpoint(text, need_port=True):
    """'a.b.c.d:port', '[v6]:port' (or a bare address when need_port is False)."""
    host, port = text, None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise argparse.ArgumentTypeError("bad address: " + text)
        port = rest[1:] or None
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        addr = ipaddress.ip_address(host)
        port = None if port is None else int(port)
    except ValueError:
        raise argparse.ArgumentTypeError("bad address: " + text) from None
    if port is None and need_port:
        raise argparse.ArgumentTypeError("address needs a port: " + text)
    if port is not None and not 0 < port < 65536:
        raise argparse.ArgumentTypeError("bad port: " + text)
    return addr, port


ISAKMP_HDR_LEN = 28
ISAKMP_NP_SIG = 9


def spoil_sig(data):
    """The ISAKMP datagram with a byte of its SIG payload flipped; None when it is
    encrypted, malformed or has no SIG (each payload length is checked)."""
    if len(data) < ISAKMP_HDR_LEN or data[19] & 1:
        return None
    np, off = data[16], ISAKMP_HDR_LEN
    for _ in range(64):
        if np == 0 or off + 4 > len(data):
            return None
        plen = int.from_bytes(data[off + 2:off + 4], "big")
        if plen < 4 or off + plen > len(data):
            return None
        if np == ISAKMP_NP_SIG and plen > 4:
            out = bytearray(data)
            out[off + 4 + (plen - 4) // 2] ^= 0x5A
            return bytes(out)
        np, off = data[off], off + plen
    return None


def fmt(addr, port):
    return "[%s]:%d" % (addr, port) if addr.version == 6 else "%s:%d" % (addr, port)


def family(addr):
    return socket.AF_INET6 if addr.version == 6 else socket.AF_INET


class Flow:
    """One inside (address, port) and the outside socket that stands for it."""

    def __init__(self, inside, outside, port, now):
        self.inside = inside  # (ip_address, port)
        self.outside = outside
        self.port = port
        self.last = now
        self.routes = {}  # server port -> listen socket the client used for it


class Relay:
    def __init__(self, args):
        self.args = args
        self.sel = selectors.DefaultSelector()
        self.flows = {}  # (ip_address, port) -> Flow
        self.pending = []  # heap of (due, seq, sock, data, (addr, port))
        self.seq = 0
        self.next_port = args.port_base
        # Signals only write a byte here: the loop sees it as one more readable socket,
        # where a flag would wait for select's timeout (Python restarts select on EINTR).
        self.wake_r, self.wake_w = socket.socketpair()
        for s in (self.wake_r, self.wake_w):
            s.setblocking(False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, ("wake", None))
        self.stop = False
        self.count = dict.fromkeys(
            ("out", "in", "foreign", "no_route", "flow_limit", "send_error", "expired", "cut",
             "spoilt"), 0)

    # Sockets

    def bind_listen(self, addr, port):
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.args.transparent:
            # A listen address the host does not own: bind and reply from it anyway.
            if addr.version == 6:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
            else:
                s.setsockopt(socket.IPPROTO_IP, IP_TRANSPARENT, 1)
        if addr.version == 6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((str(addr), port))
        s.setblocking(False)
        server_port = port if port == self.args.float_port else self.args.server[1]
        self.sel.register(s, selectors.EVENT_READ, ("listen", server_port))
        log("listening on %s -> server %s" %
            (fmt(addr, port), fmt(self.args.server[0], server_port)))

    def bind_outside(self):
        """An outside socket on --source: the next port from --port-base, or ephemeral."""
        server = self.args.server[0]
        src = self.args.source
        host = str(src) if src is not None else ("::" if server.version == 6 else "0.0.0.0")
        for _ in range(65536):
            port = 0
            if self.args.port_base:
                port = self.next_port
                wrap = self.next_port >= 65535
                self.next_port = self.args.port_base if wrap else self.next_port + 1
            s = socket.socket(family(server), socket.SOCK_DGRAM)
            try:
                s.bind((host, port))
            except OSError:
                s.close()
                if port == 0:
                    raise
                continue  # in use (an expired flow's port, or someone else's): next one
            s.setblocking(False)
            return s, s.getsockname()[1]
        raise OSError("no free outside port from %d" % self.args.port_base)

    # Flows

    def flow_for(self, inside, now):
        flow = self.flows.get(inside)
        if flow is not None:
            return flow
        if len(self.flows) >= self.args.max_flows:
            self.count["flow_limit"] += 1
            if self.count["flow_limit"] == 1:
                log("flow limit %d reached: dropping new flows" % self.args.max_flows)
            return None
        try:
            outside, port = self.bind_outside()
        except OSError as e:
            self.count["send_error"] += 1
            log("no outside socket for %s: %s" % (fmt(*inside), e))
            return None
        flow = Flow(inside, outside, port, now)
        self.flows[inside] = flow
        self.sel.register(outside, selectors.EVENT_READ, ("outside", flow))
        shown = fmt(self.args.source, port) if self.args.source is not None else "*:%d" % port
        log("map %s -> %s (%d flows)" % (fmt(*inside), shown, len(self.flows)))
        return flow

    def expire(self, now):
        limit = self.args.idle_timeout
        if limit <= 0:
            return
        for inside, flow in list(self.flows.items()):
            if now - flow.last < limit:
                continue
            self.sel.unregister(flow.outside)
            flow.outside.close()
            del self.flows[inside]
            self.count["expired"] += 1
            log("expire %s (outside port %d, idle %.1f s)" %
                (fmt(*inside), flow.port, now - flow.last))

    # Datagrams

    def send(self, sock, data, dest, now):
        if self.args.delay_ms <= 0:
            self.send_now(sock, data, dest)
            return
        self.seq += 1
        due = now + self.args.delay_ms / 1000.0
        heapq.heappush(self.pending, (due, self.seq, sock, data, dest))

    def send_now(self, sock, data, dest):
        if sock.fileno() < 0:
            return  # the flow expired while the datagram was held back
        try:
            sock.sendto(data, (str(dest[0]), dest[1]))
        except OSError as e:
            self.count["send_error"] += 1
            log("send to %s failed: %s" % (fmt(*dest), e))

    def from_inside(self, sock, server_port, now):
        data, src = sock.recvfrom(MAX_DATAGRAM)
        inside = (ipaddress.ip_address(src[0]), src[1])
        flow = self.flow_for(inside, now)
        if flow is None:
            return
        flow.last = now
        flow.routes[server_port] = sock
        self.count["out"] += 1
        self.send(flow.outside, data, (self.args.server[0], server_port), now)

    def from_outside(self, flow, now):
        data, src = flow.outside.recvfrom(MAX_DATAGRAM)
        if ipaddress.ip_address(src[0]) != self.args.server[0]:
            self.count["foreign"] += 1
            return
        back = flow.routes.get(src[1])
        if back is None:
            self.count["no_route"] += 1
            return
        flow.last = now
        if self.args.max_replies >= 0 and self.count["in"] >= self.args.max_replies:
            # the server "dies" for the client: its later datagrams are lost
            self.count["cut"] += 1
            return
        self.count["in"] += 1
        if self.args.spoil_sig:
            spoilt = spoil_sig(data)
            if spoilt is not None:
                self.count["spoilt"] += 1
                log("spoilt the SIG of a datagram to %s" % fmt(*flow.inside))
                data = spoilt
        self.send(back, data, flow.inside, now)

    # Loop

    def run(self):
        end = time.monotonic() + self.args.duration
        while not self.stop:
            now = time.monotonic()
            while self.pending and self.pending[0][0] <= now:
                _, _, sock, data, dest = heapq.heappop(self.pending)
                self.send_now(sock, data, dest)
            if now >= end:
                log("duration of %g s is over" % self.args.duration)
                break
            self.expire(now)
            timeout = end - now
            if self.pending:
                timeout = min(timeout, self.pending[0][0] - now)
            if self.args.idle_timeout > 0 and self.flows:
                oldest = min(f.last for f in self.flows.values())
                timeout = min(timeout, oldest + self.args.idle_timeout - now)
            for key, _ in self.sel.select(max(timeout, 0)):
                kind, arg = key.data
                now = time.monotonic()
                try:
                    if kind == "wake":
                        self.stop = True
                    elif kind == "listen":
                        self.from_inside(key.fileobj, arg, now)
                    else:
                        self.from_outside(arg, now)
                except (BlockingIOError, InterruptedError):
                    pass
        log("counters: " + " ".join("%s=%d" % kv for kv in self.count.items()) +
            " flows=%d" % len(self.flows))


def parse_args(argv):
    p = argparse.ArgumentParser(description="UDP NAPT simulator for NAT traversal tests")
    p.add_argument("--listen", action="append", required=True, type=parse_endpoint,
                   help="ADDR:PORT clients send to (repeatable)")
    p.add_argument("--server", required=True, type=parse_endpoint, help="ADDR:PORT of the server")
    p.add_argument("--source", type=lambda t: parse_endpoint(t, need_port=False)[0],
                   help="outside address of the NAT (default: the kernel chooses)")
    p.add_argument("--port-base", type=int, default=0,
                   help="first outside port (default 0: ephemeral ports)")
    p.add_argument("--float-port", type=int, default=4500,
                   help="NAT-T port also listened on and forwarded (default 4500, 0: off)")
    p.add_argument("--delay-ms", type=int, default=0, help="hold each datagram back this long")
    p.add_argument("--duration", type=float, default=120.0, help="seconds before exiting")
    p.add_argument("--max-replies", type=int, default=-1,
                   help="forward only the server's first N datagrams (a peer that dies)")
    p.add_argument("--spoil-sig", action="store_true",
                   help="flip a byte of the SIG in each plain datagram of the server's")
    p.add_argument("--max-flows", type=int, default=1024, help="most mappings at once")
    p.add_argument("--idle-timeout", type=float, default=0.0,
                   help="expire a mapping idle this long (default 0: never)")
    p.add_argument("--transparent", action="store_true",
                   help="listen on addresses this host does not own (IP_TRANSPARENT)")
    args = p.parse_args(argv)
    if not 0 <= args.port_base < 65536 or not 0 <= args.float_port < 65536:
        p.error("ports are 0..65535")
    if args.delay_ms < 0 or args.duration <= 0 or args.max_flows < 1 or args.idle_timeout < 0:
        p.error("--delay-ms, --idle-timeout >= 0; --duration > 0; --max-flows >= 1")
    if args.source is not None and args.source.version != args.server[0].version:
        p.error("--source and --server must be of the same address family")
    return args


def main(argv):
    args = parse_args(argv)
    relay = Relay(args)

    signal.set_wakeup_fd(relay.wake_w.fileno(), warn_on_full_buffer=False)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, _frame: log("signal %d: stopping" % signum))
    # Each listen address also takes the float port; naming it twice is harmless.
    listens = []
    for addr, port in args.listen:
        for p in (port, args.float_port):
            if p and (addr, p) not in listens:
                listens.append((addr, p))
    try:
        for addr, port in listens:
            relay.bind_listen(addr, port)
    except OSError as e:
        log("cannot bind: %s" % e)
        return 1
    log("ready")
    relay.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
