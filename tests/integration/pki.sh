# pki.sh - certificates for the tests, made with the openssl command line: CAs, leaf
# certificates (RSA or ECDSA) with chosen names and validity, revocations and CRLs.
# Sourced by tests/integration/certs.sh and tests/interop/charon_certs.sh.
#
#   pki_ca DIR NAME [KEYTYPE]      a self-signed CA "CN=NAME" in DIR/NAME/ (ca.pem, ca.key);
#                                  KEYTYPE rsa (default) or ecdsa
#   pki_leaf DIR CA NAME KEYTYPE SAN [START END]
#                                  DIR/NAME.pem and DIR/NAME.key (mode 600) issued by CA:
#                                  subject "C=CH, O=ikemon test, CN=NAME", subjectAltName
#                                  SAN ("IP:10.0.0.1,DNS:gw.example.net"), keyUsage
#                                  digitalSignature; START and END as YYYYMMDDHHMMSSZ
#                                  (default: from a day ago for 30 days)
#   pki_revoke DIR CA NAME         revoke DIR/NAME.pem in CA's database
#   pki_crl DIR CA OUT             CA's CRL (PEM) into OUT
#   pki_ago DAYS, pki_ahead DAYS   the time DAYS days before or after now, as START and
#                                  END want it
#   pki_conf NAME ADDR PEER REMOTE CERT CA CRL [LINES] [HEAD]
#                                  an integration test's write_conf NAME ADDR: alarm_holddown
#                                  = 0, HEAD, and [peer PEER] at REMOTE authenticating with
#                                  CERT.pem and CERT.key, trusting CA with the CRL file CRL,
#                                  then LINES
#
# openssl's `ca` command keeps a database per CA (index.txt, serial): it is the one
# tool of the CLI that sets arbitrary start and end dates (an expired certificate, one
# not valid yet) and revokes.  Every call fails the caller's test with a message on error.

pki_fail() {
	echo "pki: $*" >&2
	return 1
}

# a key of type rsa (2048 bits) or ecdsa (P-256) into FILE, mode 600, PKCS#8 PEM
pki_key() {
	local type=$1 out=$2
	( umask 077
	  case "$type" in
	  rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out" ;;
	  ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out" ;;
	  *) false ;;
	  esac ) 2>/dev/null || pki_fail "cannot make a $type key $out"
}

pki_ca() {
	local dir=$1 name=$2 type=${3:-rsa} d
	d=$dir/$name
	mkdir -p "$d/newcerts" || return 1
	: >"$d/index.txt"
	echo 1000 >"$d/serial"
	echo 1000 >"$d/crlnumber"
	cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = this
[this]
dir = $d
database = $d/index.txt
new_certs_dir = $d/newcerts
serial = $d/serial
crlnumber = $d/crlnumber
default_md = sha256
policy = anything
copy_extensions = copy
default_crl_days = 30
unique_subject = no
[anything]
countryName = optional
organizationName = optional
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:false
keyUsage = digitalSignature
authorityKeyIdentifier = keyid
EOF
	pki_key "$type" "$d/ca.key" || return 1
	openssl req -x509 -new -key "$d/ca.key" -out "$d/ca.pem" -days 3650 \
		-subj "/C=CH/O=ikemon test/CN=$name" -config "$d/ca.cnf" -extensions v3_ca \
		>/dev/null 2>&1 || pki_fail "cannot make CA $name"
}

pki_leaf() {
	local dir=$1 ca=$2 name=$3 type=$4 san=$5
	local start=${6:-$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)}
	local end=${7:-$(date -u -d '30 days' +%Y%m%d%H%M%SZ)}
	local d=$dir/$ca
	pki_key "$type" "$dir/$name.key" || return 1
	openssl req -new -key "$dir/$name.key" -out "$dir/$name.csr" \
		-subj "/C=CH/O=ikemon test/CN=$name" -addext "subjectAltName=$san" \
		>/dev/null 2>&1 || pki_fail "cannot make the request of $name"
	openssl ca -batch -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" \
		-in "$dir/$name.csr" -out "$dir/$name.pem" -extensions leaf -preserveDN -notext \
		-startdate "$start" -enddate "$end" >"$dir/$name.ca.log" 2>&1 ||
		pki_fail "CA $ca cannot issue $name: $(tail -n 3 "$dir/$name.ca.log")"
}

pki_revoke() {
	local dir=$1 ca=$2 name=$3 d=$1/$2
	openssl ca -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" \
		-revoke "$dir/$name.pem" >/dev/null 2>&1 || pki_fail "CA $ca cannot revoke $name"
}

pki_crl() {
	local dir=$1 ca=$2 out=$3 d=$1/$2
	openssl ca -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" -gencrl \
		-out "$out" >/dev/null 2>&1 || pki_fail "CA $ca cannot make its CRL"
}

pki_conf() {
	write_conf "$1" "$2" <<EOF
alarm_holddown = 0
${9:-}
[peer $3]
remote = $4
cert = $5.pem
key = $5.key
ca = $6
crl = $7
${8:-}
EOF
}

pki_ago() { date -u -d "@$(($(date -u +%s) - $1 * 86400))" +%Y%m%d%H%M%SZ; }
pki_ahead() { date -u -d "@$(($(date -u +%s) + $1 * 86400))" +%Y%m%d%H%M%SZ; }
