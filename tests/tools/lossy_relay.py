#!/usr/bin/env python3
"""lossy_relay.py - a lossy, reordering, duplicating UDP relay for fault tests (stdlib only).

The test kernels have no netem, so this stands in for a bad network between two hosts.

Usage:
  lossy_relay.py --pair A_ADDR B_ADDR [--port 500 --port 4500] [--loss P] [--reorder P]
                 [--duplicate P] [--delay-ms N] [--reorder-ms N] [--queue N] [--seed S]
                 [--duration S]

Transparent: the relay runs on the host (namespace) that routes between A and B, binds
each port on both addresses with IP_TRANSPARENT and sends each datagram on from the
sender's own address and port, so neither side sees a NAT and the IKE identities and
NAT-D hashes hold.  The relay's host needs the datagrams for A and B delivered locally
(forwarding off), e.g. for the interface facing A (and the same for B's):
    ip route add local B_ADDR/32 dev lo table 101; ip rule add iif TO_A lookup 101

What happens to a datagram, drawn in arrival order from random.Random(--seed) so that a
run's decisions reproduce (their timing cannot, on a busy machine):
- --loss P: dropped with probability P (1.0: a peer that never hears anything).
- --duplicate P: sent twice (the copy 1 ms later).
- --reorder P: held back --reorder-ms (default 150) more than the others, so that later
  datagrams overtake it.
- --delay-ms N: every datagram is held N ms (both ways).
At most --queue datagrams (default 256) are held at once; more are dropped and counted
as "overflow".  The relay exits after --duration seconds (default 120) or on SIGTERM or
SIGINT and prints its counters; SIGUSR1 prints them without stopping.  Stderr lines start
with "lossy_relay: "; "lossy_relay: ready" follows the last bind.
"""

import argparse
import heapq
import ipaddress
import random
import selectors
import signal
import socket
import sys
import time

IP_TRANSPARENT = getattr(socket, "IP_TRANSPARENT", 19)
MAX_DATAGRAM = 65535


def log(msg):
    print("lossy_relay: " + msg, file=sys.stderr, flush=True)


def probability(text):
    p = float(text)
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError("a probability is 0..1: " + text)
    return p


def address(text):
    try:
        a = ipaddress.ip_address(text)
    except ValueError:
        raise argparse.ArgumentTypeError("bad address: " + text) from None
    if a.version != 4:
        raise argparse.ArgumentTypeError("IPv4 only: " + text)
    return str(a)


