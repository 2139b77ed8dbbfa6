#!/usr/bin/env bash
# IPv6 transport: two ikemonds on ::1 (two ports) reach QM_IDLE; the CLI prints the SA
# in the IPv6 section as IOS does, and the IPv4 section stays empty.
. "$(dirname "$0")/lib.sh"

[ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1' ||
	skip "no IPv6 on loopback here"
write_conf6() {
	local name=$1 port=$2
	{
		echo "[ikemond]"
		echo "listen = [::1]:$port"
		echo "control = $T/$name.sock"
		echo "log_level = debug"
		echo "retransmit_timeout = 0.2"
		echo "stall_after = 5"
		echo "qm_stall_after = 5"
		cat
	} >"$T/$name.conf"
}
write_conf6 a 5101 <<EOF2
[peer b]
remote = [::1]:5102
psk = "v6-secret"
ike = aes256-sha256-ecp256
auto = start
EOF2
write_conf6 b 5102 <<EOF2
[peer a]
remote = ::1
psk = "v6-secret"
ike = aes256-sha256-ecp256
auto = add
EOF2
start b
start a
check "a reaches QM_IDLE over IPv6" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "b reaches QM_IDLE over IPv6" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' for s in sas)"
check "b saw a's port 5101 and answered from 5102" sa_is b "sas[0]['remote']['port']==5101 and sas[0]['local']['port']==5102"
check "identities are IPv6 addresses" sa_is b "sas[0]['remote_id']['value']=='::1' and sas[0]['remote_id']['type']==5"
out=$(ctl a show crypto isakmp sa)
expected=$(printf 'IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n\nIPv6 Crypto ISAKMP SA\n\n dst: ::1\n src: ::1\n state: QM_IDLE         conn-id:   1001 status: ACTIVE\n')
check "the IPv6 block is printed as IOS prints it" test "$out" = "$expected"
finish
