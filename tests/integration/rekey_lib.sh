# rekey_lib.sh - helpers of the rekeying tests between two ikemonds (rekey.sh over IPv4,
# rekey_ipv6.sh over [::1]); source it after lib.sh.
#
#   rekey_peer_conf NAME LISTEN PEER REMOTE AUTO PSK LOCAL_TS REMOTE_TS [EXTRA]
#                       NAME's ikemond.conf (write_conf NAME LISTEN: EXTRA lines at the end
#                       of [ikemond]), one peer PEER at REMOTE: IKE 20 s, IPsec 10 s,
#                       rekey_margin 5 s (clamped to a third of the 10 s), rekey_fuzz 50 %
#   peer_q NAME PYEXPR  a Python expression over p, the first peer of show ikemon peers --json
#   peer_is NAME PYEXPR whether it is True
#   c_q NAME PYEXPR     over cs, the phase-2 SAs of show crypto ipsec sa --json
#   c_is NAME PYEXPR    whether it is True
#   rekey_sample NAME PEER   (in the background) NAME's status of PEER every 0.2 s, at most
#                       400 times, into $T/NAME.samples, until $T/stop-sampling exists
#   rekey_samples_up NAME MIN  NAME sampled at least MIN times, never anything but up

rekey_peer_conf() {
	write_conf "$1" "$2" <<EOF2
${9:-}
[peer $3]
remote = $4
psk = "$6"
auto = $5
ike_lifetime = 20
esp = aes128-sha256
local_ts = $7
remote_ts = $8
ipsec_lifetime = 10
rekey_margin = 5
rekey_fuzz = 50
EOF2
}

peer_q() {
	ctl "$1" show ikemon peers --json | python3 -c "import json,sys; p=json.load(sys.stdin)['peers'][0]; print($2)"
}
peer_is() { [ "$(peer_q "$1" "$2")" = "True" ]; }
c_q() {
	ctl "$1" show crypto ipsec sa --json | python3 -c "import json,sys; cs=json.load(sys.stdin)['children']; print($2)"
}
c_is() { [ "$(c_q "$1" "$2")" = "True" ]; }
# spis_pair: a's installed inbound SPIs are b's installed outbound ones (one at least).
# a and b are asked one after the other and a rekey may come between (every few seconds
# here; a busy machine widens the gap): a check retries it with wait_for.
spis_pair() {
	local in out
	in=$(c_q a "[c['spi_in'] for c in cs if c['state']=='INSTALLED']")
	out=$(c_q b "[c['spi_out'] for c in cs if c['state']=='INSTALLED']")
	[ "$in" != "[]" ] && [ "$in" = "$out" ]
}

rekey_sample() {
	local i=0
	while [ $i -lt 400 ] && [ ! -e "$T/stop-sampling" ]; do
		ctl "$1" show ikemon peers | awk -v p="$2" '$1 == p { print $4 }' >>"$T/$1.samples"
		sleep 0.2
		i=$((i + 1))
	done
}

rekey_samples_up() {
	local n
	n=$(grep -c . "$T/$1.samples")
	echo "# $1: $n samples: $(sort "$T/$1.samples" | uniq -c | tr '\n' ' ')"
	[ "$n" -ge "$2" ] && ! grep -qv '^up$' "$T/$1.samples"
}
