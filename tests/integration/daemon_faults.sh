#!/usr/bin/env bash
# Daemon faults, on loopback (127.10.115.x): ikemond with its SNMP agent and /metrics.
#   - Core dumps off: RLIMIT_CORE 0 in /proc/PID/limits and "core dumps: off" in
#     show ikemon status; ikemond -C leaves them as the environment has them.
#   - The pid file (-p) holds ikemond's pid under a lock: a second ikemond refuses it;
#     one left by a killed daemon is taken over; a clean stop removes it.
#   - SIGKILL and restart: the stale control socket and pid file are replaced and the
#     control socket, SNMP (snmpget on the embedded agent) and HTTP /metrics answer
#     within 1 s (measured and printed; RESTART_BOUND_MS loosens the bound on a loaded
#     machine); the peer's INITIAL-CONTACT path brings the SA back.
#   - SIGHUP with a broken configuration (a syntax error, a missing key file, a bad
#     value): the running configuration stays, the SAs are untouched, and the log,
#     show ikemon status and ikemon_config_last_reload_successful (0, the timestamp of
#     the last success kept) say why; a good one then loads.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "no curl"
command -v snmpget >/dev/null || skip "no snmpget (package snmp)"

A=127.10.115.1 B=127.10.115.2 C=127.10.115.3
HTTP=$A:9735 AGENT=$A:1165 COMM=ikemon-faults
SNMP=(-v2c -c "$COMM" -t 0.3 -r 0)
OID=.1.3.6.1.4.1.8072.9999.9999.500.2.1.2.0 # an IKEMON-MIB scalar (the version)
BOUND_MS=${RESTART_BOUND_MS:-1000}

SNMP_CONF="listen = udp:$AGENT
rocommunity = $COMM 127.0.0.0/8
persistent_dir = $T/snmp-a" write_conf a $A <<EOF2
deleted_linger = 600
[http]
listen = $HTTP
[peer b]
remote = $B
psk = "daemon-faults"
auto = start
EOF2
write_conf b $B <<EOF2
deleted_linger = 600
[peer a]
remote = $A
psk = "daemon-faults"
auto = add
EOF2
cp "$T/a.conf" "$T/a.good"

