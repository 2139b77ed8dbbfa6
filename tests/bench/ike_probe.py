#!/usr/bin/env python3
"""ike_probe.py SRC DST COUNT - IKE reply latency: COUNT first Main Mode messages (MM1,
one aes128-sha256-psk-modp2048 proposal, fresh cookies) sent from SRC (an address a
configured peer of ikemond has) to DST:500, each timed until ikemond's MM2 comes back.
Prints "median X ms, p99 Y ms, max Z ms" (and how many went unanswered, if any)."""
import os
import socket
import struct
import sys
import time


def mm1():
    # SA payload: DOI 1 (IPsec), situation 1, proposal 1 (ISAKMP) with one transform:
    # encr AES-CBC 128, hash SHA2-256, auth PSK, group 14, life 28800 s
    attrs = struct.pack("!HHHHHHHHHHHH", 0x8001, 7, 0x800e, 128, 0x8002, 4, 0x8003, 1,
                        0x8004, 14, 0x800b, 1) + struct.pack("!HHI", 0x000c, 4, 28800)
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    sa = struct.pack("!II", 1, 1) + proposal
    body = struct.pack("!BBH", 0, 0, 4 + len(sa)) + sa
    # HDR: initiator cookie, zero responder cookie, next payload SA, version 1.0,
    # exchange 2 (Main Mode), no flags, message ID 0, length
    return os.urandom(8) + bytes(8) + struct.pack("!BBBBII", 1, 0x10, 2, 0, 0,
                                                  28 + len(body)) + body


def main():
    src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(5)
    lat, lost = [], 0
    for _ in range(count):
        t0 = time.monotonic()
        s.sendto(mm1(), (dst, 500))
        try:
            s.recv(65535)
            lat.append(time.monotonic() - t0)
        except socket.timeout:
            lost += 1
        time.sleep(0.05)
    if not lat:
        print("no reply")
        return
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99 + 0.999) - 1)]
    out = "median %.1f ms, p99 %.1f ms, max %.1f ms" % (lat[(len(lat) - 1) // 2] * 1000,
                                                        p99 * 1000, lat[-1] * 1000)
    print(out + (", %d lost" % lost if lost else ""))


if __name__ == "__main__":
    main()
