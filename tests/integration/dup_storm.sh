#!/usr/bin/env bash
# Copies crossing in flight must not start two ikemonds bouncing messages forever: a
# responder frozen (SIGSTOP) while the initiator retransmits MM1 then answers every copy;
# the copies ripple through the exchange once and end at the final messages (MM6, QM3),
# which are never answered with an older message.  Checked by the SAs' message counters
# staying small and still once both are up.
. "$(dirname "$0")/lib.sh"

A=127.10.45.1
B=127.10.45.2
RETRANSMIT_TIMEOUT=0.2 RETRANSMIT_TRIES=4
export RETRANSMIT_TIMEOUT RETRANSMIT_TRIES
write_conf a $A <<EOF2
[peer b]
remote = $B
psk = "storm-secret"
auto = add
local_ts = 10.45.1.0/24
remote_ts = 10.45.2.0/24
EOF2
write_conf b $B <<EOF2
[peer a]
remote = $A
psk = "storm-secret"
auto = add
local_ts = 10.45.2.0/24
remote_ts = 10.45.1.0/24
EOF2
start b
start a

msgs() { # NAME: messages in+out of all its SAs
	sa_query "$1" "sum(s['counters']['msgs_in']+s['counters']['msgs_out'] for s in sas)"
}

kill -STOP "${PID[b]}"
ctl a initiate b >/dev/null
sleep 0.7 # MM1 and two or three copies queue up at the frozen responder
kill -CONT "${PID[b]}"
check "a reaches QM_IDLE with its phase-2 SA after the copies" \
	wait_for 10 bash -c "$IKEMONCTL -s $T/a.sock show ikemon peers --json | python3 -c \"import json,sys; sys.exit(0 if json.load(sys.stdin)['peers'][0]['up'] else 1)\""
sleep 1
n1=$(msgs a)
m1=$(msgs b)
sleep 2
n2=$(msgs a)
m2=$(msgs b)
echo "# messages of a: $n1 then $n2 two seconds later; of b: $m1 then $m2"
check "a's message count is small ($n2 <= 40)" test "$n2" -le 40
check "a's message count stands still once up ($n1 = $n2)" test "$n1" = "$n2"
check "b's message count stands still once up ($m1 = $m2)" test "$m1" = "$m2"
check "b answered copies (dup_in > 0): the scenario happened" \
	sa_is b "sum(s['counters']['dup_in'] for s in sas) > 0"
finish
