#!/usr/bin/env bash
# snmp_certs.sh - IKEMON-MIB's certificate objects over SNMP (ikemond's embedded master
# agent): ikemonCertTable and ikemonSaPeerCertSubject, against the certificates (openssl
# x509) and against `show crypto isakmp sa --json'.
#
# A hub ikemond a (SNMP on 127.10.80.1:1161) with four peers:
#   b    a second ikemond, RSA certificates: QM_IDLE, rsaSig(3)
#   c    a third ikemond, ECDSA P-256 certificates: QM_IDLE, ecdsaSha256(9)
#   d    a fourth ikemond with a pre-shared key: QM_IDLE, no certificate rows, an empty
#        ikemonSaPeerCertSubject
#   old  configured (auto = add, nobody there) with an expired certificate of a's:
#        ikemonCertSecondsLeft negative
# Checked: every row of ikemonCertTable (index, role, subject, notBefore, notAfter as
# `openssl x509 -subject -startdate -enddate' print them, seconds left within a few
# seconds of notAfter - now); no rows for d; ikemonSaPeerCertSubject and
# ikemonSaAuthMethod of every SA equal the JSON's peer_cert_subject and transform.auth;
# GET of a row that does not exist (noSuchInstance), GETNEXT from partial and
# overlong indexes; snmptable and snmpget with IKEMON-MIB loaded (enumeration names).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pki.sh"

for tool in openssl snmpbulkwalk snmpget snmpgetnext python3; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages openssl, snmp, python3)"
done

A=127.10.80.1
B=127.10.80.2
C=127.10.80.3
D=127.10.80.4
O=127.10.80.9 # old: nobody there
AGENT=$A:1161
COMM=ikemon-test
ROOT=.1.3.6.1.4.1.8072.9999.9999.500.2
SNMP=(-v2c -c "$COMM" -t 5 -r 1)
SRCDIR=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BASE_MIBS=${IKEMON_MIBDIRS:-/var/cache/ikemon/mibs}
MIBS=(-M "$BASE_MIBS:/usr/share/snmp/mibs:$SRCDIR/mib" -m IKEMON-MIB)

P=$T/pki
mkdir -p "$P"
pki_ca "$P" "Test CA" || finish
NOW=$(date -u +%s)
day() { date -u -d "@$((NOW + $1 * 86400))" +%Y%m%d%H%M%SZ; }
pki_leaf "$P" "Test CA" a-rsa rsa "IP:$A" || finish
pki_leaf "$P" "Test CA" b-rsa rsa "IP:$B" "$(day -2)" "$(day 40)" || finish
pki_leaf "$P" "Test CA" a-ecdsa ecdsa "IP:$A" "$(day -1)" "$(day 20)" || finish
pki_leaf "$P" "Test CA" c-ecdsa ecdsa "IP:$C" || finish
pki_leaf "$P" "Test CA" a-expired rsa "IP:$A" "$(day -30)" "$(day -1)" || finish
CA="$P/Test CA/ca.pem"

SNMP_CONF="listen = udp:$AGENT
rocommunity = $COMM 127.0.0.0/8
persistent_dir = $T/snmp-a" write_conf a $A <<EOF
[peer b]
remote = $B
cert = $P/a-rsa.pem
key = $P/a-rsa.key
ca = $CA
auto = add
[peer c]
remote = $C
cert = $P/a-ecdsa.pem
key = $P/a-ecdsa.key
ca = $CA
auto = add
[peer d]
remote = $D
psk = "d-secret"
auto = add
[peer old]
remote = $O
cert = $P/a-expired.pem
key = $P/a-expired.key
ca = $CA
auto = add
EOF
write_conf b $B <<EOF
[peer a]
remote = $A
cert = $P/b-rsa.pem
key = $P/b-rsa.key
ca = $CA
auto = start
EOF
write_conf c $C <<EOF
[peer a]
remote = $A
cert = $P/c-ecdsa.pem
key = $P/c-ecdsa.key
ca = $CA
auto = start
EOF
write_conf d $D <<EOF
[peer a]
remote = $A
psk = "d-secret"
auto = start
EOF

start a
start b
start c
start d

snmp_up() { snmpget "${SNMP[@]}" -On "$AGENT" $ROOT.1.2.0 | grep -q '"'; }
check "a answers SNMP on $AGENT" wait_for 10 snmp_up
for n in b c d; do
	check "a's SA with $n reaches QM_IDLE" wait_for 20 sa_is a \
		"any(s['peer']=='$n' and s['cisco_state']=='QM_IDLE' for s in sas)"
done

