#!/usr/bin/env bash
# ikeload against a real ikemond: 300 SAs from 300 source addresses (one [peer] with a
# subnet remote on ikemond's side), 10% with a wrong key, 10% silent after MM1, 5% with a
# phase-1 proposal ikemond does not have; then what ikeload reports (from its engine's SA
# table) is checked against what ikemond shows (show crypto isakmp sa --json), count by
# count.  A second, paced run checks --rate.
. "$(dirname "$0")/lib.sh"

IKELOAD=${IKELOAD:-${abs_top_builddir:-.}/tests/bench/ikeload}
[ -x "$IKELOAD" ] || { not_ok "no ikeload at $IKELOAD (make check builds it)"; finish; }

A=127.10.30.1
N=300
# ikemond waits 2+4+8+16+32 = 62 s for a silent peer: the stalls are still there when
# we look, and the test is over long before.
RETRANSMIT_TIMEOUT=2 RETRANSMIT_TRIES=4 write_conf a $A <<EOF
[peer load]
remote = 127.30.0.0/16
psk = "load-test-key"
ike = aes128-sha256-modp2048
esp = aes128-sha256
remote_ts = 127.30.0.0/16
EOF
start a

# ikeload gives up on its own silent and refused SAs after 0.25+0.5+1 s
timeout 50 "$IKELOAD" -t $A -n $N --src 127.30.0.0/16 --psk load-test-key \
	--fail wrong-key:10% --fail silent-mm1:10% --fail wrong-ike:5% \
	--retransmit 0.25 --tries 2 --timeout 40 --ikemond-pid "${PID[a]}" --json \
	>"$T/load.json" 2>"$T/load.txt"
rc=$?
cat "$T/load.txt"
check "ikeload exits 0 (every SA without a fault established)" [ "$rc" = 0 ]
ctl a show crypto isakmp sa --json >"$T/sas.json"

# q EXPR: a Python expression over j (ikeload's JSON), sas and g (ikemond's SAs and
# counters); prints the result
q() { load_query "$T/load.json" "$T/sas.json" "$1"; }
is() { [ "$(q "$1")" = True ]; }

check "ikeload planned 225 good, 30 wrong-key, 30 silent-mm1, 15 wrong-ike" \
	is "[f[k]['planned'] for k in ('none','wrong-key','silent-mm1','wrong-ike')] == [225,30,30,15]"
check "ikeload: all 225 good SAs established, nothing pending" \
	is "j['established'] == 225 and f['none']['established'] == 225 and j['pending'] == 0"
check "ikeload: the wrong keys failed with key-mismatch (its engine's cause)" \
	is "f['wrong-key']['causes'] == {'key-mismatch': 30}"
check "ikeload: the silent SAs failed with peer-silent" \
	is "f['silent-mm1']['causes'] == {'peer-silent': 30}"
check "ikeload: the wrong proposals failed with no-proposal-chosen" \
	is "f['wrong-ike']['causes'] == {'no-proposal-chosen': 15}"
check "ikeload's causes are its engine's counters" \
	is "j['failures'] == j['engine']['causes'] and j['engine']['sas_created'] == $N"
check "ikeload swallowed the silent SAs' messages (MM3 and its retransmissions)" \
	is "j['dropped'] >= 30"
check "ikemond has one SA per source address" \
	is "len(sas) == $N and len({s['remote']['address'] for s in sas}) == $N"
check "ikemond: QM_IDLE with its phase-2 SA installed = ikeload's established" \
	is "n(lambda s: s['cisco_state'] == 'QM_IDLE' and s['children']['installed'] == 1) == j['established']"
check "ikemond: stalled in MM_KEY_EXCH with key-mismatch = ikeload's key-mismatch failures" \
	is "n(lambda s: s['cisco_state'] == 'MM_KEY_EXCH' and s['last_cause'] == 'key-mismatch') == j['failures']['key-mismatch']"
check "ikemond: the wrong-key SAs counted undecryptable MM5s" \
	is "all(s['counters']['undecryptable'] >= 1 for s in sas if s['cisco_state'] == 'MM_KEY_EXCH')"
check "ikemond: stalled in MM_SA_SETUP = ikeload's silent-after-MM1 SAs" \
	is "n(lambda s: s['cisco_state'] == 'MM_SA_SETUP' and s['status'] == 'ACTIVE') == f['silent-mm1']['failed']"
check "ikemond: deleted with no-proposal-chosen = ikeload's no-proposal-chosen failures" \
	is "n(lambda s: s['delete_reason'] == 'no-proposal-chosen') == j['failures']['no-proposal-chosen']"
check "ikemond's counters agree: established, no-proposal-chosen" \
	is "g['sas_established'] == j['established'] and g['causes']['no-proposal-chosen'] == 15"
check "ikeload read ikemond's CPU time" is "j['peer_cpu_s'] is not None and j['peer_cpu_s'] > 0"
check "the key is in no log" bash -c "! grep -q load-test-key '$T/a.log' '$T/load.txt'"

# Paced: 40 SAs at 100 per second take at least 0.39 s (a selector that matches
# ikemond's remote_ts, from another part of the block)
timeout 30 "$IKELOAD" -t $A -n 40 --src 127.30.8.0/24 --local-ts 127.30.0.0/16 \
	--psk load-test-key --rate 100 --timeout 20 --json >"$T/load.json" 2>"$T/load.txt"
rc=$?
check "paced run: all 40 established" [ "$rc" = 0 ]
check "paced run: the rate is kept (at most ~100 SAs/s)" \
	is "j['established'] == 40 and j['wall_established_s'] >= 0.38 and j['sas_per_s'] <= 105"
finish
