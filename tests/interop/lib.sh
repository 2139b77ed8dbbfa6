# tests/interop/lib.sh - a harness for tests against strongSwan's charon as a real
# IKEv1 peer, each side in a network namespace of this test's own.
#
# Source it from a bash test script, then:
#
#   iop_init [SECONDS]             skip (exit 77) unless root + ip netns + charon; make a
#                                  temp dir ($IOP_DIR); install the cleanup trap; arm a
#                                  watchdog that ends the test after SECONDS (default 120)
#   iop_netns_add A                create namespace A (real name: $(iop_ns A), unique per run)
#   iop_link A 10.99.0.1/24 B 10.99.0.2/24
#                                  join A and B with a veth pair, addresses inside them
#                                  (IPv6 ones too, with nodad: usable at once, no
#                                  duplicate address detection to wait for)
#   iop_exec A CMD...              run CMD in namespace A
#   iop_bg A LOG CMD...            run CMD in A in the background, output to LOG; the pid
#                                  is in $IOP_LAST_PID and is killed at cleanup
#   iop_charon_start C A [CONF]    start charon "C" in namespace A with its own /run,
#                                  strongswan.conf and vici socket in $IOP_DIR/C; CONF is
#                                  extra text for the charon { } section
#   iop_charon_pid C               charon C's pid (to kill it: a peer that goes away)
#   iop_charon_load C FILE         load a swanctl.conf (connections and secrets)
#   iop_swanctl C --CMD ARGS...    run swanctl --CMD against charon C
#   iop_charon_initiate C ARGS...  swanctl --initiate ARGS (e.g. --child NAME), bounded
#   iop_charon_sas C               swanctl --list-sas
#   iop_charon_ike_state C CONN    print the state of CONN's IKE_SA (ESTABLISHED ...) or nothing
#
# For Quick Mode (a CHILD_SA that installs; see IOP_CHARON_PLUGINS_QM below):
#
#   iop_lo_addr A 10.1.0.1/24      an address on A's lo (the local traffic selector's subnet
#                                  must have one, or kernel-libipsec fails to install)
#   iop_charon_start_qm C A [CONF] iop_charon_start with the kernel-libipsec plugin list
#   iop_charon_child_state C CHILD print the state of CHILD's first CHILD_SA (INSTALLED ...)
#   iop_charon_child_installed C CHILD   whether it is INSTALLED (for iop_wait)
#   iop_charon_child_spis C CHILD  print "IN OUT": its SPIs as swanctl shows them (8 hex digits)
#   iop_charon_child_line C CHILD  print its line ("CHILD: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:...")
#   iop_charon_ike_port C CONN     print the remote port of CONN's first IKE_SA (500, 4500)
#
# ikemond against charon: the setup the charon_* tests share (ikemond in namespace "us",
# charon in "them"), and the vocabulary of their checks:
#
#   ok DESC, not_ok DESC, check DESC CMD...
#                                  a TAP line, counted in CHECKS and FAILS (check: ok when
#                                  CMD succeeds)
#   iop_checks_done                "# NAME: N checks, M failed"; exit 0, or iop_fail
#   iop_pair US THEM               namespaces us and them, a veth between: US/24, THEM/24
#   iop_ikemond_head LISTEN [LINE...]
#                                  print the [ikemond] section (listen, control socket in
#                                  $IOP_DIR, log_level debug, retransmit 0.5 s x 3) and LINEs
#   iop_ikemond_cert_conf LISTEN REMOTE CERT CA LINES [HEAD...]
#                                  ikemond.conf: iop_ikemond_head LISTEN HEAD..., and [peer
#                                  charon] at REMOTE with CERT.pem, CERT.key, trusting CA,
#                                  ike aes128-sha256-modp2048, then LINES
#   iop_ikemond_start              run ikemond on $IOP_DIR/ikemond.conf in "us" (log:
#                                  $IOP_DIR/ikemond.log); wait for its control socket
#   ctl ARGS...                    ikemonctl against it
#   q PYEXPR, is PYEXPR            a Python expression over `sas` and `g` (the counters) of
#                                  show crypto isakmp sa --json: printed; whether True
#   iop_conn_of                    the conn-id in `ctl initiate`'s answer (stdin)
#   wait_qm_idle ID                wait until conn-id ID is QM_IDLE (0) or deleted (1):
#                                  100 looks, IOP_QM_POLL s (default 0.1) apart
#   iop_charon_none_established C  whether charon C has no ESTABLISHED IKE_SA (for iop_wait)
#   iop_ikemond_reload             clear our SAs, reload ikemond.conf (iop_fail on error)
#
# With certificates (RFC 2409 5.1; tests/integration/pki.sh makes them):
#
#   iop_charon_pubkey_conf DIR CERT KEY CA LOCAL REMOTE LOCAL_ID REMOTE_ID [LINE...]
#                                  DIR/swanctl.conf with connection "ikemon" (IKEv1,
#                                  auth = pubkey, child "ikemon-child", proposals
#                                  $IOP_CHARON_PROPOSALS or aes128-sha256-modp2048, LINEs
#                                  in the connection) and x509/, x509ca/, private/ beside it
#   iop_charon_reload C FILE       terminate C's "ikemon" SAs, load FILE and what lies
#                                  beside it, dropping what was loaded before
#   iop_pki DIR US THEM            (with pki.sh sourced) in DIR: CAs "Test CA" and "Other
#                                  CA"; from Test CA ikemon-rsa, ikemon-ecdsa (IP:US),
#                                  charon-rsa, charon-ecdsa (IP:THEM); from Other CA
#                                  ikemon-other and charon-other (RSA)
#
# Packet captures, for a look at what went over the wire (tshark, optional):
#
#   iop_capture_start A IFACE NAME tshark on IFACE in A, UDP 500 and 4500, into
#                                  $IOP_DIR/NAME.pcap (nothing but a message without tshark)
#   iop_capture_stop NAME          stop it (the file is complete then)
#   iop_charon_ikev1_keys C        print "ICOOKIE,KA" for each IKEv1 SA charon C keyed, from
#                                  its log: needs IOP_CHARON_KEYLOG=1 when C was started
#   iop_capture_decode FILE C [ARGS]  tshark -r FILE with C's keys, so that MM5/MM6, Quick
#                                  Mode and informationals decrypt; ARGS default: -O isakmp
#   iop_wait SECONDS DESC CMD...   poll CMD every 0.2 s until it succeeds; 1 on timeout
#   check DESC CMD...              run CMD: print "ok N - DESC" when it succeeds, else
#                                  "not ok N - DESC" (counted in CHECKS and FAILS)
#   iop_finish                     print the count; iop_fail when a check failed, else exit 0
#   iop_on_exit CMD...             run CMD at the end (before the cleanup), however it ends
#   iop_fail MSG                   print MSG and the daemons' logs, exit 1
#   iop_skip MSG                   print MSG loudly, exit 77
#
# IOP_CHARON_KEYLOG=1 makes charon log at "ike = 4", which includes SKEYID_* and the
# encryption key Ka of every IKE SA (test keys only, in $IOP_DIR, for the decoder above).
# Keep the captures and logs with IOP_KEEP=1.
#
# Everything started through the harness is killed, and the namespaces deleted, when
# the script exits (normally, on error, on a signal or by the watchdog).  Keep the
# temp dir for a look with IOP_KEEP=1.
#
# Timings seen here (2 cores): namespaces + veth 0.1 s, charon start to vici ready
# about 0.1-0.3 s, IKEv1 Main Mode PSK with MODP-2048 charon to charon well under 1 s.