# subject, notBefore and notAfter of a certificate file, as openssl prints them
certinfo() {
	local f=$1
	printf '%s\t%s\t%s\n' \
		"$(openssl x509 -in "$f" -noout -subject | sed -e 's/^subject=//' -e 's/ = /=/g')" \
		"$(date -u -d "$(openssl x509 -in "$f" -noout -startdate | cut -d= -f2)" +%s)" \
		"$(date -u -d "$(openssl x509 -in "$f" -noout -enddate | cut -d= -f2)" +%s)"
}
{
	printf 'b\t1\t1\t%s\n' "$(certinfo "$P/a-rsa.pem")"
	printf 'b\t2\t3\t%s\n' "$(certinfo "$CA")"
	printf 'c\t1\t1\t%s\n' "$(certinfo "$P/a-ecdsa.pem")"
	printf 'c\t2\t3\t%s\n' "$(certinfo "$CA")"
	printf 'old\t1\t1\t%s\n' "$(certinfo "$P/a-expired.pem")"
	printf 'old\t2\t3\t%s\n' "$(certinfo "$CA")"
} >"$T/expected"
echo "# expected rows (peer, index, role, subject, notBefore, notAfter):"
sed 's/^/#   /' "$T/expected"

PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$(cd "$(dirname "$0")" && pwd)" python3 - "$T" "$AGENT" "$COMM" "$IKEMONCTL" "$T/a.sock" "$ROOT" >"$T/py.out" 2>&1 <<'PY'
import datetime, json, subprocess, sys, time
import snmpwalk
from snmpwalk import date_and_time

T, AGENT, COMM, CTL, SOCK, ROOT = sys.argv[1:7]

def check(desc, cond):
    print(("ok" if cond else "not ok") + "\t" + desc)

def walk(sub):
    rows, _, rc = snmpwalk.walk(AGENT, COMM, ROOT, sub, 20, 60)
    return rows, rc

def name_index(name):
    return (len(name),) + tuple(name.encode())

def dat(t):
    return date_and_time(datetime.datetime.fromtimestamp(t, datetime.timezone.utc))

# ---- ikemonCertTable
expected = {}
for line in open(T + "/expected"):
    peer, k, role, subj, nb, na = line.rstrip("\n").split("\t")
    expected[name_index(peer) + (int(k),)] = (int(role), subj.encode(), int(nb), int(na))

t0 = time.time()
rows, rc = walk(10)
t1 = time.time()
check("snmpbulkwalk of ikemonCertTable exits 0", rc == 0)
check("ikemonCertTable rows are b.1 b.2 c.1 c.2 old.1 old.2, none for d (psk): %s" %
      sorted(rows), sorted(rows) == sorted(expected))
check("ikemonCertTable: 5 columns per row",
      all(sorted(r) == [2, 3, 4, 5, 6] for r in rows.values()))
for idx, (role, subj, nb, na) in sorted(expected.items()):
    r = rows.get(idx, {})
    name = bytes(idx[1:-1]).decode() + "." + str(idx[-1])
    check("%s: role %d (got %s)" % (name, role, r.get(2)), r.get(2) == role)
    check("%s: subject %s (openssl x509 -subject; got %s)" % (name, subj.decode(), r.get(3)),
          r.get(3) == subj)
    check("%s: notBefore %s (openssl x509 -startdate)" % (name, dat(nb).hex()), r.get(4) == dat(nb))
    check("%s: notAfter %s (openssl x509 -enddate)" % (name, dat(na).hex()), r.get(5) == dat(na))
    left = r.get(6)
    check("%s: seconds left %s within [%d, %d]" % (name, left, na - t1 - 2, na - t0 + 2),
          left is not None and na - t1 - 2 <= left <= na - t0 + 2)
check("old.1 (expired a day ago): seconds left negative",
      rows.get(name_index("old") + (1,), {}).get(6, 0) < -80000)

# ---- ikemonSaPeerCertSubject and ikemonSaAuthMethod against the JSON
def sas():
    return json.loads(subprocess.run([CTL, "-s", SOCK, "show", "crypto", "isakmp", "sa",
                                      "--json"], capture_output=True, text=True, timeout=30,
                                     check=True).stdout)["sas"]
before = {s["conn_id"]: s for s in sas()}
sa_rows, rc = walk(5)
after = {s["conn_id"]: s for s in sas()}
check("snmpbulkwalk of ikemonSaTable exits 0", rc == 0)
n = 0
for cid in sorted(set(before) & set(after)):
    s = after[cid]
    r = sa_rows.get((cid,), {})
    if before[cid]["peer_cert_subject"] != s["peer_cert_subject"]:
        continue
    n += 1
    check("SA %d (%s): ikemonSaPeerCertSubject '%s' = peer_cert_subject" % (
          cid, s["peer"], s["peer_cert_subject"]), r.get(46) == s["peer_cert_subject"].encode())
    check("SA %d (%s): ikemonSaAuthMethod %s = transform.auth %s" % (
          cid, s["peer"], r.get(18), s["transform"]["auth"]), r.get(18) == s["transform"]["auth"])
    if s["cisco_state"] == "QM_IDLE":
        want = {"b": (3, b"C=CH, O=ikemon test, CN=b-rsa"),
                "c": (9, b"C=CH, O=ikemon test, CN=c-ecdsa"), "d": (1, b"")}.get(s["peer"])
        check("SA %d (%s, QM_IDLE): auth method and subject are %s" % (cid, s["peer"], want),
              (r.get(18), r.get(46)) == want)
