#!/bin/bash
# charon_qm_selftest.sh - HARNESS SELF-TEST, NOT A TEST OF IKEMON.
#
# Proves the Quick Mode recipe of tests/interop/lib.sh that charon_quick_mode.sh builds
# on: two charons (kernel-libipsec before kernel-netlink, iop_charon_start_qm) in two
# namespaces of our own, IKEv1 Main Mode + Quick Mode with a pre-shared key, tunnel mode
# between subnets that have an address on each namespace's lo:
#
#  1. alice initiates child "nopfs" (esp aes128-sha256): Main Mode, then Quick Mode;
#  2. bob initiates child "pfs" (esp aes128-sha256-modp2048) over the same IKE SA;
#     both CHILD_SAs INSTALLED on both sides, TUNNEL-in-UDP, the SPIs crossed (alice's
#     inbound = bob's outbound), the IKE SA floated to port 4500 on both sides although
#     no NAT is present and `encap` is not set (kernel-libipsec fakes NAT-D);
#  3. the refusals charon_quick_mode.sh expects from charon as a responder: a proposal
#     without PFS to a child that wants it gets NO_PROPOSAL_CHOSEN; selectors that no
#     child of the responder matches get INVALID_ID_INFORMATION; the IKE SA stays.
#
# When this fails, the Quick Mode interop test against ikemon cannot be trusted either.
# Addresses are this test's own hosts, inside its namespaces only.  IOP_CAPTURE=1 also
# captures the exchange with tshark and prints it decrypted (keep it with IOP_KEEP=1).

. "$(dirname "$0")/lib.sh"

iop_init 30

A_ADDR=10.99.0.1
B_ADDR=10.99.0.2
PSK="charon-qm-selftest-secret"
# shellcheck disable=SC2034 # read by lib.sh (iop_charon_start)
[ "${IOP_CAPTURE:-0}" = 1 ] && IOP_CHARON_KEYLOG=1

t0=$(date +%s%N)
iop_netns_add a
iop_netns_add b
iop_link a "$A_ADDR/24" b "$B_ADDR/24"
# The local selectors' subnets need an address on lo (else: "unable to install IPsec
# policies (SPD) in kernel").  The refused children need none: nothing is installed.
iop_lo_addr a 10.1.0.1/24
iop_lo_addr a 10.1.1.1/24
iop_lo_addr b 10.2.0.1/24
iop_lo_addr b 10.2.1.1/24
show_capture() {
	iop_capture_stop qm
	echo "--- capture $IOP_DIR/qm.pcap (decrypted with alice's keys) ---"
	iop_capture_decode "$IOP_DIR/qm.pcap" alice -O isakmp | grep -v -e '^    \[' -e '^Ethernet' -e '^Internet Protocol'
}
if [ "${IOP_CAPTURE:-0}" = 1 ]; then
	iop_capture_start a v0 qm
	iop_on_exit show_capture # however the test ends
fi

# child NAME LOCAL_TS REMOTE_TS ESP: one child block
child()
{
	cat <<EOF
			$1 {
				esp_proposals = $4
				local_ts = $2
				remote_ts = $3
				mode = tunnel
				start_action = none
			}
EOF
}

# swanctl.conf for one side (one setting a line: swanctl rejects several on one line).
# $4: the children, from child().  No "encap": kernel-libipsec alone forces the float.
write_swanctl()
{
	local file=$1 me=$2 peer=$3
	cat >"$file" <<EOF
connections {
	qm {
		version = 1
		local_addrs = $me
		remote_addrs = $peer
		proposals = aes128-sha256-modp2048
		rekey_time = 0
		local {
			auth = psk
			id = $me
		}
		remote {
			auth = psk
			id = $peer
		}
		children {
$4
		}
	}
}
secrets {
	ike-1 {
		id-a = $me
		id-b = $peer
		secret = "$PSK"
	}
}
EOF
}

write_swanctl "$IOP_DIR/a.swanctl.conf" "$A_ADDR" "$B_ADDR" "$(
	child nopfs 10.1.0.0/24 10.2.0.0/24 aes128-sha256
	child pfs 10.1.1.0/24 10.2.1.0/24 aes128-sha256-modp2048
	child pfsmis 10.1.2.0/24 10.2.2.0/24 aes128-sha256
	child tsmis 10.1.0.0/24 10.3.0.0/24 aes128-sha256
)"
write_swanctl "$IOP_DIR/b.swanctl.conf" "$B_ADDR" "$A_ADDR" "$(
	child nopfs 10.2.0.0/24 10.1.0.0/24 aes128-sha256
	child pfs 10.2.1.0/24 10.1.1.0/24 aes128-sha256-modp2048
	child pfsmis 10.2.2.0/24 10.1.2.0/24 aes128-sha256-modp2048
)"

