# lib.sh - shared by the integration tests: runs real ikemond instances on loopback
# addresses of the test's own (each test uses its own 127.x.y.0/24, so tests can run
# in parallel), drives them with ikemonctl and counts checks.
#
# Every loop here is bounded in time; every daemon is killed on exit.

set -u

: "${IKEMOND:?IKEMOND must name the ikemond binary}"
: "${IKEMONCTL:?IKEMONCTL must name the ikemonctl binary}"

T=$(mktemp -d "${TMPDIR:-/tmp}/ikemon-test.XXXXXX")
declare -A PID
CHECKS=0
FAILS=0

skip() {
	echo "SKIP: $*" >&2
	echo "##### SKIPPED: $* #####"
	exit 77
}

cleanup() {
	local n
	for n in "${!PID[@]}"; do
		kill "${PID[$n]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$FAILS" -gt 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
		for n in "$T"/*.log; do
			[ -f "$n" ] && { echo "---- $n"; tail -n 40 "$n"; }
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "ikemond needs root to bind UDP port 500 on loopback"

ok() {
	CHECKS=$((CHECKS + 1))
	echo "ok $CHECKS - $*"
}

not_ok() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "not ok $CHECKS - $*"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# system_lock: hold, until the test ends, the lock of the tests that change the machine
# itself rather than things of their own (dpkg -i, systemd units, users and groups, /etc):
# make -jN check runs tests side by side, and those must take turns (build/ and
# build-asan/, or two checkouts, may test at once too).  Waits up to 15 minutes.
SYSTEM_LOCK=${SYSTEM_LOCK:-/run/lock/ikemon-tests-system.lock}
system_lock() {
	mkdir -p "$(dirname "$SYSTEM_LOCK")"
	exec 8>"$SYSTEM_LOCK"
	local t0=$SECONDS
	flock -w 900 8 || { not_ok "another test has held $SYSTEM_LOCK for 15 minutes"; finish; }
	echo "# $SYSTEM_LOCK taken (waited $((SECONDS - t0)) s)"
}

# is_asan BINARY: built with AddressSanitizer (clang or gcc --enable-sanitizers)
is_asan() { nm "$1" 2>/dev/null | grep -q __asan_init; }

# wait_for SECONDS COMMAND...: poll every 0.1 s until the command succeeds
wait_for() {
	local limit=$(($1 * 10)) i=0
	shift
	while [ $i -lt "$limit" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# write_conf NAME ADDR: the [ikemond] section for an instance listening on ADDR port 500,
# or on ADDR as given when it is [IPV6]:PORT (stdin appends the peers), and
# an [snmp] section: "mode = off", or the lines in SNMP_CONF when the test sets it.
# ikemond wants every stall threshold shorter than the retransmission span (timeout x
# (2^(tries+1)-1), 3 s here): STALL_AFTER and QM_STALL_AFTER default to 2 s, or to half
# the span when a test makes it 2.5 s or shorter.
write_conf() {
	local name=$1 addr=$2 below listen=$2:500
	case $addr in \[*) listen=$addr ;; esac
	local timeout=${RETRANSMIT_TIMEOUT:-0.2} tries=${RETRANSMIT_TRIES:-3}
	below=$(awk -v t="$timeout" -v n="$tries" \
		'BEGIN { s = t * (2 ^ (n + 1) - 1); printf "%.3f", (s > 2.5 ? 2 : s / 2) }')
	{
		echo "[ikemond]"
		echo "listen = $listen"
		echo "control = $T/$name.sock"
		echo "log_level = debug"
		echo "retransmit_timeout = $timeout"
		echo "retransmit_tries = $tries"
		echo "restart_delay = ${RESTART_DELAY:-1}"
		echo "stall_after = ${STALL_AFTER:-$below}"
		echo "qm_stall_after = ${QM_STALL_AFTER:-$below}"
		# DH_WORKERS: Diffie-Hellman threads (unset: the daemon's default, one per CPU)
		[ -z "${DH_WORKERS:-}" ] || echo "dh_workers = $DH_WORKERS"
		cat
		# SNMP off unless the test asks (SNMP_CONF: the lines of the [snmp] section)
		echo "[snmp]"
		if [ -n "${SNMP_CONF:-}" ]; then printf '%s\n' "$SNMP_CONF"; else echo "mode = off"; fi
	} >"$T/$name.conf"
}

# start NAME: run ikemond in the foreground (in the background of this shell)
start() {
	local name=$1
	"$IKEMOND" -c "$T/$name.conf" -f 2>>"$T/$name.log" &
	PID[$name]=$!
	wait_for 5 test -S "$T/$name.sock" || { not_ok "ikemond $name did not start"; finish; }
}

stop() {
	local name=$1 pid=${PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "PID[$name]"
}

ctl() {
	local name=$1
	shift
	"$IKEMONCTL" -s "$T/$name.sock" "$@"
}

# sa_json NAME PYEXPR: evaluate a Python expression over the SA list `sas` (JSON of
# show crypto isakmp sa --json) and the global counters `g`; prints the result
sa_query() {
	local name=$1 expr=$2
	ctl "$name" show crypto isakmp sa --json |
		python3 -c "import json,sys; d=json.load(sys.stdin); sas=d['sas']; g=d.get('counters',{}); print($expr)"
}

# sa_is NAME PYEXPR: succeeds when the expression is true
sa_is() {
	[ "$(sa_query "$1" "$2")" = "True" ]
}

# stop_all: stop a and b, and keep their logs apart ($T/NAME.scenarioN.log.old, N counting
# from 1), so that each scenario's checks read its own logs only
SCENARIO=0
stop_all() {
	stop a
	stop b
	SCENARIO=$((SCENARIO + 1))
	for n in a b; do
		[ -f "$T/$n.log" ] && mv "$T/$n.log" "$T/$n.scenario$SCENARIO.log.old"
	done
}

# alarm_is NAME PEER CAUSE: NAME has an active alarm for PEER with CAUSE
alarm_is() {
	[ "$(ctl "$1" show alarms --json | python3 -c "import json,sys; al=json.load(sys.stdin)['alarms']; print(any(a['peer']=='$2' and a['cause']=='$3' for a in al))")" = True ]
}

# load_query LOAD_JSON SAS_JSON PYEXPR: a Python expression over ikeload's --json report j
# (f: its faults), the SAs of [peer load] in SAS_JSON (show crypto isakmp sa --json; n(pred)
# counts those that pred holds for) and the counters g; prints the result
load_query() {
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
sas = [s for s in d['sas'] if s['peer'] == 'load']
g = d.get('counters', {})
f = j['faults']
def n(pred):
    return sum(1 for s in sas if pred(s))
print(eval(sys.argv[3]))
EOF
}

finish() {
	echo "# $(basename "$0"): $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ] && [ "$CHECKS" -gt 0 ]
	exit $?
}

# One run of a test at a time on this machine: its addresses and ports are its own among
# the tests, but two checkouts (or build/ and build-asan/) running the same test at once
# would share them; the second run waits for the first (10 minutes at most).
TEST_LOCK=/run/lock/ikemon-test-$(basename "$0" .sh).lock
mkdir -p "$(dirname "$TEST_LOCK")"
exec 7>"$TEST_LOCK"
if ! flock -n 7; then
	echo "# $TEST_LOCK: another run of $(basename "$0") is on, waiting for it"
	flock -w 600 7 || { not_ok "another run of $(basename "$0") held $TEST_LOCK for 10 minutes"; finish; }
fi