IOP_CHARON=${IOP_CHARON:-/usr/lib/ipsec/charon}
IOP_SWANCTL=${IOP_SWANCTL:-swanctl}
IOP_TAG=${IOP_TAG:-ikm$$} # namespace prefix: unique per run, so parallel tests don't collide
IOP_DIR=
IOP_NETNS=()             # logical names of the namespaces we created
IOP_PIDS=()              # background processes to kill at cleanup
IOP_LOGS=()              # logs to show when the test fails
declare -A IOP_CHARON_PID=()  # charon instance name -> pid
IOP_LINKS=0
IOP_WATCHDOG=
IOP_LAST_PID=

# Plugins for charon as an IKEv1 peer.  kernel-netlink provides the kernel
# interfaces charon needs even for IKE alone (addresses, routes, and the IPsec
# interface that Quick Mode installs into).
#
# Seen here (strongSwan 5.9.8):
# - Without any kernel plugin charon does not start ("unmet dependency:
#   CUSTOM:kernel-ipsec"); with kernel-libipsec alone neither ("CUSTOM:kernel-net").
# - With kernel-netlink, `swanctl --initiate --ike NAME` runs Main Mode only and the
#   IKE_SA is ESTABLISHED on both sides.  `--initiate --child NAME` adds Quick Mode,
#   but this kernel has no ESP: the initiator fails to install the CHILD_SA ("unable to
#   add SAD entry"), sends NO_PROPOSAL_CHOSEN, and the IKE_SA stays ESTABLISHED.
# - For a CHILD_SA that installs, use iop_charon_start_qm (IOP_CHARON_PLUGINS_QM):
#   kernel-libipsec (userspace ESP) forces UDP encapsulation (both ends float to port
#   4500), and the traffic selectors must be subnets other than the veth addresses, with
#   an address of the local one on the namespace's lo (iop_lo_addr a 10.98.1.1/24;
#   local_ts = 10.98.1.0/24).
# - Seen here in detail (charon to charon, tshark; tests/interop/charon_qm_selftest.sh):
#   kernel-libipsec must come BEFORE kernel-netlink in `load` (after it, kernel-netlink
#   handles the SAs and the install fails as without libipsec).  `encap = yes` is not
#   needed: kernel-libipsec alone makes charon fake its own NAT-D (the second NAT-D it
#   sends, its source, is random: "remote host is behind NAT" on the other side), so both
#   ends float from MM5 on.  Without an address of the local subnet on lo, charon fails
#   with "error installing route with policy ... unable to install IPsec policies (SPD)".
#   Quick Mode then proposes Encapsulation-Mode UDP-Encapsulated-Tunnel (3), IDci/IDcr of
#   type IPV4_ADDR_SUBNET (4), SA-Life-Type seconds, SA-Life-Duration 3960.
IOP_CHARON_PLUGINS_BASE="random nonce aes sha1 sha2 md5 hmac pem pkcs1 x509 revocation constraints pubkey openssl gmp"
IOP_CHARON_PLUGINS_QM="$IOP_CHARON_PLUGINS_BASE kernel-libipsec kernel-netlink socket-default vici updown"
IOP_CHARON_PLUGINS=${IOP_CHARON_PLUGINS:-"$IOP_CHARON_PLUGINS_BASE kernel-netlink socket-default vici updown"}

