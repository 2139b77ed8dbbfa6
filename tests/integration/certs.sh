#!/usr/bin/env bash
# Certificate authentication between two ikemonds (RFC 2409 5.1, RFC 4754): certificates
# made here with the openssl command line (tests/integration/pki.sh).
#
#  1. good RSA and good ECDSA certificates (ECDSA: a sends its certificate when asked):
#     QM_IDLE on both sides and a phase-2 SA on top, the auth method in
#     `show crypto isakmp sa detail` (rsig, as IOS prints it) and --json, the peer's
#     certificate subject in the SA record, each loaded certificate's expiry in
#     ikemon_certificate_expiry_timestamp_seconds;
#  2. each bad certificate of the initiator a, its own cause on both sides and in both
#     sides' alarms: expired, not yet valid, revoked (CRL), from another CA, names that
#     do not hold a's identity, none sent (send_cert = never); and ECDSA against RSA
#     (no proposal chosen, saying why);
#  3. the responder's certificate refused in MM6 (expired): the initiator fails with
#     cert-expired, the responder, up for an instant, learns it from the notify, and
#     both alarms say so;
#  4. the private key file's mode is checked as a psk file's is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pki.sh"

command -v openssl >/dev/null 2>&1 || skip "the openssl command is missing (scripts/deps installs it)"
command -v curl >/dev/null 2>&1 || skip "curl is missing (scripts/deps installs it)"
STALL_AFTER=2 QM_STALL_AFTER=2
export STALL_AFTER QM_STALL_AFTER

A=127.10.50.1
B=127.10.50.2
HTTP=127.10.50.1:9731
P=$T/pki
mkdir -p "$P"
pki_ca "$P" "Test CA" || finish
pki_ca "$P" "Other CA" || finish
pki_leaf "$P" "Test CA" a-rsa rsa "IP:$A,DNS:gw-a.example.net" || finish
pki_leaf "$P" "Test CA" b-rsa rsa "IP:$B" || finish
pki_leaf "$P" "Test CA" a-ecdsa ecdsa "IP:$A" || finish
pki_leaf "$P" "Test CA" b-ecdsa ecdsa "IP:$B" || finish
pki_leaf "$P" "Test CA" a-expired rsa "IP:$A" "$(pki_ago 30)" "$(pki_ago 1)" || finish
pki_leaf "$P" "Test CA" b-expired rsa "IP:$B" "$(pki_ago 30)" "$(pki_ago 1)" || finish
pki_leaf "$P" "Test CA" a-notyet rsa "IP:$A" "$(pki_ahead 2)" "$(pki_ahead 30)" || finish
pki_leaf "$P" "Test CA" a-revoked rsa "IP:$A" || finish
pki_leaf "$P" "Other CA" a-other rsa "IP:$A" || finish
pki_leaf "$P" "Test CA" a-wrongname rsa "IP:127.10.50.9,DNS:elsewhere.example.net" || finish
pki_revoke "$P" "Test CA" a-revoked || finish
pki_crl "$P" "Test CA" "$P/crl.pem" || finish
CA="$P/Test CA/ca.pem"

# pair ACERT BCERT [A LINES] [B LINES]: a (auto = start) and b (auto = add)
pair() {
	pki_conf a $A b $B "$P/$1" "$CA" "$P/crl.pem" "auto = start
${3:-}" "[http]
listen = $HTTP"
	pki_conf b $B a $A "$P/$2" "$CA" "$P/crl.pem" "auto = add
${4:-}"
}

metric() { curl -s --max-time 5 "http://$HTTP/metrics"; }
enddate() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }

# 1. good certificates
for kind in rsa ecdsa; do
	if [ $kind = rsa ]; then auth=rsa-sig; ios=rsig; else auth=ecdsa-256; ios=ecdsa; fi
	# a phase-2 SA on top; ECDSA: a sends its certificate only when asked (b asks in MM4)
	extra="esp = aes128-sha256"
	[ $kind = ecdsa ] && extra="$extra
send_cert = ifasked"
	# RSA: b accepts any identity its certificate holds (remote_id = %any)
	bextra="esp = aes128-sha256"
	[ $kind = rsa ] && bextra="$bextra
