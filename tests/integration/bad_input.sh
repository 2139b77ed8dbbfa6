#!/usr/bin/env bash
# Truncated, oversized and random datagrams at a running ikemond: it keeps its
# established SA, keeps serving, and counts what it dropped by cause.
. "$(dirname "$0")/lib.sh"

A=127.10.5.1
B=127.10.5.2
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "robust"
auto = start
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "robust"
auto = add
EOF2
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
# the SA still works: a clear on a reaches b as an authenticated DELETE
ctl a clear crypto isakmp 1001 >/dev/null
check "b still acts on a's authenticated DELETE" wait_for 5 sa_is b "sas[0]['delete_reason']=='deleted-by-peer'"
finish
