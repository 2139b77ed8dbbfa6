#!/bin/bash
# charon_selftest.sh - HARNESS SELF-TEST, NOT A TEST OF IKEMON.
#
# Proves tests/interop/lib.sh: two charons in two namespaces of our own, joined by a
# veth pair, negotiate IKEv1 Main Mode with a pre-shared key (aes128-sha256-modp2048);
# both must show the IKE_SA ESTABLISHED in `swanctl --list-sas`.  When this fails, the
# interop tests against ikemon cannot be trusted either.
#
# Addresses are this test's own hosts, inside its namespaces only.

. "$(dirname "$0")/lib.sh"

iop_init 60

A_ADDR=10.99.0.1
B_ADDR=10.99.0.2
PSK="charon-selftest-secret"

t0=$(date +%s%N)
iop_netns_add a
iop_netns_add b
iop_link a "$A_ADDR/24" b "$B_ADDR/24"
iop_log "namespaces $(iop_ns a) ($A_ADDR) and $(iop_ns b) ($B_ADDR) joined"

# swanctl.conf for one side: one setting a line (swanctl rejects several on one line).
write_swanctl()
{
	local file=$1 me=$2 peer=$3
	cat >"$file" <<EOF
connections {
	selftest {
		version = 1
		aggressive = no
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
			selftest-child {
				esp_proposals = aes128-sha256-modp2048
				local_ts = $me/32
				remote_ts = $peer/32
				start_action = none
			}
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

write_swanctl "$IOP_DIR/a.swanctl.conf" "$A_ADDR" "$B_ADDR"
write_swanctl "$IOP_DIR/b.swanctl.conf" "$B_ADDR" "$A_ADDR"

iop_charon_start alice a
iop_charon_start bob b
iop_charon_load alice "$IOP_DIR/a.swanctl.conf"
iop_charon_load bob "$IOP_DIR/b.swanctl.conf"
t1=$(date +%s%N)
iop_log "setup (namespaces, 2 charons, configs) took $(((t1 - t0) / 1000000)) ms"

# In IKEv1 swanctl can start the IKE_SA alone (--ike): Main Mode only, no Quick Mode.
# (--child would follow with Quick Mode, whose CHILD_SA the kernel here refuses: no ESP.)
iop_charon_initiate alice --ike selftest || iop_fail "swanctl --initiate --ike selftest failed"

iop_wait 10 "alice: selftest ESTABLISHED" iop_charon_established alice selftest ||
	iop_fail "alice's IKE_SA is not ESTABLISHED"
iop_wait 10 "bob: selftest ESTABLISHED" iop_charon_established bob selftest ||
	iop_fail "bob's IKE_SA is not ESTABLISHED"
t2=$(date +%s%N)
iop_log "IKEv1 Main Mode to ESTABLISHED on both took $(((t2 - t1) / 1000000)) ms"

echo "--- alice ---"
iop_charon_sas alice
echo "--- bob ---"
iop_charon_sas bob

# IKEv1 and the proposal really were what we asked for.
iop_charon_sas alice | grep -q "selftest: #[0-9]*, ESTABLISHED, IKEv1" ||
	iop_fail "alice's SA is not IKEv1"
iop_charon_sas bob | grep -q "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" ||
	iop_fail "bob's SA does not use aes128-sha256-modp2048"

echo "PASS: charon-to-charon IKEv1 Main Mode PSK (harness self-test)"
exit 0
