#!/usr/bin/env bash
# Diffie-Hellman on worker threads (dh_workers = 2): ikemonds negotiate Main Mode
# (MODP-2048, a with b, Quick Mode with PFS: both roles' PFS DH on workers) and Aggressive
# Mode (ECP-256, d with b: the initiator's DH on workers too) with each other, and c
# (dh_workers = 0) Aggressive Mode with PFS with b, all inline on c; ikeload opens 300 SAs
# against one of them, 10% with a wrong key and 10% silent after MM3 (the responder's
# DH job for those runs and its result waits for an MM5 that never comes); every good SA
# is established and ikemond's counters agree; the threads are there (and none with
# dh_workers = 0); a reload that changes dh_workers says it waits for a restart; SIGTERM
# in the middle of a burst, with jobs out, ends the daemon cleanly.
. "$(dirname "$0")/lib.sh"

IKELOAD=${IKELOAD:-${abs_top_builddir:-.}/tests/bench/ikeload}
[ -x "$IKELOAD" ] || { not_ok "no ikeload at $IKELOAD (make check builds it)"; finish; }

A=127.10.120.1
B=127.10.120.2
C=127.10.120.3
D=127.10.120.4
SRC=127.34.0.0/16
DH_WORKERS=2 RETRANSMIT_TIMEOUT=2 RETRANSMIT_TRIES=4 write_conf a $A <<EOF
[peer b]
remote = $B
psk = "dh-workers-secret"
ike = aes128-sha256-modp2048
esp = aes128-sha256-modp2048
auto = start
[peer load]
remote = $SRC
psk = "dh-workers-load"
ike = aes128-sha256-modp2048
esp = aes128-sha256
remote_ts = $SRC
EOF
DH_WORKERS=2 write_conf b $B <<EOF
[peer a]
remote = $A
psk = "dh-workers-secret"
ike = aes128-sha256-modp2048
esp = aes128-sha256-modp2048
auto = add
[peer c]
remote = $C
psk = "dh-workers-inline"
exchange = aggressive
aggressive = yes
ike = aes128-sha256-ecp256
esp = aes128-sha256-ecp256
auto = add
[peer d]
remote = $D
psk = "dh-workers-aggr"
exchange = aggressive
aggressive = yes
ike = aes128-sha256-ecp256
auto = add
EOF
DH_WORKERS=0 write_conf c $C <<EOF
[peer b]
remote = $B
psk = "dh-workers-inline"
exchange = aggressive
aggressive = yes
ike = aes128-sha256-ecp256
esp = aes128-sha256-ecp256
auto = start
EOF
DH_WORKERS=2 write_conf d $D <<EOF
[peer b]
remote = $B
psk = "dh-workers-aggr"
exchange = aggressive
aggressive = yes
ike = aes128-sha256-ecp256
auto = start
EOF
start a
start b
start c
start d

threads() { ls "/proc/$1/task" | wc -l; }
check "a runs the loop and 2 DH workers (3 threads)" [ "$(threads "${PID[a]}")" = 3 ]
check "c (dh_workers = 0) runs one thread" [ "$(threads "${PID[c]}")" = 1 ]

check "a and b reach QM_IDLE in Main Mode (a initiates, both DH steps on workers)" \
	wait_for 15 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['peer']=='a' for s in sas)"
check "a shows it as initiator" \
	sa_is a "any(s['cisco_state']=='QM_IDLE' and s['role']=='initiator' for s in sas)"
check "b answers d's AM1 from a worker: QM_IDLE as responder in Aggressive Mode" \
	wait_for 15 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['peer']=='d' and s['exchange']=='aggressive' for s in sas)"
pfs_up() {
	sa_is a "any(s['cisco_state']=='QM_IDLE' and s['children']['installed']==1 for s in sas)" &&
		sa_is b "any(s['peer']=='a' and s['children']['installed']==1 for s in sas)"
}
check "a and b: the phase-2 SA with PFS (MODP-2048) installed on both" wait_for 15 pfs_up
check "a's PFS DH ran on its workers: key pairs and g^xy of MM2, MM4, QM1, QM2 (4 jobs)" \
	sa_is a "g['dh']['jobs_done'] == 4 and g['dh']['jobs_stale'] == 0"
check "d, Aggressive Mode initiator: QM_IDLE, AM1's key pair and AM2's g^xy made on workers" \
	wait_for 15 sa_is d "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' for s in sas) and g['dh']['jobs_done'] == 2"
