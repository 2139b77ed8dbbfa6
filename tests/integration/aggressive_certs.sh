#!/usr/bin/env bash
# Aggressive Mode with signatures (RFC 2409 5.1) between two ikemonds: certificates made
# here with the openssl command line (tests/integration/pki.sh).
#
#  1. good RSA and good ECDSA certificates, a initiating and then b: QM_IDLE on both sides
#     with exchange aggressive and the auth method, a phase-2 SA on top, the peer's
#     certificate subject, the Cisco state path AG_NO_STATE -> AG_INIT_EXCH -> AG_AUTH ->
#     QM_IDLE, and the responder's warning for aggressive = yes saying what signatures
#     expose (the identities), not the pre-shared key's offline guessing;
#  2. each bad certificate of the initiator a (refused by b in AM3): expired, not yet
#     valid, revoked (CRL), from another CA, names without a's address, none sent -- its
#     own cause on both sides and in both sides' alarms (a, up for an instant after AM3,
#     learns it from b's notify; its alarm says AG_AUTH);
#  3. each bad certificate of the responder b (refused by a in AM2), the same list, and a
#     SIG_R spoilt on the way (a relay, tests/tools/nat_relay.py --spoil-sig): bad-signature;
#     its own cause on both sides and in both sides' alarms;
#  4. a responder without aggressive = yes still refuses Aggressive Mode with signatures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pki.sh"

command -v openssl >/dev/null 2>&1 || skip "the openssl command is missing (scripts/deps installs it)"
RELAY=${abs_top_srcdir:-$(dirname "$0")/../..}/tests/tools/nat_relay.py
STALL_AFTER=2 QM_STALL_AFTER=2
export STALL_AFTER QM_STALL_AFTER

A=127.10.100.1
B=127.10.100.2
RELAY_IN=127.10.101.1
RELAY_OUT=127.10.101.2
P=$T/pki
mkdir -p "$P"
pki_ca "$P" "Test CA" || finish
pki_ca "$P" "Other CA" || finish
for n in a b; do
	if [ $n = a ]; then ip=$A; else ip=$B; fi
	pki_leaf "$P" "Test CA" $n-rsa rsa "IP:$ip" || finish
	pki_leaf "$P" "Test CA" $n-ecdsa ecdsa "IP:$ip" || finish
	pki_leaf "$P" "Test CA" $n-expired rsa "IP:$ip" "$(pki_ago 30)" "$(pki_ago 1)" || finish
	pki_leaf "$P" "Test CA" $n-notyet rsa "IP:$ip" "$(pki_ahead 2)" "$(pki_ahead 30)" || finish
	pki_leaf "$P" "Test CA" $n-revoked rsa "IP:$ip" || finish
	pki_revoke "$P" "Test CA" $n-revoked || finish
	pki_leaf "$P" "Other CA" $n-other rsa "IP:$ip" || finish
	pki_leaf "$P" "Test CA" $n-wrongname rsa "IP:127.10.100.9,DNS:elsewhere.example.net" || finish
done
pki_crl "$P" "Test CA" "$P/crl.pem" || finish
CA="$P/Test CA/ca.pem"

# pair ACERT BCERT [A LINES] [B LINES]: a (exchange = aggressive, auto = start) and b
# (aggressive = yes, auto = add); REMOTE_A / REMOTE_B: the addresses each side dials
pair() {
	pki_conf a $A b "${REMOTE_B:-$B}" "$P/$1" "$CA" "$P/crl.pem" "exchange = aggressive
auto = start
${3:-}"
	pki_conf b $B a "${REMOTE_A:-$A}" "$P/$2" "$CA" "$P/crl.pem" "aggressive = yes
auto = add
${4:-}"
}

path_in() { # NAME: the log shows the Cisco states of Aggressive Mode, in order
	grep -q 'AG_INIT_EXCH -> AG_AUTH' "$T/$1.log" && grep -q 'AG_AUTH -> QM_IDLE' "$T/$1.log"
}

# 1. good certificates, both ways
for kind in rsa ecdsa; do
	if [ $kind = rsa ]; then auth=rsa-sig; else auth=ecdsa-256; fi
	extra="esp = aes128-sha256"
	pair a-$kind b-$kind "$extra" "$extra"
	start b
	start a
	check "$kind: a (initiator) reaches QM_IDLE by Aggressive Mode with $auth" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='initiator' and s['transform']['auth_name']=='$auth' for s in sas)"
	check "$kind: b (responder) reaches QM_IDLE by Aggressive Mode with $auth" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='responder' and s['transform']['auth_name']=='$auth' for s in sas)"
	check "$kind: the Quick Mode on top installs its phase-2 SA" wait_for 10 sa_is a "any(s['children']['installed']==1 for s in sas)"
	check "$kind: a's SA record holds b's certificate subject" sa_is a "any(s['peer_cert_subject']=='C=CH, O=ikemon test, CN=b-$kind' for s in sas)"
	check "$kind: b's SA record holds a's certificate subject" sa_is b "any(s['peer_cert_subject']=='C=CH, O=ikemon test, CN=a-$kind' for s in sas)"
	check "$kind: b's state path AG_NO_STATE -> AG_INIT_EXCH -> AG_AUTH -> QM_IDLE" \
		eval "grep -q 'AG_NO_STATE -> AG_INIT_EXCH' '$T/b.log' && path_in b"
	check "$kind: a's state path AG_INIT_EXCH -> AG_AUTH -> QM_IDLE" path_in a
	check "$kind: b warns that Aggressive Mode sends the identities in the clear" \
		grep -q "peer a: aggressive = yes: Aggressive Mode sends both identities and certificates in the clear" "$T/b.log"
	check "$kind: ... and not about offline guessing of a pre-shared key" bash -c "! grep -q 'offline guessing' '$T/b.log'"
	check "$kind: no alarm on either side" bash -c "sleep 0.5; ! grep -q 'ALARM raised' '$T/a.log' '$T/b.log'"
	stop_all
	# the other way round: b initiates, a answers
	pair a-$kind b-$kind "$extra