iop_charon_start_qm alice a
iop_charon_start_qm bob b
iop_charon_load alice "$IOP_DIR/a.swanctl.conf"
iop_charon_load bob "$IOP_DIR/b.swanctl.conf"
t1=$(date +%s%N)
iop_log "setup (namespaces, 2 charons with kernel-libipsec, configs) took $(((t1 - t0) / 1000000)) ms"

# 1. alice: Main Mode + Quick Mode without PFS.
iop_charon_initiate alice --child nopfs || iop_fail "swanctl --initiate --child nopfs failed"
# 2. bob: Quick Mode with PFS over the IKE SA that exists.
iop_charon_initiate bob --child pfs || iop_fail "swanctl --initiate --child pfs failed"
for c in alice bob; do
	for ch in nopfs pfs; do
		iop_wait 5 "$c: $ch INSTALLED" iop_charon_child_installed "$c" "$ch" ||
			iop_fail "$c's CHILD_SA $ch is not INSTALLED"
	done
done
t2=$(date +%s%N)
iop_log "Main Mode + 2 Quick Modes to INSTALLED on both took $(((t2 - t1) / 1000000)) ms"

echo "--- alice ---"
iop_charon_sas alice
echo "--- bob ---"
iop_charon_sas bob

for c in alice bob; do
	iop_charon_sas "$c" | grep -q "^qm: #1, ESTABLISHED, IKEv1" || iop_fail "$c: not one IKEv1 SA"
	[ "$(iop_charon_sas "$c" | grep -c '^qm: #')" = 1 ] || iop_fail "$c: more than one IKE SA"
	port=$(iop_charon_ike_port "$c" qm)
	[ "$port" = 4500 ] || iop_fail "$c: the IKE SA did not float to 4500 (remote port '$port')"
	for ch in nopfs pfs; do
		iop_charon_child_line "$c" "$ch" | grep -q ", INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128" ||
			iop_fail "$c: $ch is not ESP AES-128/SHA-256 tunnel-in-UDP: $(iop_charon_child_line "$c" "$ch")"
	done
	iop_charon_child_line "$c" pfs | grep -q "/MODP_2048" || iop_fail "$c: pfs has no MODP_2048"
	iop_charon_child_line "$c" nopfs | grep -q "MODP" && iop_fail "$c: nopfs has a DH group"
done
for ch in nopfs pfs; do
	read -r a_in a_out <<<"$(iop_charon_child_spis alice "$ch")"
	read -r b_in b_out <<<"$(iop_charon_child_spis bob "$ch")"
	[ -n "$a_in" ] && [ "$a_in" = "$b_out" ] && [ "$a_out" = "$b_in" ] ||
		iop_fail "$ch: SPIs do not cross: alice in $a_in out $a_out, bob in $b_in out $b_out"
	iop_log "$ch: alice in $a_in out $a_out = bob out $b_out in $b_in"
done

# 3. refusals by the responder (bob); the IKE SA stays up on both sides.
out=$(iop_charon_initiate alice --child pfsmis)
echo "$out" | grep -q "received NO_PROPOSAL_CHOSEN error notify" ||
	iop_fail "no PFS to a child that wants it: no NO_PROPOSAL_CHOSEN: $out"
out=$(iop_charon_initiate alice --child tsmis)
echo "$out" | grep -q "received INVALID_ID_INFORMATION error notify" ||
	iop_fail "selectors bob has no child for: no INVALID_ID_INFORMATION: $out"
for c in alice bob; do
	iop_charon_established "$c" qm || iop_fail "$c: the IKE SA did not survive the refusals"
	for ch in pfsmis tsmis; do
		[ -z "$(iop_charon_child_state "$c" "$ch")" ] || iop_fail "$c: $ch exists after a refusal"
	done
done
t3=$(date +%s%N)
iop_log "refusals (NO_PROPOSAL_CHOSEN, INVALID_ID_INFORMATION) took $(((t3 - t2) / 1000000)) ms"

echo "PASS: charon-to-charon IKEv1 Main Mode + Quick Mode, PSK, with and without PFS, over UDP 4500 (harness self-test)"
exit 0