check "c (dh_workers = 0), Aggressive Mode with PFS: QM_IDLE with its phase-2 SA, no jobs" \
	wait_for 15 sa_is c "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['children']['installed']==1 for s in sas) and g['dh']['jobs_done'] == 0"
check "b answered c's QM1 with PFS (ECP-256) from a worker: c's phase-2 SA installed on b" \
	wait_for 15 sa_is b "any(s['peer']=='c' and s['children']['installed']==1 for s in sas)"

timeout 120 "$IKELOAD" -t $A -n 300 --src $SRC --psk dh-workers-load \
	--fail wrong-key:10% --fail silent-mm3:10% \
	--retransmit 0.25 --tries 2 --timeout 90 --ikemond-pid "${PID[a]}" --json \
	>"$T/load.json" 2>"$T/load.txt"
rc=$?
cat "$T/load.txt"
check "ikeload exits 0 (every SA without a fault established)" [ "$rc" = 0 ]
ctl a show crypto isakmp sa --json >"$T/sas.json"
q() { load_query "$T/load.json" "$T/sas.json" "$1"; }
is() { [ "$(q "$1")" = True ]; }
check "ikeload: all 240 good SAs established" \
	is "j['established'] == 240 and f['none']['established'] == 240 and j['pending'] == 0"
check "ikeload: the wrong keys failed with key-mismatch" \
	is "f['wrong-key']['causes'] == {'key-mismatch': 30}"
check "ikemond: QM_IDLE with the phase-2 SA = ikeload's established" \
	is "n(lambda s: s['cisco_state'] == 'QM_IDLE' and s['children']['installed'] == 1) == 240"
check "ikemond: the wrong-key SAs wait in MM_KEY_EXCH with key-mismatch" \
	is "n(lambda s: s['cisco_state'] == 'MM_KEY_EXCH' and s['last_cause'] == 'key-mismatch') == 30"
check "ikemond: the SAs silent after MM3 sent MM4 and wait in MM_KEY_EXCH" \
	is "n(lambda s: s['cisco_state'] == 'MM_KEY_EXCH' and s['status'] == 'ACTIVE') == 60"
check "ikemond has one SA per source address" \
	is "len(sas) == 300 and len({s['remote']['address'] for s in sas}) == 300"
# every one of the 300 MM3s (good, wrong key, silent after) was one responder job
check "JSON counters: 2 workers, nothing queued, >= 300 jobs done, none refused" \
	is "g['dh']['workers'] == 2 and g['dh']['queue_depth'] == 0 and g['dh']['jobs_done'] >= 300 and g['dh']['jobs_refused'] == 0"
check "JSON counters of c (dh_workers = 0): no workers, no jobs" \
	sa_is c "g['dh'] == {'workers': 0, 'queue_depth': 0, 'jobs_done': 0, 'jobs_stale': 0, 'jobs_refused': 0}"
check "no secret in any log" \
	bash -c "! grep -Eq 'dh-workers-(secret|aggr|load|inline)' '$T/a.log' '$T/b.log' '$T/c.log' '$T/d.log' '$T/load.txt'"

sed -i 's/^dh_workers = 2$/dh_workers = 1/' "$T/a.conf"
check "reload of a with dh_workers = 1" ctl a reload
check "the reload says dh_workers waits for a restart" \
	wait_for 5 grep -q "dh_workers takes effect at restart" "$T/a.log"
check "a still runs 2 DH workers" [ "$(threads "${PID[a]}")" = 3 ]

# SIGTERM with DH jobs out: a burst of 400 MM3s, then TERM in the middle of it
stop c
DH_WORKERS=2 write_conf c $C <<EOF
[peer load]
remote = $SRC
psk = "dh-workers-load"
ike = aes128-sha256-modp2048
remote_ts = $SRC
EOF
start c
timeout 60 "$IKELOAD" -t $C -n 400 --src 127.34.128.0/17 --psk dh-workers-load \
	--window 0 --phase1-only --timeout 30 >/dev/null 2>&1 &
load=$!
sleep 1
cpid=${PID[c]}
kill -TERM "$cpid"
for _ in $(seq 1 100); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
check "ikemond c ends within 10 s of SIGTERM in the middle of a burst" \
	bash -c "! kill -0 $cpid 2>/dev/null"
wait "$cpid"
rc=$?
unset "PID[c]"
check "ikemond c exits 0 ($rc)" [ "$rc" = 0 ]
check "no sanitizer report from any ikemond" \
	bash -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error|ThreadSanitizer' '$T'/*.log"
kill "$load" 2>/dev/null
wait "$load" 2>/dev/null
finish
