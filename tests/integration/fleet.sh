#!/usr/bin/env bash
# fleet.sh - the fleet examples (examples/fleet/) with real servers: three ikemonds,
# each with its Prometheus endpoint (n1 answers n2 with the right key and n3 with a
# wrong one), a Prometheus (Debian's package) running the example prometheus.yml with
# file-based discovery, the shipped ikemon.rules.yml and the example Alertmanager route
# (Debian's prometheus-alertmanager), which delivers to a webhook of the test's own.
#
# The example files are checked as shipped (promtool check config, amtool check-config,
# amtool config routes test); the running copies differ only in what a test needs:
# 1 s intervals instead of 30 s, the Alertmanager and webhook addresses on this test's
# loopback addresses, and group_wait 1 s.  The example targets/gateways.yml (documentation
# addresses) is not loaded: the test writes its own targets files.
. "$(dirname "$0")/lib.sh"

PROM=$(command -v prometheus || true)
[ -n "$PROM" ] || skip "no prometheus binary (Debian package prometheus)"
command -v promtool >/dev/null || skip "no promtool (Debian package prometheus)"
command -v curl >/dev/null || skip "no curl"
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
EX=$SRC/examples/fleet
AM=$(command -v prometheus-alertmanager || command -v alertmanager || true)
AMTOOL=$(command -v amtool || true)

N1=127.10.130.1 N2=127.10.130.2 N3=127.10.130.3 HOST=127.10.130.9
PROM_AT=$HOST:9090 AM_AT=$HOST:9093 HOOK_AT=$HOST:9095

write_conf n1 $N1 <<EOF
[http]
listen = $N1:9731
[peer n2]
remote = $N2
psk = "fleet-key"
auto = add
[peer n3]
remote = $N3
psk = "fleet-key"
auto = add
EOF
write_conf n2 $N2 <<EOF
[http]
listen = $N2:9731
[peer n1]
remote = $N1
psk = "fleet-key"
auto = start
EOF
RETRANSMIT_TIMEOUT=1 STALL_AFTER=2 write_conf n3 $N3 <<EOF
[http]
listen = $N3:9731
[peer n1]
remote = $N1
psk = "not-the-fleet-key"
auto = start
EOF
start n1
start n2
start n3

# ---------------------------------------------------------------- the examples as shipped

mkdir -p "$T/check"
cp "$EX/prometheus.yml" "$SRC/exporters/ikemon.rules.yml" "$T/check/"
check "promtool check config: the example prometheus.yml, with ikemon.rules.yml beside it" \
	bash -c "promtool check config '$T/check/prometheus.yml' >'$T/promtool.out' 2>&1 && grep -q 'SUCCESS: 1 rule files found' '$T/promtool.out'"
if [ -n "$AMTOOL" ]; then
	check "amtool check-config: the example alertmanager.yml" \
		bash -c "'$AMTOOL' check-config '$EX/alertmanager.yml' >'$T/amtool.out' 2>&1"
	route() { [ "$("$AMTOOL" config routes test --config.file="$EX/alertmanager.yml" "$@" 2>/dev/null)" = "$R" ]; }
	R=ikemon-noc check "route: IkemonPeerStalled (warning) -> ikemon-noc" route alertname=IkemonPeerStalled severity=warning
	R=ikemon-oncall check "route: IkemonPeerDown (critical) -> ikemon-oncall" route alertname=IkemonPeerDown severity=critical
	R=ikemon-oncall check "route: IkemondDown (critical) -> ikemon-oncall" route alertname=IkemondDown severity=critical
	R=default check "route: any other alert -> default" route alertname=DiskFull severity=critical
else
	echo "##### amtool not found (Debian package prometheus-alertmanager): the example"
	echo "##### alertmanager.yml was NOT checked, and no Alertmanager runs in this test #####"
fi

# ---------------------------------------------------------------- running copies

# a webhook receiver: each POST body becomes $T/hooks/N.json, its path in N.path
mkdir -p "$T/hooks"
python3 - "$HOST" 9095 "$T/hooks" >"$T/hook.log" 2>&1 <<'PY' &
import http.server, sys, os, itertools
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n = itertools.count(1)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        i = next(n)
        open(os.path.join(out, "%d.json" % i), "wb").write(body)
        open(os.path.join(out, "%d.path" % i), "w").write(self.path)
        self.send_response(200)
        self.end_headers()
http.server.HTTPServer((host, port), H).serve_forever()
PY
PID[hook]=$!

mkdir -p "$T/prom/targets"
cp "$SRC/exporters/ikemon.rules.yml" "$T/prom/"
sed -e 's/^\(  scrape_interval:\) 30s/\1 1s/' -e 's/^\(  evaluation_interval:\) 30s/\1 1s/' \
	-e 's/^\(    scrape_timeout:\) 10s/\1 1s/' -e "s/'127.0.0.1:9093'/'$AM_AT'/" \
	"$EX/prometheus.yml" >"$T/prom/prometheus.yml"
check "the running copy differs from the example in 4 lines only (intervals, Alertmanager)" \
	bash -c "[ \$(diff '$EX/prometheus.yml' '$T/prom/prometheus.yml' | grep -c '^>') = 4 ]"
# two gateways now, the third later (discovery without a reload)
cat >"$T/prom/targets/fleet.yml" <<EOF
- targets: ['$N1:9731']
  labels:
    gateway: gw-n1
    role: hub
- targets: ['$N2:9731']
  labels:
    gateway: gw-n2
    role: branch
EOF

