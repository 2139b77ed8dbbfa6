#!/usr/bin/env bash
# http_access.sh - who may read /metrics, and how much a client may take:
#   - TLS (tls_cert, tls_key) with a certificate of a test CA made here: curl verifies
#     it against that CA, and fails against the system's;
#   - basic auth with auth_password_file (a crypt(3) SHA-512 hash, mode-checked): no or
#     wrong credentials are 401 with WWW-Authenticate; the password is never logged;
#   - a request body is 413, headers past max_request 431, a huge header refused;
#   - max_connections_per_ip: a flood of idle connections from one address is cut at
#     the limit while a scrape from another still works; past max_connections nothing
#     more is accepted (until idle ones time out);
#   - a real Prometheus scrapes it over TLS with basic auth (up == 1);
#   - [http] without listen binds 127.0.0.1:9731 only (in a network namespace of its own).
. "$(dirname "$0")/lib.sh"

for tool in curl openssl python3; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages curl, openssl, python3)"
done
PROM=$(command -v prometheus || true)

A=127.10.111.1 # TLS + basic auth
SCRAPER=127.10.111.5
PROM_AT=127.10.111.9:9810
URL=https://$A:9801/metrics
PASS=scrape-pass-$$

# a test CA and a certificate for $A signed by it
mkdir -p "$T/pki"
(
	cd "$T/pki" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=ikemon test CA" -keyout ca.key -out ca.pem &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=$A" -keyout server.key -out server.csr &&
		printf 'subjectAltName = IP:%s\nextendedKeyUsage = serverAuth\n' "$A" >ext.cnf &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile ext.cnf -out server.pem
) >"$T/pki.log" 2>&1 || { not_ok "a test CA with openssl ($(tail -n 3 "$T/pki.log"))"; finish; }
chmod 600 "$T/pki/server.key"
openssl passwd -6 "$PASS" >"$T/http.hash"
chmod 600 "$T/http.hash"

write_conf a $A <<EOF
[http]
listen = $A:9801
tls_cert = $T/pki/server.pem
tls_key = $T/pki/server.key
auth_user = prom
auth_password_file = $T/http.hash
max_connections = 6
max_connections_per_ip = 3
timeout = 5
max_request = 4096
EOF

# the hash file is checked as a key file is
chmod 644 "$T/http.hash"
out=$("$IKEMOND" -f -c "$T/a.conf" 2>&1 | head -n 1)
check "auth_password_file readable by others: refused ($out)" grep -q "readable by group or others" <<<"$out"
chmod 600 "$T/http.hash"
echo 'not-a-hash' >"$T/bad.hash"
chmod 600 "$T/bad.hash"
sed "s|$T/http.hash|$T/bad.hash|" "$T/a.conf" >"$T/bad.conf"
out=$("$IKEMOND" -f -c "$T/bad.conf" 2>&1 | head -n 1)
check "auth_password_file without a crypt(3) hash: refused ($out)" grep -q "holds no crypt(3) hash" <<<"$out"

start a
C=(curl -s --max-time 5 --interface "$SCRAPER")
code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
check "TLS + basic auth: a scrape verified against the test CA is 200 with the metrics" \
	wait_for 5 bash -c "${C[*]} -f --cacert $T/pki/ca.pem -u prom:$PASS $URL | grep -q '^ikemon_build_info'"
check "the certificate does not verify against the system's CAs" \
	bash -c "! ${C[*]} -f -u prom:$PASS $URL >/dev/null"
check "plain HTTP to the TLS port gets no page" bash -c "! ${C[*]} -f http://$A:9801/metrics >/dev/null"
check "no credentials: 401" test "$(code --cacert "$T/pki/ca.pem" "$URL")" = 401
check "... with WWW-Authenticate: Basic realm=\"ikemon\"" \
	bash -c "${C[*]} -D - -o /dev/null --cacert $T/pki/ca.pem $URL | grep -qi '^WWW-Authenticate: Basic realm=\"ikemon\"'"
check "a wrong password: 401" test "$(code --cacert "$T/pki/ca.pem" -u prom:wrong "$URL")" = 401
check "a wrong user with the right password: 401" \
	test "$(code --cacert "$T/pki/ca.pem" -u someone:"$PASS" "$URL")" = 401
check "the hash itself as the password: 401" \
	test "$(code --cacert "$T/pki/ca.pem" -u prom:"$(cat "$T/http.hash")" "$URL")" = 401

# request size
check "GET with a body: 413" \
	test "$(code --cacert "$T/pki/ca.pem" -u prom:"$PASS" -X GET --data 0123456789 "$URL")" = 413
check "POST with a body: 413 (before any other answer)" \
	test "$(code --cacert "$T/pki/ca.pem" -X POST --data-binary @/etc/hostname "$URL")" = 413
big=$(head -c 5000 /dev/zero | tr '\0' x)
check "a 5000-byte header (max_request 4096): 431" \
	test "$(code --cacert "$T/pki/ca.pem" -u prom:"$PASS" -H "X-Big: $big" "$URL")" = 431
{ printf 'X-Huge: '; head -c 200000 /dev/zero | tr '\0' x; echo; } >"$T/huge.hdr"
out=$(code --cacert "$T/pki/ca.pem" -u prom:"$PASS" -H @"$T/huge.hdr" "$URL")
check "a 200000-byte header: refused, no metrics (status $out)" test "$out" != 200
check "a scrape after all that still works" \
	bash -c "${C[*]} -f --cacert $T/pki/ca.pem -u prom:$PASS $URL | grep -q '^ikemon_build_info'"