iop_log()
{
	printf '[%s] %s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$*"
}

iop_skip()
{
	{
		echo "######################################################################"
		echo "## SKIPPED: $(basename "$0"): $*"
		echo "######################################################################"
	} >&2
	exit 77
}

iop_dump_logs()
{
	local f
	for f in "${IOP_LOGS[@]}"; do
		[ -f "$f" ] || continue
		echo "----- $f (last 60 lines) -----"
		tail -n 60 "$f"
	done
}

iop_fail()
{
	echo "FAIL: $(basename "$0"): $*" >&2
	iop_dump_logs >&2
	exit 1
}

# iop_require: skip (77) unless this machine can run the harness.
iop_require()
{
	[ "$(id -u)" = 0 ] || iop_skip "needs root (network namespaces)"
	command -v ip >/dev/null 2>&1 || iop_skip "needs ip (iproute2)"
	command -v unshare >/dev/null 2>&1 || iop_skip "needs unshare (util-linux)"
	[ -x "$IOP_CHARON" ] || iop_skip "needs strongSwan's charon at $IOP_CHARON (strongswan-charon)"
	command -v "$IOP_SWANCTL" >/dev/null 2>&1 || iop_skip "needs swanctl (strongswan-swanctl)"
	local probe="${IOP_TAG}-probe"
	if ! ip netns add "$probe" 2>/dev/null; then
		iop_skip "'ip netns add' does not work here"
	fi
	if ! ip netns exec "$probe" ip link set lo up 2>/dev/null; then
		ip netns del "$probe" 2>/dev/null
		iop_skip "'ip netns exec' does not work here"
	fi
	ip netns del "$probe"
}

# iop_on_exit CMD...: run CMD (e.g. to print a capture) when the test ends, however it
# ends, before the harness stops its processes.
IOP_EXIT_HOOKS=()
iop_on_exit()
{
	IOP_EXIT_HOOKS+=("$*")
}

