#!/usr/bin/env bash
# Truncated, oversized and random datagrams at a running ikemond: it keeps its
# established SA, keeps serving, and counts what it dropped by cause.  Then a's own
# messages to b, captured on lo (Main Mode, Quick Mode, DPD), are replayed at b: counted
# by cause (copies, unexpected, replays), and the SA does not change.
. "$(dirname "$0")/lib.sh"

A=127.10.5.1
B=127.10.5.2
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "robust"
auto = start
dpd_delay = 1
esp = aes128-sha256
local_ts = 10.5.1.0/24
remote_ts = 10.5.2.0/24
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "robust"
auto = add
esp = aes128-sha256
local_ts = 10.5.2.0/24
remote_ts = 10.5.1.0/24
EOF2
# capture what a sends b on lo (AF_PACKET; root), until told to stop (bounded: 120 s)
python3 - "$A" "$B" "$T/a_to_b.hex" "$T/capture.stop" >"$T/capture.log" 2>&1 <<'PY' &
import ctypes, os, socket, struct, sys, time
a, b, out, stop = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
# lo carries every other test's traffic too (floods of 100,000 datagrams among them):
# the kernel keeps only UDP from a to b's port 500 (a classic BPF filter), in a large
# buffer (SO_RCVBUFFORCE), so that none of a's messages is dropped before we read it
A, B = struct.unpack("!I", a)[0], struct.unpack("!I", b)[0]
bpf = [(0x28, 0, 0, 12), (0x15, 0, 10, 0x0800),  # ethertype IPv4
       (0x30, 0, 0, 23), (0x15, 0, 8, 17),       # UDP
       (0x20, 0, 0, 26), (0x15, 0, 6, A),        # from a
       (0x20, 0, 0, 30), (0x15, 0, 4, B),        # to b
       (0xb1, 0, 0, 14), (0x48, 0, 0, 16),       # X = IP header length; destination port
       (0x15, 0, 1, 500), (0x06, 0, 0, 0x40000), (0x06, 0, 0, 0)]
code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in bpf))
s.setsockopt(socket.SOL_SOCKET, 26, struct.pack("HL", len(bpf), ctypes.addressof(code)))  # SO_ATTACH_FILTER
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
s.bind(("lo", 0))
s.settimeout(0.2)
open(stop + ".ready", "w").close()
t0 = time.time()
with open(out, "w") as f:
    while not os.path.exists(stop) and time.time() - t0 < 120:
        try:
            frame, meta = s.recvfrom(70000)
        except socket.timeout:
            continue
        if meta[2] == socket.PACKET_OUTGOING:
            continue  # lo shows each datagram twice: keep the incoming copy
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if len(ip) < ihl + 8 or ip[9] != 17 or ip[12:16] != a or ip[16:20] != b:
            continue
        dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
        if dport == 500:
            f.write(ip[ihl + 8:].hex() + "\n")
            f.flush()
PY
PID[sniffer]=$!
check "the capture on lo started" wait_for 5 test -e "$T/capture.stop.ready" ||
	cat "$T/capture.log"
start b
start a
check "SA established before the garbage" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' for s in sas)"
before=$(sa_query b "g['msgs_in']")

# 3000 datagrams from 127.10.5.9: truncated headers, lying lengths, bad versions,
# payload chains that run off the end, encrypted garbage for the live SA, random bytes.
python3 - "$B" "$(ctl b show crypto isakmp sa --json | python3 -c "import json,sys; s=json.load(sys.stdin)['sas'][0]; print(s['icookie']+s['rcookie'])")" <<'PY'
import os, random, socket, struct, sys, time
dst, cookies = sys.argv[1], bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.10.5.9", 0))
rnd = random.Random(42)
def hdr(np=1, ver=0x10, xchg=2, flags=0, msgid=0, length=None, body=b"", ck=None):
    ck = ck if ck is not None else os.urandom(8) + bytes(8)
    length = 28 + len(body) if length is None else length
    return ck + struct.pack("!BBBBII", np, ver, xchg, flags, msgid, length) + body
sent = 0
for i in range(3000):
    k = i % 10
    if k == 0:   d = os.urandom(rnd.randrange(0, 28))                      # short
    elif k == 1: d = hdr(length=rnd.randrange(29, 70000))                  # length lies
    elif k == 2: d = hdr(ver=0x20)                                         # major 2
    elif k == 3: d = hdr(body=struct.pack("!BBH", 0, 0, 2000))             # payload past end
    elif k == 4: d = hdr(body=struct.pack("!BBH", 0, 0, 2))                # payload len < 4
    elif k == 5: d = hdr(body=struct.pack("!BBHBBH", 99, 0, 4, 0, 0, 4))   # unknown type
    elif k == 6: d = hdr(ck=cookies, xchg=5, flags=1, msgid=rnd.getrandbits(32) | 1,
                         body=os.urandom(32))                              # junk for the SA
    elif k == 7: d = hdr(body=struct.pack("!BBH", 0, 0, 12) + os.urandom(8)) # SA of garbage
    elif k == 8: d = os.urandom(rnd.randrange(28, 1500))                   # random
    else:        d = os.urandom(9000)                                      # big random
    s.sendto(d, (dst, 500)); sent += 1
    if i % 50 == 49:
        time.sleep(0.02)  # paced: this tests parsing, not the socket buffer