check("compared %d SAs" % n, n >= 3)
PY
while IFS=$'\t' read -r res desc; do
	case "$res" in
	ok) ok "$desc" ;;
	"not ok") not_ok "$desc" ;;
	*) not_ok "python: $res $desc" ;;
	esac
done <"$T/py.out"

# GET of a row that does not exist; GETNEXT from a partial index
check "GET ikemonCertRole.\"d\".1 (psk peer): noSuchInstance" bash -c \
	"snmpget ${SNMP[*]} -On $AGENT $ROOT.10.1.2.1.100.1 | grep -q 'No Such Instance'"
check "GET ikemonCertRole.\"b\".3: noSuchInstance" bash -c \
	"snmpget ${SNMP[*]} -On $AGENT $ROOT.10.1.2.1.98.3 | grep -q 'No Such Instance'"
check "GETNEXT from ikemonCertRole.\"b\" is ikemonCertRole.\"b\".1 = local(1)" bash -c \
	"snmpgetnext ${SNMP[*]} -On $AGENT $ROOT.10.1.2.1.98 | grep -qx '$ROOT.10.1.2.1.98.1 = INTEGER: 1'"
check "GETNEXT from ikemonCertRole.\"b\".2 is ikemonCertRole.\"c\".1" bash -c \
	"snmpgetnext ${SNMP[*]} -On $AGENT $ROOT.10.1.2.1.98.2 | grep -q '^$ROOT.10.1.2.1.99.1 = '"
check "GETNEXT from ikemonCertRole.\"c\".9 is ikemonCertRole.\"old\".1" bash -c \
	"snmpgetnext ${SNMP[*]} -On $AGENT $ROOT.10.1.2.1.99.9 | grep -q '^$ROOT.10.1.2.3.111.108.100.1 = '"
check "GETNEXT from the last row's role is the first row's subject" bash -c \
	"snmpgetnext ${SNMP[*]} -On $AGENT $ROOT.10.1.2.3.111.108.100.2 | grep -q '^$ROOT.10.1.3.1.98.1 = '"

# snmptable with IKEMON-MIB loaded: the enumeration's names, the SA's subject column
if [ -f "$BASE_MIBS/SNMPv2-SMI.mib" ] || [ -f "$BASE_MIBS/SNMPv2-SMI.txt" ]; then
	snmptable "${SNMP[@]}" "${MIBS[@]}" -Cf '|' -Ci "$AGENT" IKEMON-MIB::ikemonCertTable \
		>"$T/certs.txt" 2>"$T/certs.err"
	sed 's/^/#   /' "$T/certs.txt"
	check "snmptable IKEMON-MIB::ikemonCertTable: 6 rows, nothing on stderr" \
		test "$(grep -c '|' "$T/certs.txt")" -eq 7 -a ! -s "$T/certs.err"
	check "snmptable: old.1 is a local certificate of a-expired, seconds left negative" \
		grep -Eq '^"old"\.1\|local\|C=CH, O=ikemon test, CN=a-expired\|.*\|-[0-9]+ seconds$' "$T/certs.txt"
	check "snmptable: b.2 is the CA" grep -Eq '^"b"\.2\|ca\|C=CH, O=ikemon test, CN=Test CA\|' "$T/certs.txt"
	CB=$(sa_query a "[s['conn_id'] for s in sas if s['peer'] == 'b'][-1]")
	snmpget "${SNMP[@]}" "${MIBS[@]}" "$AGENT" IKEMON-MIB::ikemonSaPeerCertSubject.$CB \
		IKEMON-MIB::ikemonSaAuthMethod.$CB >"$T/sa.txt" 2>&1
	sed 's/^/#   /' "$T/sa.txt"
	check "snmpget ikemonSaPeerCertSubject.$CB and ikemonSaAuthMethod.$CB (b's SA) by name" \
		bash -c "grep -q 'ikemonSaPeerCertSubject.$CB = STRING: C=CH, O=ikemon test, CN=b-rsa' '$T/sa.txt' &&
			grep -q 'ikemonSaAuthMethod.$CB = INTEGER: rsaSig(3)' '$T/sa.txt'"
else
	echo "##### SKIPPED the snmptable checks: no base MIBs in $BASE_MIBS (scripts/deps unpacks them) #####"
fi
finish
