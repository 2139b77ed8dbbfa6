#!/usr/bin/env bash
# ikeload --cheap-dh (a known DH key on the load generator's side, load tests only):
# ikemond accepts the generator as ikeload's public value, and both ends derive the same
# keys from it, so every SA really completes: QM_IDLE with its phase-2 SA installed, for
# MODP-2048 and ECP-256, with and without PFS; with MODP-2048 ikeload spends less CPU
# per SA than ikemond (it no longer does an exponentiation of its own).  A real ikemond
# has no such option: the known key is ikeload's alone.
. "$(dirname "$0")/lib.sh"

IKELOAD=${IKELOAD:-${abs_top_builddir:-.}/tests/bench/ikeload}
[ -x "$IKELOAD" ] || { not_ok "no ikeload at $IKELOAD (make check builds it)"; finish; }

A=127.10.135.1
SRC=127.36.0.0/16
N=100
write_conf a $A <<EOF2
[peer load]
remote = $SRC
psk = "cheap-dh-key"
ike = aes128-sha256-modp2048,aes128-sha256-ecp256
esp = aes128-sha256,aes128-sha256-modp2048,aes128-sha256-ecp256
remote_ts = $SRC
EOF2
start a

# run GROUP NAME [--pfs]: N SAs from a /24 of its own; checks what ikeload and ikemond saw
k=0
run() {
	local g=$1 name=$2 net
	shift 2
	k=$((k + 1))
	net=127.36.$k.0/24
	timeout 60 "$IKELOAD" -t $A -n $N --src "$net" --local-ts $SRC --psk cheap-dh-key \
		--dh "$g" "$@" --cheap-dh --timeout 50 --ikemond-pid "${PID[a]}" --json \
		>"$T/$name.json" 2>"$T/$name.txt"
	check "$name: ikeload exits 0 (all $N established)" [ $? = 0 ]
	ctl a show crypto isakmp sa --json >"$T/sas.json"
	q() { load_query "$T/$name.json" "$T/sas.json" "$1"; }
	check "$name: ikeload says cheap_dh and established $N with phase 2" \
		[ "$(q "j['cheap_dh'] and j['established'] == $N and j['engine']['children_installed'] == $N")" = True ]
	check "$name: ikemond has $N SAs from $net in QM_IDLE, each with its phase-2 SA installed" \
		[ "$(q "sum(1 for s in sas if s['remote']['address'].startswith('127.36.$k.') and s['cisco_state'] == 'QM_IDLE' and s['children']['installed'] == 1) == $N")" = True ]
	# MODP-2048's exponentiations are most of a handshake: without its own, ikeload
	# spends a fraction of ikemond's CPU (a third; in a sanitizer build, where ikeload's
	# code is instrumented and ikemond's libcrypto is not, less than ikemond).  ECP-256's
	# are cheap next to the protocol work both ends still do, and 100 SAs of it are a few
	# of /proc's 10 ms ticks of ikemond's CPU: printed, not compared.
	echo "# $name: CPU ikeload $(q "j['cpu_s']") s, ikemond $(q "j['peer_cpu_s']") s"
	case $g in modp2048) ;; *) return ;; esac
	local share=3
	is_asan "$IKELOAD" && share=1
	check "$name: ikeload spent under 1/$share of ikemond's CPU" \
		[ "$(q "j['cpu_s'] < j['peer_cpu_s'] / $share")" = True ]
}
run modp2048 modp2048
run ecp256 ecp256
run modp2048 modp2048-pfs --pfs
run ecp256 ecp256-pfs --pfs

# the help says plainly what the key is
check "ikeload --help calls the key known and for load tests only" \
	bash -c "'$IKELOAD' --help 2>&1 | grep -q 'LOAD TESTS ONLY.*KNOWN'"
finish