remote_id = %any"
	pair a-$kind b-$kind "$extra" "$bextra"
	start b
	start a
	check "$kind: a (initiator) reaches QM_IDLE with $auth" wait_for 10 sa_is a "any(s['cisco_state']=='QM_IDLE' and s['transform']['auth_name']=='$auth' for s in sas)"
	check "$kind: the Quick Mode on top installs its phase-2 SA" wait_for 10 sa_is a "any(s['children']['installed']==1 for s in sas)"
	check "$kind: b (responder) reaches QM_IDLE with $auth" wait_for 10 sa_is b "any(s['cisco_state']=='QM_IDLE' and s['transform']['auth_name']=='$auth' for s in sas)"
	check "$kind: a's SA record holds b's certificate subject" sa_is a "any(s['peer_cert_subject']=='C=CH, O=ikemon test, CN=b-$kind' for s in sas)"
	check "$kind: b's SA record holds a's certificate subject" sa_is b "any(s['peer_cert_subject']=='C=CH, O=ikemon test, CN=a-$kind' for s in sas)"
	check "$kind: show crypto isakmp sa detail prints '$ios' in the Auth column" \
		bash -c "'$IKEMONCTL' -s '$T/a.sock' show crypto isakmp sa detail | grep -Eq '^[0-9]+ +$A +$B +ACTIVE aes +sha256 +$ios +14 '"
	want=$(enddate "$P/a-$kind.pem")
	check "$kind: ikemon_certificate_expiry_timestamp_seconds of a's own certificate is its notAfter ($want)" \
		bash -c "curl -s --max-time 5 http://$HTTP/metrics | grep -qxF 'ikemon_certificate_expiry_timestamp_seconds{peer=\"b\",subject=\"C=CH, O=ikemon test, CN=a-$kind\"} $want'"
	want=$(enddate "$CA")
	check "$kind: ... and of the CA ($want)" \
		bash -c "curl -s --max-time 5 http://$HTTP/metrics | grep -qxF 'ikemon_certificate_expiry_timestamp_seconds{peer=\"b\",subject=\"C=CH, O=ikemon test, CN=Test CA\"} $want'"
	if command -v promtool >/dev/null 2>&1; then
		check "$kind: promtool check metrics finds nothing to say of the scrape" \
			bash -c "curl -s --max-time 5 http://$HTTP/metrics | promtool check metrics >'$T/promtool.out' 2>&1 && ! grep -q . '$T/promtool.out'"
	fi
	check "$kind: no alarm on either side" bash -c "sleep 0.5; ! grep -q 'ALARM raised' '$T/a.log' '$T/b.log'"
	stop_all
done

# 2. each bad certificate of the initiator: b's cause (it checks a's MM5), a's cause
#    (from b's notify and what a knows of its own certificate), and both alarms
bad() { # CERT CAUSE DESCRIPTION [A LINES] [B LINES] [A CAUSE]
	local cert=$1 cause=$2 desc=$3 acause=${6:-$2}
	pair "$cert" b-rsa "${4:-}" "${5:-}"
	start b
	start a
	check "$desc: b refuses a's MM5 with $cause" wait_for 10 sa_is b "any(s['delete_reason']=='$cause' for s in sas)"
	check "$desc: a fails with $acause" wait_for 10 sa_is a "any(s['delete_reason']=='$acause' for s in sas)"
	check "$desc: b's alarm for a says $cause" wait_for 10 alarm_is b a "$cause"
	check "$desc: a's alarm for b says $acause" wait_for 10 alarm_is a b "$acause"
	echo "#   b: $(sa_query b "[(s['state'], s['delete_reason'], s['cause_detail'], s['peer_cert_subject']) for s in sas][:1]")"
	echo "#   a: $(sa_query a "[(s['state'], s['delete_reason'], s['cause_detail']) for s in sas][:1]")"
	stop_all
}
bad a-expired cert-expired "expired"
bad a-notyet cert-not-yet-valid "not yet valid"
bad a-revoked cert-revoked "revoked in the CRL"
bad a-other cert-untrusted "from another CA"
bad a-wrongname cert-id-mismatch "names without a's address"
bad a-rsa no-certificate "no certificate sent" "send_cert = never"
check "the hint of each cause reached the log" grep -q "hint: the certificate does not chain to a CA" "$T/b.scenario6.log.old"
bad a-ecdsa no-proposal-chosen "ECDSA against RSA" "" "" no-proposal-chosen
check "ECDSA against RSA: b says which auth methods differ" \
	grep -q "refused by us: the peer offers auth ecdsa-256, we use rsa-sig" "$T/b.scenario9.log.old"

# 3. the responder's certificate refused in MM6
pair a-rsa b-expired
start b
start a
check "MM6: a refuses b's expired certificate (cert-expired, the peer's certificate expired)" \
	wait_for 10 sa_is a "any(s['delete_reason']=='cert-expired' and s['cause_detail']=='the peer\\'s certificate expired' for s in sas)"
check "MM6: b, up for an instant, learns it from a's notify (cert-expired: our certificate)" \
	wait_for 10 sa_is b "any(s['delete_reason']=='cert-expired' and 'our certificate expired' in s['cause_detail'] for s in sas)"
check "MM6: a's alarm for b says cert-expired" wait_for 10 alarm_is a b cert-expired
check "MM6: b's alarm for a says cert-expired too (up for an instant does not count as up)" \
	wait_for 10 alarm_is b a cert-expired
stop_all

# 4. the key file's mode
chmod 644 "$P/a-rsa.key"
pair a-rsa b-rsa
timeout 10 "$IKEMOND" -c "$T/a.conf" -f >"$T/mode.out" 2>&1
check "a key file readable by others is refused at start, as a psk file is (exit $?)" \
	grep -q "key file $P/a-rsa.key is readable by group or others (chmod 600)" "$T/mode.out"
chmod 600 "$P/a-rsa.key"
check "no log line holds key material" bash -c "! grep -h -e 'PRIVATE KEY' -e 'MIIE' '$T'/*.log* 2>/dev/null | grep -q ."
finish
