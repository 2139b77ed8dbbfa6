#!/usr/bin/env bash
# No leaks, under two tools, with SAs made, failed, deleted and removed:
#   1. AddressSanitizer/LeakSanitizer: an ikemond built with clang --enable-sanitizers
#      takes a churn of 10,000 SAs from tests/bench/ikeload (5 rounds of 2,000 from
#      127.33.0.0/16, the same sources each round, so each round's SAs replace the last
#      one's; DELETEs at the end of each round; the first round with wrong keys and
#      silent initiators; deleted_linger = 0, so deleted SAs leave the table at once).
#      Then SIGTERM: a clean exit, no ASan or LSan report.
#   2. valgrind --leak-check=full over 300 SAs (same shape), under 120 s.
# The sanitizer ikemond is $IKEMOND itself in a sanitizer build tree (scripts/test's
# build-asan), else $IKEMOND_ASAN, else one built here (once, cached in
# $abs_top_builddir/leaks-asan).  LEAKS_SAS changes the churn's size.  LEAKS_ASAN_ELSEWHERE=1
# (scripts/test's plain build, whose sanitizer build runs this test too) leaves part 1 to
# the sanitizer build.
. "$(dirname "$0")/lib.sh"

IKELOAD=${IKELOAD:-${abs_top_builddir:-.}/tests/bench/ikeload}
[ -x "$IKELOAD" ] || { not_ok "no ikeload at $IKELOAD (make check builds it)"; finish; }
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
A=127.10.119.1
TOTAL=${LEAKS_SAS:-10000}
ROUNDS=5
PER=$((TOTAL / ROUNDS))

# conf NAME: one [peer] for all of 127.33.0.0/16, DH on ecp256 (cheap: the churn is in
# ikemond's own code, not in OpenSSL's)
conf() {
	RETRANSMIT_TIMEOUT=0.2 RETRANSMIT_TRIES=2 write_conf "$1" $A <<EOF2
deleted_linger = 0
[peer load]
remote = 127.33.0.0/16
psk = "leak-test-key"
ike = aes128-sha256-ecp256
esp = aes128-sha256
remote_ts = 127.33.0.0/16
EOF2
}

# churn N ROUNDS FIRST-ROUND-OPTIONS...: ikeload against A, N SAs a round
churn() {
	local n=$1 rounds=$2 r rc first=("${@:3}") opts
	for r in $(seq 1 "$rounds"); do
		opts=()
		[ "$r" = 1 ] && opts=("${first[@]}")
		timeout 300 "$IKELOAD" -t $A -n "$n" --src 127.33.0.0/16 --psk leak-test-key \
			--dh ecp256 --retransmit 0.25 --tries 2 --timeout 240 --delete --json "${opts[@]}" \
			>"$T/load$r.json" 2>"$T/load$r.txt"
		rc=$?
		echo "# round $r: $(python3 -c "import json,sys; j=json.load(open('$T/load$r.json')); print('%d established, %d failed' % (j['established'], sum(j['failures'].values())))" 2>/dev/null) (ikeload exit $rc)"
	done
}

# run_under NAME LABEL CMD...: ikemond NAME started by CMD (a tool's command line)
run_under() {
	local name=$1 label=$2
	shift 2
	"$@" -c "$T/$name.conf" -f 2>>"$T/$name.log" &
	PID[$name]=$!
	wait_for 60 ctl "$name" version || { not_ok "$label: ikemond did not start"; finish; }
}

# stop_clean NAME: SIGTERM and its exit status
stop_clean() {
	local pid=${PID[$1]} rc
	kill "$pid"
	wait "$pid"
	rc=$?
	unset "PID[$1]"
	return $rc
}

# ---- 1. ASan/LSan over the churn
ASAN_BIN=
if [ "${LEAKS_ASAN_ELSEWHERE:-0}" = 1 ] && ! is_asan "$IKEMOND"; then
	echo "# part 1 (ASan/LSan churn) runs in the sanitizer build's make check (LEAKS_ASAN_ELSEWHERE=1)"
	ASAN_DEFERRED=1
elif is_asan "$IKEMOND"; then
	ASAN_BIN=$IKEMOND
elif [ -n "${IKEMOND_ASAN:-}" ]; then
	ASAN_BIN=$IKEMOND_ASAN