aggressive = yes" "$extra
exchange = aggressive"
	sed -i 's/^auto = start/auto = add/' "$T/a.conf"
	sed -i 's/^auto = add/auto = start/' "$T/b.conf"
	start a
	start b
	check "$kind: b (initiator now) reaches QM_IDLE by Aggressive Mode with $auth" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='initiator' and s['transform']['auth_name']=='$auth' for s in sas)"
	check "$kind: a answered it as responder" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['exchange']=='aggressive' and s['role']=='responder' and s['peer_cert_subject']=='C=CH, O=ikemon test, CN=b-$kind' for s in sas)"
	stop_all
done

# 2. and 3. a bad certificate: CHECKER refuses REFUSED's message (AM3 or AM2) with CAUSE,
#    REFUSED learns the same cause (from the notify and its own certificate), both alarms
bad() { # ACERT BCERT CAUSE DESCRIPTION CHECKER [A LINES] [B LINES]
	local cause=$3 desc=$4 checker=$5 refused msg peer_c peer_r
	if [ "$checker" = b ]; then refused=a msg=AM3; else refused=b msg=AM2; fi
	peer_c=$refused peer_r=$checker
	pair "$1" "$2" "${6:-}" "${7:-}"
	start b
	start a
	check "$desc: $checker refuses $refused's $msg with $cause" wait_for 10 sa_is $checker "any(s['delete_reason']=='$cause' for s in sas)"
	check "$desc: $refused fails with $cause" wait_for 10 sa_is $refused "any(s['delete_reason']=='$cause' for s in sas)"
	check "$desc: $checker's alarm for $peer_c says $cause" wait_for 10 alarm_is $checker $peer_c "$cause"
	# an initiator whose AM3 is refused was up for an instant (QM_IDLE after AM3, then the
	# notify): the stall detector takes that back, and its alarm says the cause too
	check "$desc: $refused's alarm for $peer_r says $cause" wait_for 10 alarm_is $refused $peer_r "$cause"
	[ "$refused" = a ] &&
		check "$desc: a's alarm names AG_AUTH (refused after AM3, not up)" \
			grep -Eq "ALARM raised #[0-9]+ peer b .*AG_AUTH for [0-9]+ s" "$T/a.log"
	echo "#   $checker: $(sa_query $checker "[(s['state'], s['delete_reason'], s['cause_detail'], s['peer_cert_subject']) for s in sas][:1]")"
	echo "#   $refused: $(sa_query $refused "[(s['state'], s['delete_reason'], s['cause_detail']) for s in sas][:1]")"
	stop_all
}
bad a-expired b-rsa cert-expired "a expired" b
bad a-notyet b-rsa cert-not-yet-valid "a not yet valid" b
bad a-revoked b-rsa cert-revoked "a revoked in the CRL" b
bad a-other b-rsa cert-untrusted "a from another CA" b
bad a-wrongname b-rsa cert-id-mismatch "a's names without its address" b
bad a-rsa b-rsa no-certificate "a sends no certificate" b "send_cert = never"
bad a-rsa b-expired cert-expired "b expired" a
bad a-rsa b-notyet cert-not-yet-valid "b not yet valid" a
bad a-rsa b-revoked cert-revoked "b revoked in the CRL" a
bad a-rsa b-other cert-untrusted "b from another CA" a
bad a-rsa b-wrongname cert-id-mismatch "b's names without its address" a
bad a-rsa b-rsa no-certificate "b sends no certificate" a "" "send_cert = never"

# 3. b's SIG_R spoilt on the way: a relay between a and b flips a byte of AM2's SIG
python3 "$RELAY" --listen $RELAY_IN:500 --server $B:500 --source $RELAY_OUT --spoil-sig \
	--duration 60 2>"$T/relay.log" &
PID[relay]=$!
wait_for 5 grep -q "nat_relay: ready" "$T/relay.log" || { not_ok "the relay did not start"; finish; }
REMOTE_B=$RELAY_IN REMOTE_A=$RELAY_OUT bad a-rsa b-rsa bad-signature "b's SIG_R spoilt" a \
	"remote_id = $B" "remote_id = $A"
check "the relay spoilt one SIG" grep -q "spoilt the SIG" "$T/relay.log"
kill "${PID[relay]}"
wait "${PID[relay]}" 2>/dev/null
unset "PID[relay]"
check "a said why: the peer's SIG does not verify with its certificate" \
	grep -q "the peer's SIG does not verify with its certificate" "$T/a.scenario$SCENARIO.log.old"

# 4. aggressive = no on b: refused, whatever the authentication
pair a-ecdsa b-ecdsa
sed -i 's/^aggressive = yes$/aggressive = no/' "$T/b.conf"
start b
start a
check "aggressive = no: a fails with no-proposal-chosen (aggressive mode refused by the peer)" wait_for 10 sa_is a "any(s['delete_reason']=='no-proposal-chosen' and 'aggressive mode refused by the peer' in s['cause_detail'] for s in sas)"
check "aggressive = no: b says it refused (aggressive = no)" wait_for 10 sa_is b "any(s['delete_reason']=='no-proposal-chosen' and 'aggressive = no' in s['cause_detail'] for s in sas)"
stop_all
check "no log line holds key material" bash -c "! grep -h -e 'PRIVATE KEY' -e 'MIIE' '$T'/*.log* 2>/dev/null | grep -q ."
finish