if [ -n "$AM" ]; then
	mkdir -p "$T/am"
	sed -e "s|http://127.0.0.1:9095/|http://$HOOK_AT/|" -e 's/^\(      group_wait:\) 30s/\1 1s/' \
		"$EX/alertmanager.yml" >"$T/am/alertmanager.yml"
	"$AM" --config.file="$T/am/alertmanager.yml" --storage.path="$T/am/data" \
		--web.listen-address="$AM_AT" --cluster.listen-address= >"$T/alertmanager.log" 2>&1 &
	PID[alertmanager]=$!
fi
"$PROM" --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
	--web.listen-address="$PROM_AT" >"$T/prometheus.log" 2>&1 &
PID[prometheus]=$!

# q EXPR PYEXPR: a PromQL instant query; `r` is the result vector
q() {
	curl -sf --max-time 2 "http://$PROM_AT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c "import json,sys; r=json.load(sys.stdin)['data']['result']; print($2)"
}
q_is() { [ "$(q "$1" "$2")" = True ]; }
# api PATH PYEXPR: a GET of Prometheus's API; `d` is its data
api_is() {
	[ "$(curl -sf --max-time 2 "http://$PROM_AT/api/v1/$1" |
		python3 -c "import json,sys; d=json.load(sys.stdin)['data']; print($2)")" = True ]
}

check "file discovery: gw-n1 and gw-n2 scraped, up (instance = the gateway label)" \
	wait_for 30 q_is 'up{job="ikemon"}' "sorted((s['metric']['instance'], s['value'][1]) for s in r)==[('gw-n1','1'),('gw-n2','1')]"
cat >"$T/prom/targets/added.yml" <<EOF
- targets: ['$N3:9731']
  labels:
    gateway: gw-n3
EOF
check "a gateway added in a new targets file is scraped without a reload: all three up" \
	wait_for 30 q_is 'up{job="ikemon"} == 1' "sorted(s['metric']['instance'] for s in r)==['gw-n1','gw-n2','gw-n3']"
check "the targets keep their file labels (role=hub on gw-n1)" \
	api_is targets "any(t['labels'].get('instance')=='gw-n1' and t['labels'].get('role')=='hub' and t['health']=='up' for t in d['activeTargets'])"
check "ikemon_peer_up: the good pair is up on both ends, n3 is not" \
	wait_for 20 q_is 'ikemon_peer_up' "{(s['metric']['instance'], s['metric']['peer']): s['value'][1] for s in r}=={('gw-n1','n2'):'1',('gw-n1','n3'):'0',('gw-n2','n1'):'1',('gw-n3','n1'):'0'}"
alert_is() { # PYEXPR over `a`, the alerts Prometheus holds
	[ "$(curl -sf --max-time 2 "http://$PROM_AT/api/v1/alerts" |
		python3 -c "import json,sys; a=json.load(sys.stdin)['data']['alerts']; print($1)")" = True ]
}
check "IkemonPeerStalled fires on gw-n1 for the wrong-key peer n3: MM_KEY_EXCH, key-mismatch" \
	wait_for 30 alert_is "any(x['labels']['alertname']=='IkemonPeerStalled' and x['labels']['instance']=='gw-n1' and x['labels']['peer']=='n3' and x['labels']['state']=='MM_KEY_EXCH' and x['labels']['cause']=='key-mismatch' and x['state']=='firing' for x in a)"
check "... and on gw-n3 for its side of the pair" \
	wait_for 10 alert_is "any(x['labels']['alertname']=='IkemonPeerStalled' and x['labels']['instance']=='gw-n3' and x['labels']['peer']=='n1' and x['state']=='firing' for x in a)"
check "no alert for the good pair" \
	alert_is "not any(x['labels'].get('peer') in ('n2',) or (x['labels'].get('instance')=='gw-n2') for x in a)"
check "federation: /federate hands the fleet's ikemon_peer_up to a global Prometheus" \
	bash -c "curl -sf --max-time 2 -G 'http://$PROM_AT/federate' --data-urlencode 'match[]={__name__=~\"ikemon_peer_up\"}' | grep -c '^ikemon_peer_up{' | grep -qx 4"

if [ -n "$AM" ]; then
	am_is() { # PYEXPR over `a`, the alerts Alertmanager holds (API v2)
		[ "$(curl -sf --max-time 2 "http://$AM_AT/api/v2/alerts" |
			python3 -c "import json,sys; a=json.load(sys.stdin); print($1)")" = True ]
	}
	check "Alertmanager received IkemonPeerStalled for n3, routed to ikemon-noc, with the external label site" \
		wait_for 30 am_is "any(x['labels']['alertname']=='IkemonPeerStalled' and x['labels']['peer']=='n3' and [r['name'] for r in x['receivers']]==['ikemon-noc'] and x['labels'].get('site')=='example-site' for x in a)"
	hook_is() { # PYEXPR over `h`, the webhook deliveries: (path, body) pairs
		python3 - "$T/hooks" "$1" <<'PY'
import glob, json, os, sys
h = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    h.append((open(f[:-5] + ".path").read(), json.load(open(f))))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
	}
	check "the ikemon-noc webhook was notified: IkemonPeerStalled, peer n3 on gw-n1, firing" \
		wait_for 30 hook_is "any(p=='/ikemon-noc' and b['status']=='firing' and any(al['labels']['alertname']=='IkemonPeerStalled' and al['labels']['peer']=='n3' and al['labels']['instance']=='gw-n1' for al in b['alerts']) for p, b in h)"
	check "grouped by instance and peer: that notification holds n3's alert only" \
		hook_is "all(b['groupLabels']=={'instance':'gw-n1','peer':'n3'} and len(b['alerts'])==1 for p, b in h if any(al['labels'].get('instance')=='gw-n1' for al in b['alerts']))"
fi
check "no secret in any scrape" \
	bash -c "! curl -sf http://$N1:9731/metrics http://$N3:9731/metrics | grep -q 'fleet-key'"
finish