iop_cleanup()
{
	local rc=$? pid i
	trap - EXIT INT TERM HUP
	for i in "${IOP_EXIT_HOOKS[@]}"; do
		eval "$i"
	done
	if [ -n "$IOP_WATCHDOG" ]; then
		kill "$IOP_WATCHDOG" 2>/dev/null
		wait "$IOP_WATCHDOG" 2>/dev/null
	fi
	for pid in "${IOP_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	# Give them up to 3 s to go, then insist.
	for i in $(seq 1 30); do
		local alive=0
		for pid in "${IOP_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for pid in "${IOP_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for i in "${IOP_NETNS[@]}"; do
		ip netns del "$(iop_ns "$i")" 2>/dev/null
	done
	if [ -n "$IOP_DIR" ] && [ -d "$IOP_DIR" ]; then
		if [ "${IOP_KEEP:-0}" = 1 ]; then
			echo "IOP_KEEP=1: kept $IOP_DIR"
		else
			rm -rf "$IOP_DIR"
		fi
	fi
	exit $rc
}

# iop_init [SECONDS]: check, make the temp dir, trap, watchdog.
iop_init()
{
	local limit=${1:-120}
	iop_require
	IOP_DIR=$(mktemp -d /tmp/iop.XXXXXX) || iop_fail "mktemp"
	trap iop_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	# The watchdog waits in bash's read builtin on a FIFO that never speaks, rather than
	# in sleep(1): a child of ours that we can kill and reap, with no grandchild left over.
	mkfifo "$IOP_DIR/.watchdog" || iop_fail "mkfifo"
	(
		read -r -t "$limit" <>"$IOP_DIR/.watchdog"
		echo "WATCHDOG: $(basename "$0") still running after ${limit}s, ending it" >&2
		kill -TERM $$ 2>/dev/null
	) &
	IOP_WATCHDOG=$!
	iop_log "harness: dir $IOP_DIR, namespaces ${IOP_TAG}-*, watchdog ${limit}s"
}

# iop_ns A: the real name of logical namespace A.
iop_ns()
{
	printf '%s-%s' "$IOP_TAG" "$1"
}

iop_netns_add()
{
	local ns
	ns=$(iop_ns "$1")
	ip netns add "$ns" || iop_fail "ip netns add $ns"
	IOP_NETNS+=("$1")
	ip -n "$ns" link set lo up || iop_fail "lo up in $ns"
}

# iop_nodad ADDR/LEN: "nodad" for an IPv6 address (else a new address stays "tentative"
# for a second or two and cannot be bound), nothing for an IPv4 one.
iop_nodad()
{
	case $1 in *:*) echo nodad ;; esac
}

# iop_link A ADDR/LEN B ADDR/LEN: veth pair between A and B (both ends named vN).
iop_link()
{
	local a b ifn
	a=$(iop_ns "$1")
	b=$(iop_ns "$3")
	ifn="v$IOP_LINKS"
	IOP_LINKS=$((IOP_LINKS + 1))
	ip -n "$a" link add "$ifn" type veth peer name "$ifn" netns "$b" ||
		iop_fail "veth $ifn between $a and $b"
	# shellcheck disable=SC2046 # iop_nodad prints one word or nothing
	ip -n "$a" addr add "$2" dev "$ifn" $(iop_nodad "$2") || iop_fail "address $2 in $a"
	# shellcheck disable=SC2046
	ip -n "$b" addr add "$4" dev "$ifn" $(iop_nodad "$4") || iop_fail "address $4 in $b"
	ip -n "$a" link set "$ifn" up || iop_fail "$ifn up in $a"
	ip -n "$b" link set "$ifn" up || iop_fail "$ifn up in $b"
}

