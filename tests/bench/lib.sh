# lib.sh - what the benchmark scripts share (sourced): the table row, group labels, and
# reading ikeload's and the tools' JSON.

# row BENCHMARK RESULT COMMAND: one line of make bench's table
row() { printf '%-58s %-26s %s\n' "$1" "$2" "$3"; }

# label GROUP: MODP-2048 for modp2048 ...
label() {
	case $1 in
	modp2048) echo MODP-2048 ;;
	ecp256) echo ECP-256 ;;
	*) echo "$1" ;;
	esac
}

# median: the median of the numbers on stdin, one a line
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# load_peer PSK GROUP: the [peer load] section for ikeload's block $SRC (Main Mode with
# GROUP, one Quick Mode with selectors in the block)
load_peer() {
	echo "[peer load]"
	echo "remote = $SRC"
	echo "psk = \"$1\""
	echo "ike = aes128-sha256-$2"
	echo "esp = aes128-sha256"
	echo "remote_ts = $SRC"
}

# start_ikemond: ikemond on $dir/a.conf (log $dir/a.log) in the background, its pid in
# pid; waits up to 5 s for its control socket $dir/a.sock
start_ikemond() {
	local i
	"$IKEMOND" -c "$dir/a.conf" -f 2>"$dir/a.log" &
	pid=$!
	for i in $(seq 1 50); do
		[ -S "$dir/a.sock" ] && break
		sleep 0.1
	done
}

# j FILE EXPR: a Python expression over the JSON object j in FILE
j() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# load_run CONF OUT WHAT [IKEMOND_CPUS [IKELOAD_CPUS]]: ikemond on CONF (its control socket
# $dir/a.sock, its log $dir/a.log), then ikeload's N SAs (--psk bench-key --dh $g) to
# $ADDR from $SRC, its --json report in OUT; each pinned with taskset when a CPU list is
# given; LOAD_ARGS: more ikeload options (word-split).  0 when all N came up; else a
# FAILED row for WHAT, and 1.
load_run() {
	local conf=$1 out=$2 what=$3 pin_d=() pin_l=() pid
	[ -z "${4:-}" ] || pin_d=(taskset -c "$4")
	[ -z "${5:-}" ] || pin_l=(taskset -c "$5")
	rm -f "$dir/a.sock"
	# taskset execs the daemon: $! is ikemond's pid
	"${pin_d[@]}" "$IKEMOND" -c "$conf" -f 2>"$dir/a.log" &
	pid=$!
	for _ in $(seq 1 50); do
		[ -S "$dir/a.sock" ] && break
		sleep 0.1
	done
	"${pin_l[@]}" "$IKELOAD" -t "$ADDR" -n "$N" --src "$SRC" --psk bench-key --dh "$g" \
		${LOAD_ARGS:-} --ikemond-pid "$pid" --timeout 300 --json >"$out" 2>"$dir/load.txt"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$(j "$out" "j['established']" 2>/dev/null)" = "$N" ] && return 0
	row "$what" "FAILED: $(tail -n 1 "$dir/load.txt")" "tests/bench/$(basename "$0")"
	return 1
}

# load_conf [DH_WORKERS]: $dir/a.conf, ikemond on $ADDR answering ikeload's block $SRC
# (Main Mode with group $g and one Quick Mode), dh_workers set when given
load_conf() {
	{
		echo "[ikemond]"
		echo "listen = $ADDR:500"
		echo "control = $dir/a.sock"
		[ -z "${1:-}" ] || echo "dh_workers = $1"
		load_peer bench-key "$g"
	} >"$dir/a.conf"
}