elif command -v clang >/dev/null; then
	dir=${abs_top_builddir:-.}/leaks-asan
	echo "# building a sanitizer ikemond in $dir (clang, --enable-sanitizers; cached)"
	mkdir -p "$dir"
	if { [ -f "$dir/Makefile" ] || (cd "$dir" && "$SRC/configure" -q --enable-sanitizers CC=clang); } \
		>"$T/asan-build.log" 2>&1 && make -C "$dir" -j2 ikemond >>"$T/asan-build.log" 2>&1; then
		ASAN_BIN=$dir/ikemond
	else
		tail -n 20 "$T/asan-build.log"
	fi
fi
if [ "${ASAN_DEFERRED:-0}" = 1 ]; then
	:
elif [ -z "$ASAN_BIN" ] || ! is_asan "$ASAN_BIN"; then
	echo "##### SKIPPED PART 1: no sanitizer ikemond (clang with libclang-rt missing?) #####"
	echo "SKIP: leaks.sh part 1: no sanitizer ikemond" >&2
	ASAN_BIN=
else
	conf asan
	export ASAN_OPTIONS=detect_leaks=1:exitcode=23:abort_on_error=0:halt_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_under asan "ASan" "$ASAN_BIN"
	start_s=$(date +%s)
	churn $PER $ROUNDS --fail wrong-key:5% --fail silent-mm1:5%
	secs=$(($(date +%s) - start_s))
	made=$(sa_query asan "g['sas_created']")
	est=$(sa_query asan "g['sas_established']")
	echo "# ASan ikemond: $made SAs created, $est established, $(sa_query asan "g['sas_failed']") failed, $(sa_query asan "g['children_installed']") phase-2 SAs in $secs s; $(sa_query asan "len(sas)") left in the table"
	check "ASan: the churn made $TOTAL SAs or more ($made)" test "$made" -ge "$TOTAL"
	check "ASan: at least 90% of them established ($est)" test "$est" -ge $((TOTAL * 9 / 10))
	# ikeload sends each round's DELETEs in one burst; some are lost in the socket
	# buffers, and those SAs stay up (the rest go at once: deleted_linger = 0)
	sleep 1
	left=$(sa_query asan "len(sas)")
	echo "# left in the table: $left ($(sa_query asan "sum(s['cisco_state']=='QM_IDLE' for s in sas)") at QM_IDLE); SIGTERM frees the rest"
	check "ASan: most SAs were deleted and left the table during the churn ($((made - left)) of $made)" \
		test "$left" -le $((made / 2))
	stop_clean asan
	rc=$?
	check "ASan: ikemond exits 0 on SIGTERM (23 on a leak: ASAN_OPTIONS exitcode) (exit $rc)" test "$rc" = 0
	check "ASan: no AddressSanitizer, LeakSanitizer or UBSan report" \
		bash -c "! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' $T/asan.log"
	unset ASAN_OPTIONS UBSAN_OPTIONS
fi

# ---- 2. valgrind over a few hundred SAs
if ! command -v valgrind >/dev/null; then
	echo "##### SKIPPED PART 2: no valgrind (package valgrind) #####"
	echo "SKIP: leaks.sh part 2: no valgrind" >&2
elif is_asan "$IKEMOND"; then
	echo "##### SKIPPED PART 2: $IKEMOND is a sanitizer build; valgrind runs in the plain build #####"
else
	conf vg
	t0=$(date +%s)
	run_under vg "valgrind" valgrind --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$T/valgrind.txt" "$IKEMOND"
	churn 100 3 --fail wrong-key:10%
	made=$(sa_query vg "g['sas_created']")
	stop_clean vg
	rc=$?
	secs=$(($(date +%s) - t0))
	grep -E "in use at exit|total heap usage|All heap blocks|definitely lost|indirectly lost|ERROR SUMMARY" "$T/valgrind.txt" | sed 's/^==[0-9]*== */# valgrind: /'
	check "valgrind: $made SAs made in $secs s (bound 120 s)" test "$made" -ge 300 -a "$secs" -le 120
	check "valgrind: ikemond exits 0 (valgrind exits 99 on an error or a leak) (exit $rc)" test "$rc" = 0
	check "valgrind: no memory errors, nothing definitely or indirectly lost" \
		bash -c "grep -q 'ERROR SUMMARY: 0 errors' $T/valgrind.txt && ! grep -Eq '(definitely|indirectly) lost: [1-9]' $T/valgrind.txt"
fi
[ "$CHECKS" -gt 0 ] || skip "neither a sanitizer ikemond nor valgrind"
finish