iop_exec()
{
	local ns
	ns=$(iop_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# iop_bg A LOG CMD...: background process in namespace A; pid in IOP_LAST_PID.
iop_bg()
{
	local ns log
	ns=$(iop_ns "$1")
	log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	IOP_LAST_PID=$!
	IOP_PIDS+=("$IOP_LAST_PID")
	IOP_LOGS+=("$log")
}

CHECKS=0
FAILS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "not ok $CHECKS - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

iop_finish()
{
	echo "# $(basename "$0"): $CHECKS checks, $FAILS failed"
	[ "$FAILS" = 0 ] || iop_fail "$FAILS checks failed"
	exit 0
}

# iop_wait SECONDS DESC CMD...: poll until CMD succeeds (every 0.2 s), at most SECONDS.
iop_wait()
{
	local limit=$1 desc=$2 start now
	shift 2
	start=$(date +%s%N)
	while :; do
		if "$@" >/dev/null 2>&1; then
			now=$(date +%s%N)
			iop_log "ok after $(((now - start) / 1000000)) ms: $desc"
			return 0
		fi
		now=$(date +%s%N)
		if [ $(((now - start) / 1000000)) -ge $((limit * 1000)) ]; then
			iop_log "timed out after ${limit}s: $desc"
			return 1
		fi
		sleep 0.2
	done
}

iop_charon_dir()
{
	printf '%s/charon-%s' "$IOP_DIR" "$1"
}

# iop_swanctl C --COMMAND ARGS...: swanctl against charon C (its own strongswan.conf and
# vici socket).  swanctl wants the command first and --uri after it.
iop_swanctl()
{
	local d cmd
	d=$(iop_charon_dir "$1")
	cmd=$2
	shift 2
	STRONGSWAN_CONF="$d/strongswan.conf" "$IOP_SWANCTL" "$cmd" --uri "unix://$d/charon.vici" "$@"
}

# iop_charon_start C A [CONF]: charon "C" in namespace A.
iop_charon_start()
{
	local name=$1 nsl=$2 extra=${3:-} d
	d=$(iop_charon_dir "$name")
	mkdir -p "$d"
	cat >"$d/strongswan.conf" <<EOF
charon {
	install_routes = no
	install_virtual_ip = no
	retransmit_timeout = 1
	retransmit_tries = 3
	load = $IOP_CHARON_PLUGINS
	filelog {
		iop {
			path = $d/charon.log
			time_format = %H:%M:%S
			append = no
			flush_line = yes
			default = 1
			ike = ${IOP_CHARON_IKE_LOG:-$([ "${IOP_CHARON_KEYLOG:-0}" = 1 ] && echo 4 || echo 2)}
			cfg = 2
			knl = 1
		}
	}
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
	}
$extra
}
swanctl {
	load = pem pkcs1 x509 revocation constraints pubkey openssl random
}
EOF
	# Its own /run (charon.pid, the default vici and stroke sockets) so that several
	# charons can run at once; unshare makes the tmpfs private to this charon.
	iop_bg "$nsl" "$d/charon.out" unshare -m --propagation private sh -c \
		"mount -t tmpfs none /run && STRONGSWAN_CONF='$d/strongswan.conf' exec '$IOP_CHARON'"
	IOP_LOGS+=("$d/charon.log")
	IOP_CHARON_PID[$name]=$IOP_LAST_PID
	iop_wait 10 "charon $name answers on vici" iop_swanctl "$name" --stats ||
		iop_fail "charon $name did not start"
}

iop_charon_pid()
{
	printf '%s' "${IOP_CHARON_PID[$1]}"
}

# iop_charon_load C FILE: load connections and secrets from a swanctl.conf.
iop_charon_load()
{
	local out
	out=$(iop_swanctl "$1" --load-all --noprompt --file "$2" 2>&1)
	local rc=$?
	# swanctl looks for x509/, private/ ... beside the file; we load no certificates.
	echo "$out" | grep -v -e "^plugin '" -e "^opening directory '.*' failed" | sed "s/^/[$1 load] /"
	[ $rc = 0 ] || iop_fail "charon $1: loading $2 failed"
}

# iop_charon_initiate C ARGS...: e.g. --child NAME or --ike NAME; bounded by --timeout.
iop_charon_initiate()
{
	local name=$1
	shift
	iop_swanctl "$name" --initiate --timeout 10 "$@" 2>&1 | sed "s/^/[$name initiate] /"
	return "${PIPESTATUS[0]}"
}

iop_charon_sas()
{
	iop_swanctl "$1" --list-sas 2>/dev/null
}

# iop_charon_ike_state C CONN: "ESTABLISHED", "CONNECTING", ... for CONN's first IKE_SA.
# swanctl prints: "CONN: #1, ESTABLISHED, IKEv1, 1f2e...:3d4c..."
iop_charon_ike_state()
{
	iop_charon_sas "$1" | sed -n "s/^$2: #[0-9]*, \([A-Z_]*\), .*/\1/p" | head -n 1
}

# iop_charon_established C CONN: whether CONN's IKE_SA is ESTABLISHED (for iop_wait).
iop_charon_established()
{
	[ "$(iop_charon_ike_state "$1" "$2")" = ESTABLISHED ]
}

# ---- Quick Mode: kernel-libipsec, addresses on lo, CHILD_SA state ----

# iop_lo_addr A ADDR/LEN: an address on A's lo (for the local traffic selector's subnet).
iop_lo_addr()
{
	# shellcheck disable=SC2046 # iop_nodad prints one word or nothing
	iop_exec "$1" ip addr add "$2" dev lo $(iop_nodad "$2") || iop_fail "address $2 on lo in $(iop_ns "$1")"
}

# iop_charon_start_qm C A [CONF]: charon C in A with kernel-libipsec before kernel-netlink.
iop_charon_start_qm()
{
	local IOP_CHARON_PLUGINS="$IOP_CHARON_PLUGINS_QM"
	[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
		[ -n "${IOP_SKIP_PLUGIN_CHECK:-}" ] ||
		iop_skip "needs charon's kernel-libipsec plugin (libcharon-extra-plugins)"
	iop_charon_start "$@"
}

# iop_charon_child_block C CHILD: the lines of CHILD's first CHILD_SA in swanctl --list-sas:
#   "  CHILD: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128"
#   "    installed 1s ago, rekeying in 3371s, expires in 3959s"
#   "    in  339955fa,      0 bytes,     0 packets"
#   "    out 7a04ad58,      0 bytes,     0 packets"
#   "    local  10.1.0.0/24"
#   "    remote 10.2.0.0/24"
iop_charon_child_block()
{
	iop_charon_sas "$1" | awk -v c="$2" '
		found && /^  [^ ]/ { exit }
		found && /^[^ ]/ { exit }
		found { print; next }
		index($0, "  " c ": #") == 1 { found = 1; print }'
}

# iop_charon_child_line C CHILD: the first line of that block.
iop_charon_child_line()
{
	iop_charon_child_block "$1" "$2" | head -n 1
}

# iop_charon_child_state C CHILD: INSTALLED, INSTALLING, REKEYED ... or nothing.
iop_charon_child_state()
{
	iop_charon_child_line "$1" "$2" | sed -n 's/^  [^ ]*: #[0-9]*, reqid [0-9]*, \([A-Z_]*\),.*/\1/p'
}

iop_charon_child_installed()
{
	[ "$(iop_charon_child_state "$1" "$2")" = INSTALLED ]
}

# iop_charon_child_spis C CHILD: "IN OUT", e.g. "339955fa 7a04ad58" (IN: charon's inbound
# SPI, which its peer sends to; OUT: the peer's inbound SPI).
iop_charon_child_spis()
{
	iop_charon_child_block "$1" "$2" | awk '
		$1 == "in" { i = $2; sub(/,.*/, "", i) }
		$1 == "out" { o = $2; sub(/,.*/, "", o) }
		END { if (i != "" && o != "") print i, o }'
}

# iop_charon_ike_port C CONN: the remote port of CONN's first IKE_SA ("  remote 'ID' @ ADDR[PORT]").
iop_charon_ike_port()
{
	iop_charon_sas "$1" | awk -v c="$2" '
		index($0, c ": #") == 1 { found = 1; next }
		found && /^[^ ]/ { exit }
		found && $1 == "remote" && /@/ { p = $NF; sub(/.*\[/, "", p); sub(/\].*/, "", p); print p; exit }'
}

# ---- captures (optional: tshark) ----

declare -A IOP_CAPTURE_PID=()

# iop_capture_start A IFACE NAME: capture IKE (UDP 500 and 4500) on IFACE in A.
iop_capture_start()
{
	local nsl=$1 ifn=$2 name=$3 log i
	if ! command -v tshark >/dev/null 2>&1; then
		iop_log "no tshark here: no capture $name (apt-get install -y tshark)"
		return 0
	fi
	log="$IOP_DIR/$name.tshark.log"
	iop_bg "$nsl" "$log" tshark -n -i "$ifn" -w "$IOP_DIR/$name.pcap" -f 'udp port 500 or udp port 4500'
	IOP_CAPTURE_PID[$name]=$IOP_LAST_PID
	# tshark says "Capturing on 'v0'" once dumpcap listens (about 1 s here).
	for i in $(seq 1 50); do
		grep -q "Capturing on" "$log" 2>/dev/null && break
		sleep 0.1
	done
	iop_log "capturing $ifn in $(iop_ns "$nsl") into $IOP_DIR/$name.pcap"
}

# iop_capture_stop NAME: stop the capture; the pcap file is complete afterwards.
iop_capture_stop()
{
	local pid=${IOP_CAPTURE_PID[$1]:-} i
	[ -n "$pid" ] || return 0
	# dumpcap hands packets over in batches: give the last ones time to reach the file.
	sleep 0.5
	kill -INT "$pid" 2>/dev/null
	for i in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	unset "IOP_CAPTURE_PID[$1]"
}

# iop_charon_ikev1_keys C: "icookie,Ka" (hex) of each IKEv1 SA in charon C's log, in the
# form of Wireshark's ikev1_decryption_table.  charon (at "ike = 4", IOP_CHARON_KEYLOG=1)
# logs "encryption key Ka => N bytes" and the hex dump; the next "natd_chunk" the same
# thread logs starts with CKY-I.
iop_charon_ikev1_keys()
{
	local log
	log="$(iop_charon_dir "$1")/charon.log"
	[ -f "$log" ] || return 1
	awk '
	function thr(t) { t = $2; sub(/\[.*/, "", t); return t }
	function hexof(h) {
		if (!match($0, /\[IKE\] +[0-9]+: /)) return ""
		h = substr($0, RSTART + RLENGTH, 48); gsub(/ /, "", h); return h
	}
	/\[IKE\] encryption key Ka => [0-9]+ bytes/ {
		t = thr(); n = $0; sub(/.*=> /, "", n); need[t] = (n + 0) * 2; ka[t] = ""; st[t] = "ka"; next
	}
	/\[IKE\] natd_chunk => / { t = thr(); if (st[t] == "cookie") st[t] = "chunk"; next }
	/\[IKE\] +[0-9]+: / {
		t = thr()
		if (st[t] == "ka") {
			ka[t] = ka[t] hexof()
			if (length(ka[t]) >= need[t]) { ka[t] = substr(ka[t], 1, need[t]); st[t] = "cookie" }
		} else if (st[t] == "chunk") {
			print tolower(substr(hexof(), 1, 16)) "," tolower(ka[t]); st[t] = ""
		}
	}' "$log" | sort -u
}

# iop_capture_decode FILE C [TSHARK ARGS...]: decode FILE with charon C's IKEv1 keys.
iop_capture_decode()
{
	local file=$1 c=$2 k opts=()
	shift 2
	command -v tshark >/dev/null 2>&1 || { echo "no tshark" >&2; return 1; }
	while IFS= read -r k; do
		opts+=(-o "uat:ikev1_decryption_table:$k")
	done < <(iop_charon_ikev1_keys "$c")
	[ $# -gt 0 ] || set -- -O isakmp
	tshark -n -r "$file" "${opts[@]}" "$@" 2>/dev/null
}

# ---- ikemond against charon: the shared setup and the checks' vocabulary ----
# (ok, not_ok and check are defined above, with iop_finish)

iop_checks_done() { iop_finish; }

# iop_pair US THEM: namespaces "us" and "them", joined by a veth: US/24 and THEM/24.
iop_pair()
{
	iop_netns_add us
	iop_netns_add them
	iop_link us "$1/24" them "$2/24"
}

# iop_ikemond_head LISTEN [LINE...]: the [ikemond] section of ikemond.conf.
iop_ikemond_head()
{
	local line
	printf '[ikemond]\nlisten = %s\ncontrol = %s/ikemond.sock\nlog_level = debug\n' \
		"$1" "$IOP_DIR"
	printf 'retransmit_timeout = 0.5\nretransmit_tries = 3\n'
	shift
	for line in "$@"; do
		printf '%s\n' "$line"
	done
}

iop_ikemond_cert_conf()
{
	local listen=$1 remote=$2 cert=$3 ca=$4 lines=$5
	shift 5
	{
		iop_ikemond_head "$listen" "$@"
		printf '[peer charon]\nremote = %s\ncert = %s.pem\nkey = %s.key\nca = %s\n' \
			"$remote" "$cert" "$cert" "$ca"
		printf 'ike = aes128-sha256-modp2048\n%s\n' "$lines"
	} >"$IOP_DIR/ikemond.conf"
}

# iop_ikemond_start: ikemond on $IOP_DIR/ikemond.conf in namespace "us".
iop_ikemond_start()
{
	iop_bg us "$IOP_DIR/ikemond.log" "$IKEMOND" -c "$IOP_DIR/ikemond.conf" -f
	iop_wait 5 "ikemond control socket" test -S "$IOP_DIR/ikemond.sock" ||
		iop_fail "ikemond did not start"
}

ctl() { "$IKEMONCTL" -s "$IOP_DIR/ikemond.sock" "$@"; }
q() { ctl show crypto isakmp sa --json | python3 -c "import json,sys; d=json.load(sys.stdin); sas=d['sas']; g=d['counters']; print($1)"; }
is() { [ "$(q "$1")" = True ]; }

iop_conn_of() { sed -n 's/.*conn-id \([0-9]*\).*/\1/p'; }

# wait_qm_idle ID: 0 once conn-id ID is QM_IDLE, 1 once deleted or after 100 looks.
wait_qm_idle()
{
	local i
	for i in $(seq 1 100); do
		case "$(q "[s['cisco_state'] + '/' + s['status'] for s in sas if s['conn_id']==$1]")" in
		"['QM_IDLE/ACTIVE']") return 0 ;;
		*deleted*) return 1 ;;
		esac
		sleep "${IOP_QM_POLL:-0.1}"
	done
	return 1
}

iop_charon_none_established()
{
	! iop_charon_sas "$1" | grep -q ESTABLISHED
}

iop_ikemond_reload()
{
	ctl clear crypto isakmp >/dev/null 2>&1
	ctl reload >/dev/null || iop_fail "ikemond reload: $(ctl reload 2>&1)"
}

# ---- charon with certificates ----

iop_charon_pubkey_conf()
{
	local d=$1 local_addr=$5 remote_addr=$6 local_id=$7 remote_id=$8 line extra=""
	[ $# -ge 8 ] || iop_fail "iop_charon_pubkey_conf: too few arguments"
	rm -rf "$d"
	mkdir -p "$d/x509" "$d/x509ca" "$d/private"
	cp "$2" "$d/x509/charon.pem"
	cp "$3" "$d/private/charon.key"
	cp "$4" "$d/x509ca/ca.pem"
	shift 8
	for line in "$@"; do
		extra+="		$line"$'\n'
	done
	cat >"$d/swanctl.conf" <<EOF
connections {
	ikemon {
		version = 1
		local_addrs = $local_addr
		remote_addrs = $remote_addr
		proposals = ${IOP_CHARON_PROPOSALS:-aes128-sha256-modp2048}
		rekey_time = 0
${extra}		local {
			auth = pubkey
			certs = charon.pem
			id = "$local_id"
		}
		remote {
			auth = pubkey
			id = "$remote_id"
		}
		children {
			ikemon-child {
				esp_proposals = aes128-sha256
				start_action = none
			}
		}
	}
}
EOF
}

iop_charon_reload()
{
	iop_swanctl "$1" --terminate --ike ikemon --timeout 5 >/dev/null 2>&1
	iop_swanctl "$1" --load-all --noprompt --clear --file "$2" 2>&1 |
		grep -v -e "^plugin '" | sed "s/^/[$1 load] /"
}

iop_pki()
{
	local dir=$1 kind
	mkdir -p "$dir"
	pki_ca "$dir" "Test CA" || iop_fail "CA"
	pki_ca "$dir" "Other CA" || iop_fail "other CA"
	for kind in rsa ecdsa; do
		pki_leaf "$dir" "Test CA" "ikemon-$kind" $kind "IP:$2" || iop_fail "leaf"
		pki_leaf "$dir" "Test CA" "charon-$kind" $kind "IP:$3" || iop_fail "leaf"
	done
	pki_leaf "$dir" "Other CA" charon-other rsa "IP:$3" || iop_fail "leaf"
	pki_leaf "$dir" "Other CA" ikemon-other rsa "IP:$2" || iop_fail "leaf"
}
