#!/usr/bin/env bash
# handshake.sh - what a handshake costs: CPU seconds per established SA (Main Mode with a
# pre-shared key, then one Quick Mode without PFS) for both ends together, for N SAs
# (2,000) with MODP-2048 and with ECP-256:
#
#  - ikemond (responder, one [peer] for the whole source block, default log level) and
#    ikeload (initiator, the same engine) on loopback: ikeload's getrusage plus ikemond's
#    /proc/PID/stat, from the first initiation until every SA is up;
#  - the Diffie-Hellman floor, measured in the same run with the engine's own DH code
#    (tests/bench/dhfloor: 2 key pairs and 2 derivations per SA);
#  - strongSwan's charon pair doing the same N SAs in network namespaces
#    (tests/bench/charon_pair.sh), with its default settings and with
#    charon.dh_exponent_ansi_x9_42 = no; for MODP also with the gmp plugin's DH, which
#    is the one that setting changes (with the openssl plugin on OpenSSL 3 it changes
#    nothing: OpenSSL picks the exponent length for the RFC 3526 groups itself).
#
# HANDSHAKE_N (2000), HANDSHAKE_GROUPS ("modp2048 ecp256") and HANDSHAKE_CHARON (yes;
# no skips the charon rows) change what runs.  Addresses: ikemond on 127.10.30.2, ikeload
# from 127.31.0.0/16; charon in namespaces ikl-* with 10.230/10.231 addresses.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${IKEMOND:?}" "${IKELOAD:?}" "${DHFLOOR:?}"
N=${HANDSHAKE_N:-2000}
GROUPS_=${HANDSHAKE_GROUPS:-"modp2048 ecp256"}
ADDR=127.10.30.2
SRC=127.31.0.0/16

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

FLOOR=
dh_floor() {
	local g=$1 out=$dir/floor.json
	"$DHFLOOR" -n "$N" -g "$g" --json >"$out" || { FLOOR=; return; }
	FLOOR=$(j "$out" "j['cpu_per_handshake_s']")
	row "DH floor, $(label "$g") (2 key pairs + 2 derivations per SA)" \
		"$(j "$out" "'%.3f ms' % (j['cpu_per_handshake_s'] * 1e3)")" \
		"tests/bench/dhfloor -n $N -g $g"
}

ratio() { # per-SA seconds -> "= 1.31x DH floor"
	[ -n "$FLOOR" ] && python3 -c "import sys; print('= %.2fx DH floor' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$FLOOR"
}

ours() {
	local g=$1 out=$dir/load.json per
	load_conf
	load_run "$dir/a.conf" "$out" "handshake, ikemond + ikeload, $(label "$g"), $N SAs" ||
		return
	per=$(j "$out" "j['both_cpu_per_sa_s']")
	row "handshake CPU/SA, ikemond + ikeload, $(label "$g"), $N SAs" \
		"$(j "$out" "'%.3f ms (ikemond %.3f)' % (j['both_cpu_per_sa_s'] * 1e3, j['peer_cpu_per_sa_s'] * 1e3)") $(ratio "$per"), $(j "$out" "'%.0f SAs/s' % j['sas_per_s']")" \
		"tests/bench/handshake.sh (ikeload -n $N --dh $g --ikemond-pid PID)"
}

charon() {
	local g=$1 x=$2 plugin=${3:-openssl} out=$dir/charon.json what per
	what="charon pair CPU/SA, $(label "$g"), $N SAs"
	[ "$plugin" = gmp ] && what="$what, gmp DH"
	if [ "$x" = yes ]; then what="$what, defaults"; else what="$what, ansi_x9_42 = no"; fi
	DH_PLUGIN=$plugin "$here/charon_pair.sh" "$g" "$N" "$x" >"$out" 2>"$dir/charon.err"
	case $? in
	0) ;;
	77)
		row "$what" "not run: $(grep -o 'SKIPPED: .*' "$dir/charon.err" | head -n 1)" \
			"tests/bench/charon_pair.sh $g $N $x"
		return
		;;
	*)
		row "$what" "FAILED: $(tail -n 1 "$dir/charon.err")" "tests/bench/charon_pair.sh $g $N $x"
		return
		;;
	esac
	per=$(j "$out" "j['cpu_per_sa_s']")
	row "$what" \
		"$(j "$out" "'%.3f ms (responder %.3f)' % (j['cpu_per_sa_s'] * 1e3, j['cpu_responder_s'] / j['established'] * 1e3)") $(ratio "$per"), $(j "$out" "'%d/%d up' % (j['established'], j['initiated'])")" \
		"$([ "$plugin" = gmp ] && echo "DH_PLUGIN=gmp ")tests/bench/charon_pair.sh $g $N $x"
}

dir=$(mktemp -d /tmp/ikemon-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for g in $GROUPS_; do
	dh_floor "$g"
	ours "$g"
	[ "${HANDSHAKE_CHARON:-yes}" = yes ] || continue
	charon "$g" yes
	case $g in
	modp*)
		charon "$g" no
		charon "$g" yes gmp
		charon "$g" no gmp
		;;
	esac
done
