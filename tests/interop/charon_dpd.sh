#!/bin/bash
# charon_dpd.sh - Dead Peer Detection against strongSwan's charon (IKEv1 Main Mode, PSK),
# each in a network namespace of this test's own.
#
#  1. charon probes (dpd_delay = 1s, dpd_timeout = 3s, so a wrong ACK would make it
#     delete the SA): ikemond saw its DPD vendor ID and answers every R-U-THERE; charon's
#     SA stays ESTABLISHED.  ikemond (dpd_delay 2 s) hears charon every second and so does
#     not probe.
#  2. charon frozen with SIGSTOP: ikemond probes, gets no ACK, and declares the peer dead
#     after about dpd_delay + dpd_timeout (5 s): SA deleted with peer-dead, counted.
#  3. charon thawed with SIGCONT: the auto = start peer negotiates again.
. "$(dirname "$0")/lib.sh"

: "${IKEMOND:?}" "${IKEMONCTL:?}"
iop_init 120

US=10.175.0.1
THEM=10.175.0.2
PSK="dpd-interop-secret"

iop_pair "$US" "$THEM"

{
	iop_ikemond_head "$US:500" "restart_delay = 1" "stall_after = 5" "qm_stall_after = 5"
	cat <<EOF2
[peer charon]
remote = $THEM
psk = "$PSK"
ike = aes128-sha256-modp2048
auto = start
dpd_delay = 2
dpd_timeout = 3
EOF2
} >"$IOP_DIR/ikemond.conf"

cat >"$IOP_DIR/charon.swanctl.conf" <<EOF2
connections {
	ikemon {
		version = 1
		local_addrs = $THEM
		remote_addrs = $US
		proposals = aes128-sha256-modp2048
		rekey_time = 0
		dpd_delay = 1s
		dpd_timeout = 3s
		local {
			auth = psk
			id = $THEM
		}
		remote {
			auth = psk
			id = $US
		}
		children {
			ikemon-child {
				esp_proposals = aes128-sha256
				start_action = none
				dpd_action = clear
			}
		}
	}
}
secrets {
	ike-1 {
		id-a = $THEM
		id-b = $US
		secret = "$PSK"
	}
}
EOF2

iop_charon_start charon them
iop_charon_load charon "$IOP_DIR/charon.swanctl.conf"
iop_ikemond_start

check "ikemond (auto = start) reaches QM_IDLE with charon" \
	iop_wait 10 "QM_IDLE" is "any(s['cisco_state']=='QM_IDLE' for s in sas)"
id=$(q "[s['conn_id'] for s in sas if s['cisco_state']=='QM_IDLE'][0]")
check "charon shows ESTABLISHED" iop_wait 5 "charon ESTABLISHED" iop_charon_established charon ikemon
check "ikemond saw charon's DPD vendor ID" is "[s['dpd']['peer_supports'] for s in sas if s['conn_id']==$id]==[True]"

# 1. charon probes, ikemond answers
check "charon's R-U-THEREs reach ikemond (3 or more)" \
	iop_wait 10 "R-U-THERE in" is "[s['dpd']['r_u_there_in']>=3 for s in sas if s['conn_id']==$id]==[True]"
check "ikemond answered every one of them with an ACK" \
	is "[s['dpd']['ack_out']==s['dpd']['r_u_there_in'] and s['dpd']['seq_in']>0 for s in sas if s['conn_id']==$id]==[True]"
sleep 4
check "charon (dpd_timeout 3s) keeps the SA: the ACKs were right" iop_charon_established charon ikemon
check "ikemond's SA still QM_IDLE" is "[s['cisco_state'] for s in sas if s['conn_id']==$id]==['QM_IDLE']"
charon_log="$(iop_charon_dir charon)/charon.log"
acks=$(grep -c 'N(DPD_ACK)' "$charon_log")
check "charon parsed our ACKs ($acks lines 'N(DPD_ACK)' in its log)" test "$acks" -ge 3

# 2. charon frozen
pid=$(iop_charon_pid charon)
kill -STOP "$pid"
t0=$(date +%s.%N)
check "charon frozen: ikemond declares it dead (peer-dead)" \
	iop_wait 15 "peer-dead" is "any(s['conn_id']==$id and s['delete_reason']=='peer-dead' for s in sas)"
t1=$(date +%s.%N)
dead=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "# dead after $dead s frozen (dpd_delay 2 + dpd_timeout 3)"
check "declared dead 3.5 to 8 s after the freeze ($dead s)" awk -v d="$dead" 'BEGIN { exit !(d >= 3.5 && d <= 8) }'
check "counted: peers_dead 1, our R-U-THEREs unanswered" \
	is "g['dpd']['peers_dead']==1 and g['dpd']['r_u_there_out']>=1 and g['dpd']['ack_in']==0"

# 3. charon thawed
kill -CONT "$pid"
check "charon thawed: ikemond negotiates again to QM_IDLE" \
	iop_wait 20 "renegotiated" is "any(s['conn_id']>$id and s['cisco_state']=='QM_IDLE' for s in sas)"
check "charon shows ESTABLISHED again" iop_wait 10 "charon ESTABLISHED" iop_charon_established charon ikemon

iop_checks_done
