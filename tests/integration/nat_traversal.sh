#!/usr/bin/env bash
# NAT traversal (RFC 3947) through a NAT simulated on loopback: a UDP relay that
# rewrites the client's source address and port like a NAPT (tests/tools/nat_relay.py).
# Both ikemonds detect the NAT from the NAT-D payloads, the initiator floats to port
# 4500 (behind the non-ESP marker), the responder follows the new mapping, and Quick
# Mode negotiates UDP-encapsulated tunnel mode.
. "$(dirname "$0")/lib.sh"

RELAY=${abs_top_srcdir:-$(dirname "$0")/../..}/tests/tools/nat_relay.py
[ -f "$RELAY" ] || skip "no $RELAY"
CLIENT=127.10.8.2  # ikemond behind the NAT
NAT_IN=127.10.8.1  # the NAT as the client addresses it
NAT_OUT=127.10.8.3 # the NAT's outside address
SERVER=127.10.8.4  # ikemond on the outside

python3 "$RELAY" --listen $NAT_IN:500 --server $SERVER:500 --source $NAT_OUT \
	--port-base 40000 --duration 60 2>"$T/relay.log" &
PID[relay]=$!
wait_for 5 grep -q "nat_relay: ready" "$T/relay.log" || { not_ok "the relay did not start"; finish; }

write_conf client $CLIENT <<EOF2
natt_keepalive = 1
[peer server]
remote = $NAT_IN
remote_id = $SERVER
psk = "behind-a-nat"
auto = start
esp = aes128-sha256
local_ts = 10.1.0.0/24
remote_ts = 10.2.0.0/24
EOF2
write_conf server $SERVER <<EOF2
[peer client]
remote = $NAT_OUT
remote_id = $CLIENT
psk = "behind-a-nat"
auto = add
esp = aes128-sha256
local_ts = 10.2.0.0/24
remote_ts = 10.1.0.0/24
EOF2
start server
start client

check "the client reaches QM_IDLE through the NAT" wait_for 10 sa_is client "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "the client announced and agreed RFC 3947" sa_is client "sas[0]['natt']['version']==1"
check "the client sees the NAT (its addresses were rewritten)" sa_is client "sas[0]['natt']['nat_local'] or sas[0]['natt']['nat_remote']"
check "the server sees the NAT in front of the client" sa_is server "sas[0]['natt']['nat_remote']"
check "the client floated to the NAT's port 4500" sa_is client "sas[0]['natt']['floated'] and sas[0]['remote']['port']==4500 and sas[0]['local']['port']==4500"
check "the server follows the NAT's new mapping for port 4500" sa_is server "sas[0]['natt']['floated'] and sas[0]['remote']['address']=='$NAT_OUT' and sas[0]['remote']['port']!=500 and sas[0]['local']['port']==4500"
check "the relay mapped the client's port 500 and, after the float, its port 4500" bash -c "grep -q 'map $CLIENT:500 -> $NAT_OUT:' $T/relay.log && grep -q 'map $CLIENT:4500 -> $NAT_OUT:' $T/relay.log"
check "the client installs its phase-2 SA in UDP-encapsulated tunnel mode (3)" wait_for 10 bash -c "[ \"\$($IKEMONCTL -s $T/client.sock show crypto ipsec sa --json | python3 -c \"import json,sys; cs=json.load(sys.stdin)['children']; print(any(c['state']=='INSTALLED' and c['transform']['mode']==3 for c in cs))\")\" = True ]"
check "the server too" bash -c "[ \"\$($IKEMONCTL -s $T/server.sock show crypto ipsec sa --json | python3 -c \"import json,sys; cs=json.load(sys.stdin)['children']; print(any(c['state']=='INSTALLED' and c['transform']['mode']==3 for c in cs))\")\" = True ]"
check "show crypto ipsec sa says Tunnel UDP-Encaps on port 4500" bash -c "$IKEMONCTL -s $T/client.sock show crypto ipsec sa | grep -q 'current_peer $NAT_IN port 4500'"
check "the client, behind the NAT, sends NAT-T keepalives (1 s here)" wait_for 5 sa_is client "g['natt_keepalives_out']>=2"

# transport mode through the NAT: UDP-encapsulated transport, with NAT-OA payloads
sed -i 's/^esp = aes128-sha256$/esp = aes128-sha256\nmode = transport/' "$T/client.conf" "$T/server.conf"
ctl server reload >/dev/null
ctl client reload >/dev/null
check "transport mode behind the NAT: UDP-encapsulated transport (4) on both sides" wait_for 15 bash -c "for n in client server; do $IKEMONCTL -s $T/\$n.sock show crypto ipsec sa --json | python3 -c \"import json,sys; cs=json.load(sys.stdin)['children']; sys.exit(0 if any(c['state']=='INSTALLED' and c['transform']['mode']==4 for c in cs) else 1)\" || exit 1; done"
ctl client clear crypto isakmp >/dev/null
check "a DELETE through the NAT on port 4500 reaches the server" wait_for 5 sa_is server "max(sas, key=lambda s: s['conn_id'])['delete_reason']=='deleted-by-peer'"
finish