print(sent, "datagrams sent")
PY
check "b still answers the control socket" wait_for 5 ctl b show crypto isakmp sa
check "b kept its established SA" sa_is b "sas[0]['cisco_state']=='QM_IDLE' and sas[0]['conn_id']==1001"
check "b counted all 3000 datagrams in" wait_for 5 sa_is b "g['msgs_in'] - $before >= 3000"
check "b dropped short datagrams by cause" sa_is b "g['dropped_short']>=300"
check "b dropped bad lengths by cause" sa_is b "g['dropped_bad_length']>=900"
check "b dropped bad versions by cause" sa_is b "g['dropped_bad_version']>=300"
check "b dropped bad payloads by cause" sa_is b "g['dropped_bad_payload']>=300"
check "b counted undecryptable junk on the live SA" sa_is b "sas[0]['counters']['undecryptable']>=250"
check "no SA was created for the unconfigured source" sa_is b "g['dropped_no_config']>=1 and len(sas)==1"
# ---- replays: a's captured messages to b, sent again from a's address
check "a probed b with DPD (captured)" wait_for 10 sa_is b "sas[0]['dpd']['r_u_there_in']>=2"
touch "$T/capture.stop"
stop sniffer
ctl b show crypto isakmp sa --json >"$T/b_before.json"
ctl b show crypto ipsec sa --json >"$T/b_ipsec_before.json"
# from a's own address and port 500 (a raw socket: a's ikemond holds the port), as an
# attacker on the path would
python3 - "$A" "$B" "$T/a_to_b.hex" >"$T/replay.txt" <<'PY'
import socket, struct, sys, time
src, dst = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def csum(b):
    b += b"\0" * (len(b) & 1)
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
n = {}
for line in open(sys.argv[3]):
    d = bytes.fromhex(line.strip())
    if len(d) < 28:
        continue
    x = {2: "mm", 32: "qm", 5: "info"}.get(d[18], "other")
    n[x] = n.get(x, 0) + 1
    udp = struct.pack("!HHHH", 500, 500, 8 + len(d), 0) + d
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.sendto(ip + udp, (sys.argv[2], 0))
    time.sleep(0.002)
print(n.get("mm", 0), n.get("qm", 0), n.get("info", 0))
PY
read -r n_mm n_qm n_info <"$T/replay.txt"
echo "# replayed at b: $n_mm Main Mode, $n_qm Quick Mode, $n_info informational messages of a's"
check "the capture held a's Main Mode (MM1, MM3, MM5), Quick Mode and DPD messages" \
	[ "${n_mm:-0}" -ge 3 -a "${n_qm:-0}" -ge 2 -a "${n_info:-0}" -ge 2 ]
sleep 0.5
# q EXPR: over b's SAs and counters before (B0, G0) and now (B1, G1)
rq() {
	ctl b show crypto isakmp sa --json | python3 -c "
import json, sys
b0 = json.load(open('$T/b_before.json')); b1 = json.load(sys.stdin)
B0, G0, B1, G1 = b0['sas'][0], b0['counters'], b1['sas'][0], b1['counters']
print($1)"
}
check "replayed informational messages dropped as replays (dropped_replay +$n_info)" \
	[ "$(rq "G1['dropped_replay'] - G0['dropped_replay']")" = "$n_info" ]
check "MM5 and QM3 again: copies (dup_in +2), MM1, MM3, QM1: unexpected (+3)" \
	[ "$(rq "(B1['counters']['dup_in'] - B0['counters']['dup_in'], G1['dropped_unexpected'] - G0['dropped_unexpected'])")" = "(2, 3)" ]
check "the replays changed nothing: conn-id, cookies, state, transform, phase-2 SAs" \
	[ "$(rq "all(B0[k] == B1[k] for k in ('conn_id', 'icookie', 'rcookie', 'cisco_state', 'transform', 'children', 'delete_reason', 'last_cause'))")" = True ]
check "no R-U-THERE replayed was answered (every one b answered is one a sent once)" \
	[ "$(rq "B1['dpd']['ack_out'] == B1['dpd']['r_u_there_in'] and G1['sas_failed'] == G0['sas_failed']")" = True ]
check "b's phase-2 SA is as it was: the same SPIs, INSTALLED" \
	[ "$(ctl b show crypto ipsec sa --json | python3 -c "
import json, sys
k = lambda d: [(c['conn_id'], c['index'], c['state'], c['spi_in'], c['spi_out']) for c in d['children']]
b0, b1 = k(json.load(open('$T/b_ipsec_before.json'))), k(json.load(sys.stdin))
print(b0 == b1 and len(b1) == 1 and b1[0][2] == 'INSTALLED')")" = True ]

# the SA still works: a clear on a reaches b as an authenticated DELETE
ctl a clear crypto isakmp 1001 >/dev/null
check "b still acts on a's authenticated DELETE" wait_for 5 sa_is b "sas[0]['delete_reason']=='deleted-by-peer'"
finish