# connection limits: idle TCP connections (no TLS hello) from given source addresses;
# prints how many the server still holds open after a second
flood() { # PORT COUNT SOURCE...
	python3 - "$A" "$@" <<'PY'
import socket, sys, time
host, port, count, sources = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
socks = []
for src in sources:
    for _ in range(count):
        s = socket.socket()
        s.settimeout(2)
        s.bind((src, 0))
        try:
            s.connect((host, port))
            socks.append(s)
        except OSError:
            s.close()
time.sleep(1.0)
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        alive += 0 if s.recv(1) == b"" else 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print(alive, flush=True)
time.sleep(3) # held while the caller checks a scrape
PY
}
coproc FLOOD { flood 9801 10 127.10.111.6 </dev/null; }
fp=$FLOOD_PID
read -r -t 10 held <&"${FLOOD[0]}"
check "10 idle connections from one address: the server holds max_connections_per_ip = 3 ($held)" \
	test "${held:-x}" = 3
check "... while a scrape from another address works" \
	bash -c "${C[*]} -f --cacert $T/pki/ca.pem -u prom:$PASS $URL | grep -q '^ikemon_build_info'"
wait "$fp" 2>/dev/null
coproc FLOOD { flood 9801 3 127.10.111.6 127.10.111.7 127.10.111.8 </dev/null; }
fp=$FLOOD_PID
read -r -t 10 held <&"${FLOOD[0]}"
check "3 idle connections from each of 3 addresses: max_connections = 6 reached, a scrape waits (not served in 2 s)" \
	bash -c "! curl -sf --max-time 2 --interface $SCRAPER --cacert $T/pki/ca.pem -u prom:$PASS $URL >/dev/null"
wait "$fp" 2>/dev/null
check "the flood gone, scrapes work again" \
	wait_for 5 bash -c "${C[*]} -f --cacert $T/pki/ca.pem -u prom:$PASS $URL | grep -q '^ikemon_build_info'"

# a real Prometheus, over TLS with basic auth
if [ -n "$PROM" ]; then
	mkdir -p "$T/prom"
	printf '%s\n' "$PASS" >"$T/prom/password"
	cat >"$T/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ikemon-tls
    scheme: https
    tls_config:
      ca_file: $T/pki/ca.pem
    basic_auth:
      username: prom
      password_file: $T/prom/password
    static_configs:
      - targets: ['$A:9801']
  - job_name: ikemon-nopass
    scheme: https
    tls_config:
      ca_file: $T/pki/ca.pem
    static_configs:
      - targets: ['$A:9801']
EOF
	"$PROM" --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
		--web.listen-address=$PROM_AT >"$T/prometheus.log" 2>&1 &
	PID[prometheus]=$!
	q_is() { # EXPR PYEXPR
		curl -sf --max-time 2 "http://$PROM_AT/api/v1/query" --data-urlencode "query=$1" |
			python3 -c "import json,sys; r=json.load(sys.stdin)['data']['result']; sys.exit(0 if ($2) else 1)"
	}
	check "Prometheus scrapes over TLS with basic auth: up{job=\"ikemon-tls\"} == 1" \
		wait_for 30 q_is 'up{job="ikemon-tls"}' "len(r)==1 and r[0]['value'][1]=='1'"
	check "... and has ikemon_build_info from it" \
		wait_for 10 q_is 'ikemon_build_info{job="ikemon-tls"}' "len(r)==1"
	check "the job without credentials is down (401): up{job=\"ikemon-nopass\"} == 0" \
		wait_for 10 q_is 'up{job="ikemon-nopass"}' "len(r)==1 and r[0]['value'][1]=='0'"
	stop prometheus
else
	echo "##### prometheus not found (Debian package prometheus): the Prometheus scrape was not tried #####"
fi

check "neither the password nor its hash is in the log" \
	bash -c "! grep -qF -e '$PASS' -e '$(cat "$T/http.hash")' $T/a.log"

# the default listen address: 127.0.0.1:9731, in a namespace of our own (no clash)
if command -v unshare >/dev/null 2>&1 && command -v ss >/dev/null 2>&1; then
	write_conf d 127.10.111.3 <<EOF
[http]
EOF
	out=$(unshare -n bash -c "ip link set lo up && { '$IKEMOND' -f -c '$T/d.conf' 2>'$T/d.log' & p=\$!; \
		for i in \$(seq 50); do ss -Htln | grep -q ':9731 ' && break; sleep 0.1; done; \
		ss -Htln | awk '{print \$4}'; curl -sf --max-time 2 http://127.0.0.1:9731/metrics | grep -c '^ikemon_build_info'; \
		kill \$p; wait \$p; }" 2>&1)
	check "[http] without listen: TCP 127.0.0.1:9731 alone is bound ($(echo $out))" \
		test "$(echo $out)" = "127.0.0.1:9731 1"
else
	echo "##### unshare or ss not found: the default listen address was not checked #####"
fi
finish