class Relay:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.sel = selectors.DefaultSelector()
        self.socks = {}  # (addr, port) -> socket bound there
        self.held = []  # heap of (due, seq, sock, data, dest)
        self.seq = 0
        self.wake_r, self.wake_w = socket.socketpair()
        for s in (self.wake_r, self.wake_w):
            s.setblocking(False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, None)
        self.stop = False
        self.show = False
        self.count = dict.fromkeys(
            ("in", "out", "lost", "duplicated", "reordered", "overflow", "foreign", "send_error"), 0)

    def bind(self, addr, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IP, IP_TRANSPARENT, 1)
        s.bind((addr, port))
        s.setblocking(False)
        self.socks[(addr, port)] = s
        self.sel.register(s, selectors.EVENT_READ, (addr, port))

    def hold(self, now, delay_ms, sock, data, dest):
        if len(self.held) >= self.args.queue:
            self.count["overflow"] += 1
            return
        self.seq += 1
        heapq.heappush(self.held, (now + delay_ms / 1000.0, self.seq, sock, data, dest))

    def take(self, key, now):
        """A datagram for (addr, port) from its peer: decide its fate, hold it."""
        addr, port = key.data
        data, src = key.fileobj.recvfrom(MAX_DATAGRAM)
        a, b = self.args.pair
        if src[0] not in (a, b) or addr != (b if src[0] == a else a):
            self.count["foreign"] += 1
            return
        self.count["in"] += 1
        # the same three draws for every datagram, so one option does not shift the others
        lose, dup, late = self.rng.random(), self.rng.random(), self.rng.random()
        if lose < self.args.loss:
            self.count["lost"] += 1
            return
        # sent from the sender's own address and port, to the address it wrote
        out = self.socks.get((src[0], src[1]))
        if out is None:
            try:
                self.bind(src[0], src[1])
            except OSError as e:
                self.count["send_error"] += 1
                log("cannot bind %s:%d: %s" % (src[0], src[1], e))
                return
            out = self.socks[(src[0], src[1])]
        delay = self.args.delay_ms
        if late < self.args.reorder:
            self.count["reordered"] += 1
            delay += self.args.reorder_ms
        self.hold(now, delay, out, data, (addr, port))
        if dup < self.args.duplicate:
            self.count["duplicated"] += 1
            self.hold(now, delay + 1, out, data, (addr, port))

    def flush(self, now):
        while self.held and self.held[0][0] <= now:
            _, _, sock, data, dest = heapq.heappop(self.held)
            try:
                sock.sendto(data, dest)
                self.count["out"] += 1
            except OSError as e:
                self.count["send_error"] += 1
                log("send to %s:%d failed: %s" % (dest[0], dest[1], e))

    def counters(self):
        log("counters: " + " ".join("%s=%d" % kv for kv in self.count.items()) +
            " held=%d" % len(self.held))

    def run(self):
        end = time.monotonic() + self.args.duration
        while not self.stop:
            now = time.monotonic()
            self.flush(now)
            if self.show:
                self.show = False
                self.counters()
            if now >= end:
                log("duration of %g s is over" % self.args.duration)
                break
            timeout = end - now
            if self.held:
                timeout = min(timeout, self.held[0][0] - now)
            for key, _ in self.sel.select(max(timeout, 0)):
                if key.data is None:
                    for b in self.wake_r.recv(64):
                        if b == signal.SIGUSR1:
                            self.show = True
                        else:
                            self.stop = True
                    continue
                try:
                    self.take(key, time.monotonic())
                except (BlockingIOError, InterruptedError):
                    pass
        self.counters()


def parse_args(argv):
    p = argparse.ArgumentParser(description="lossy, reordering, duplicating UDP relay")
    p.add_argument("--pair", nargs=2, required=True, type=address, metavar=("A", "B"),
                   help="the two hosts whose datagrams pass through")
    p.add_argument("--port", action="append", type=int, help="UDP port relayed (repeatable; "
                   "default 500 and 4500)")
    p.add_argument("--loss", type=probability, default=0.0, help="drop probability")
    p.add_argument("--duplicate", type=probability, default=0.0, help="duplicate probability")
    p.add_argument("--reorder", type=probability, default=0.0, help="hold-back probability")
    p.add_argument("--reorder-ms", type=int, default=150, help="extra delay of a held-back one")
    p.add_argument("--delay-ms", type=int, default=0, help="delay of every datagram")
    p.add_argument("--queue", type=int, default=256, help="most datagrams held at once")
    p.add_argument("--seed", type=int, default=1, help="seed of the decisions")
    p.add_argument("--duration", type=float, default=120.0, help="seconds before exiting")
    args = p.parse_args(argv)
    args.port = args.port or [500, 4500]
    if any(not 0 < x < 65536 for x in args.port):
        p.error("ports are 1..65535")
    if args.delay_ms < 0 or args.reorder_ms < 0 or args.queue < 1 or args.duration <= 0:
        p.error("--delay-ms, --reorder-ms >= 0; --queue >= 1; --duration > 0")
    if args.pair[0] == args.pair[1]:
        p.error("--pair needs two addresses")
    return args


def main(argv):
    args = parse_args(argv)
    relay = Relay(args)
    signal.set_wakeup_fd(relay.wake_w.fileno(), warn_on_full_buffer=False)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(signum, lambda *_: None)
    try:
        for addr in args.pair:
            for port in args.port:
                relay.bind(addr, port)
    except OSError as e:
        log("cannot bind: %s" % e)
        return 1
    log("relaying %s <-> %s ports %s: loss %g reorder %g (+%d ms) duplicate %g delay %d ms "
        "queue %d seed %d" % (args.pair[0], args.pair[1], ",".join(map(str, args.port)),
                              args.loss, args.reorder, args.reorder_ms, args.duplicate,
                              args.delay_ms, args.queue, args.seed))
    log("ready")
    relay.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