# start_a: ikemond a with a pid file (its socket, if any, may be a killed one's)
start_a() {
	"$IKEMOND" -c "$T/a.conf" -p "$T/a.pid" -f 2>>"$T/a.log" &
	PID[a]=$!
}
metric() { curl -sf --max-time 2 "http://$HTTP/metrics" | sed -n "s/^$1 //p"; }
status_is() { ctl a show ikemon status --json | python3 -c "import json,sys; st=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }

start b
start_a
wait_for 5 ctl a version >/dev/null || { not_ok "ikemond a did not start"; finish; }
check "a reaches QM_IDLE" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' for s in sas)"

# a second ikemond on a's address (another control socket, no pid file) must not start:
# with SO_REUSEADDR on both, the kernel would hand each datagram to one of the two
write_conf dup $A </dev/null
out=$(timeout 10 "$IKEMOND" -c "$T/dup.conf" -f 2>&1)
rc=$?
check "a second ikemond on $A:500 refuses to start: another process has it (exit $rc: $out)" \
	bash -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'cannot listen on $A:500: another process has it' <<<'$out'"
check "a keeps its SA after the refused start" sa_is a "any(s['cisco_state']=='QM_IDLE' for s in sas)"

# ---- core dumps and the pid file
pid=${PID[a]}
check "core dumps off: /proc/$pid/limits says Max core file size 0 0" \
	grep -Eq '^Max core file size +0 +0 ' /proc/$pid/limits
check "show ikemon status: core dumps off" bash -c "$IKEMONCTL -s $T/a.sock show ikemon status | grep -qx 'core dumps: off (not dumpable, RLIMIT_CORE 0)'"
check "the pid file holds ikemond's pid ($pid)" test "$(cat "$T/a.pid")" = "$pid"
write_conf c $C </dev/null
out=$("$IKEMOND" -c "$T/c.conf" -p "$T/a.pid" -f 2>&1)
rc=$?
check "a second ikemond refuses the locked pid file ($out)" \
	bash -c "[ $rc -ne 0 ] && grep -q 'already running (pid $pid)' <<<'$out'"
# (ASan's runtime sets RLIMIT_CORE to 0 itself unless told not to: disable_coredump=0)
(ulimit -c unlimited && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0 \
	exec "$IKEMOND" -C -c "$T/c.conf" -f 2>>"$T/c.log") &
PID[c]=$!
wait_for 5 ctl c version >/dev/null
check "ikemond -C: core dumps as the environment has them (unlimited here)" \
	grep -Eq '^Max core file size +unlimited' /proc/${PID[c]}/limits
check "and its status says so" bash -c "$IKEMONCTL -s $T/c.sock show ikemon status --json | grep -q '\"core_dumps\":true'"
stop c

# ---- SIGKILL, then restart: how long until each interface answers
old=$(sa_query a "[s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE'][0]")
check "before: snmpget, /metrics and the control socket answer" \
	bash -c "snmpget ${SNMP[*]} -Oqv $AGENT $OID >/dev/null && curl -sf http://$HTTP/metrics >/dev/null"
kill -9 "$pid"
wait "$pid" 2>/dev/null
unset "PID[a]"
check "SIGKILL leaves a stale control socket and pid file" test -S "$T/a.sock" -a -f "$T/a.pid"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(now_ms)
start_a
ctl_ms= snmp_ms= http_ms=
while [ $(($(now_ms) - t0)) -lt 10000 ]; do
	[ -z "$ctl_ms" ] && ctl a version >/dev/null 2>&1 && ctl_ms=$(($(now_ms) - t0))
	[ -z "$snmp_ms" ] && snmpget "${SNMP[@]}" -Oqv "$AGENT" "$OID" >/dev/null 2>&1 && snmp_ms=$(($(now_ms) - t0))
	[ -z "$http_ms" ] && curl -sf --max-time 0.5 "http://$HTTP/metrics" >/dev/null 2>&1 && http_ms=$(($(now_ms) - t0))
	[ -n "$ctl_ms" ] && [ -n "$snmp_ms" ] && [ -n "$http_ms" ] && break
	sleep 0.02
done
echo "# restart after SIGKILL: control socket ${ctl_ms:-never} ms, SNMP ${snmp_ms:-never} ms, HTTP ${http_ms:-never} ms (bound $BOUND_MS ms; each poll costs a process start)"
check "the control socket answers within $BOUND_MS ms (${ctl_ms:-never} ms)" test "${ctl_ms:-99999}" -le "$BOUND_MS"
check "SNMP answers within $BOUND_MS ms (${snmp_ms:-never} ms)" test "${snmp_ms:-99999}" -le "$BOUND_MS"
check "HTTP /metrics answers within $BOUND_MS ms (${http_ms:-never} ms)" test "${http_ms:-99999}" -le "$BOUND_MS"
check "the stale socket was replaced (the log says so, or nothing was in the way)" \
	bash -c "! grep -qi 'cannot remove stale\\|address already in use' $T/a.log"
check "the stale pid file is taken over: it holds the new pid" test "$(cat "$T/a.pid")" = "${PID[a]}"
check "a negotiates again; b deletes its stale SA on a's INITIAL-CONTACT" \
	wait_for 15 sa_is b "any(s['conn_id']==$old and s['delete_reason']=='initial-contact' for s in sas)"
check "a reaches QM_IDLE again" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' for s in sas)"

# ---- SIGHUP with a broken configuration
id=$(sa_query a "[s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE'][0]")
ok_ts=$(metric ikemon_config_last_reload_success_timestamp_seconds)
check "after the start: reload successful 1, timestamp $ok_ts" test "$(metric ikemon_config_last_reload_successful)" = 1
# hup_broken WHAT EXPECTED-IN-MESSAGE: a.conf is broken; SIGHUP and check it all
hup_broken() {
	local what=$1 want=$2 n
	n=$(grep -c "reload failed, keeping" "$T/a.log")
	kill -HUP "${PID[a]}"
	check "$what: the log says the reload failed and why" \
		wait_for 5 bash -c "[ \$(grep -c 'reload failed, keeping' $T/a.log) -gt $n ] && grep 'reload failed, keeping' $T/a.log | tail -n 1 | grep -q ': .*$want'"
	check "$what: show ikemon status says FAILED and why" \
		bash -c "$IKEMONCTL -s $T/a.sock show ikemon status | grep -A1 '^last reload: FAILED' | grep -q '$want'"
	check "$what: ikemon_config_last_reload_successful 0, the last success's timestamp kept" \
		bash -c "curl -sf http://$HTTP/metrics | grep -qx 'ikemon_config_last_reload_successful 0' && curl -sf http://$HTTP/metrics | grep -qx 'ikemon_config_last_reload_success_timestamp_seconds $ok_ts'"
	check "$what: the old configuration runs on, SA $id untouched (QM_IDLE, peer b)" \
		sa_is a "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' and s['peer']=='b' for s in sas) and len([s for s in sas if s['cisco_state']=='QM_IDLE'])==1"
}
sleep 1.1 # the next success gets a later timestamp
printf 'this line has no equals sign\n' >>"$T/a.conf"
hup_broken "syntax error" "a.conf:[0-9]*"
cp "$T/a.good" "$T/a.conf"
sed -i 's|^psk = "daemon-faults"$|psk = file:'"$T"'/no-such-key|' "$T/a.conf"
hup_broken "missing key file" "no-such-key"
cp "$T/a.good" "$T/a.conf"
sed -i 's/^retransmit_tries = .*/retransmit_tries = lots/' "$T/a.conf"
hup_broken "bad value" "retransmit_tries"
grep "reload failed" "$T/a.log" | sed 's/^/# /'
check "status --json: reload ok false, with the message" status_is "st['reload']['ok'] is False and 'retransmit_tries' in st['reload']['message']"
check "no secret in the messages" bash -c "! grep -q daemon-faults <($IKEMONCTL -s $T/a.sock show ikemon status; grep 'reload' $T/a.log)"
cp "$T/a.good" "$T/a.conf"
kill -HUP "${PID[a]}"
check "fixed: the reload succeeds (metric 1, a newer timestamp)" \
	wait_for 5 bash -c "curl -sf http://$HTTP/metrics | grep -qx 'ikemon_config_last_reload_successful 1' && [ \$(curl -sf http://$HTTP/metrics | sed -n 's/^ikemon_config_last_reload_success_timestamp_seconds //p') -gt $ok_ts ]"
check "fixed: show ikemon status says ok" status_is "st['reload']['ok'] is True and st['reload']['message'].startswith('reloaded')"
check "SA $id still there after all four reloads" sa_is a "any(s['conn_id']==$id and s['cisco_state']=='QM_IDLE' for s in sas)"

# ---- a clean stop removes the pid file
stop a
check "SIGTERM: the pid file is removed" test ! -e "$T/a.pid"
finish
