#!/usr/bin/env bash
# A real Prometheus server (Debian's package), started here on loopback, scrapes a hub
# ikemond with one good and one wrong-key spoke; its HTTP API must show the expected
# series and values, and the shipped IkemonPeerStalled alert must fire for the wrong key.
. "$(dirname "$0")/lib.sh"

PROM=$(command -v prometheus || true)
[ -n "$PROM" ] || skip "no prometheus binary (Debian package prometheus)"
command -v curl >/dev/null || skip "no curl"
RULES=${abs_top_srcdir:-$(dirname "$0")/../..}/exporters/ikemon.rules.yml

HUB=127.10.11.1 S1=127.10.11.2 S2=127.10.11.3 PROM_AT=127.10.11.9:9090
write_conf hub $HUB <<EOF2
[http]
listen = $HUB:9731
[peer spoke1]
remote = $S1
psk = "good"
auto = add
[peer spoke2]
remote = $S2
psk = "good"
auto = add
EOF2
write_conf spoke1 $S1 <<EOF2
[peer hub]
remote = $HUB
psk = "good"
auto = start
EOF2
RETRANSMIT_TIMEOUT=1 STALL_AFTER=2 write_conf spoke2 $S2 <<EOF2
[peer hub]
remote = $HUB
psk = "not-good"
auto = start
EOF2
start hub
start spoke1
start spoke2

mkdir -p "$T/prom"
cat >"$T/prom/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: ikemon
    static_configs:
      - targets: ['$HUB:9731']
EOF2
"$PROM" --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
	--web.listen-address=$PROM_AT >"$T/prometheus.log" 2>&1 &
PID[prometheus]=$!

# q EXPR PYEXPR: run a PromQL instant query; `r` is the result vector
q() {
	curl -sf --max-time 2 "http://$PROM_AT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c "import json,sys; r=json.load(sys.stdin)['data']['result']; print($2)"
}
q_is() { [ "$(q "$1" "$2")" = True ]; }

check "Prometheus is up and scrapes ikemond (up == 1)" wait_for 30 q_is 'up{job="ikemon"}' "len(r)==1 and r[0]['value'][1]=='1'"
check "ikemon_peer_up: spoke1 1, spoke2 0" wait_for 20 q_is 'ikemon_peer_up' "{s['metric']['peer']: s['value'][1] for s in r}=={'spoke1':'1','spoke2':'0'}"
check "ikemon_ike_sas{state=\"QM_IDLE\"} counts spoke1's SA" q_is 'ikemon_ike_sas{state="QM_IDLE"}' "len(r)==1 and float(r[0]['value'][1])>=1"
check "ikemon_peer_state: spoke1 at QM_IDLE" q_is 'ikemon_peer_state{peer="spoke1"} == 1' "len(r)==1 and 'QM_IDLE' in json.dumps(r[0]['metric'])"
check "ikemon_peer_stalled for spoke2: MM_KEY_EXCH, key-mismatch" wait_for 20 q_is 'ikemon_peer_stalled' "len(r)==1 and r[0]['metric']['peer']=='spoke2' and r[0]['metric']['state']=='MM_KEY_EXCH' and r[0]['metric']['cause']=='key-mismatch'"
check "ikemon_alarms_active{cause=\"key-mismatch\"} is 1" q_is 'ikemon_alarms_active{cause="key-mismatch"}' "len(r)==1 and r[0]['value'][1]=='1'"
check "the shipped IkemonPeerStalled alert fires for spoke2" wait_for 20 bash -c "curl -sf --max-time 2 http://$PROM_AT/api/v1/alerts | python3 -c \"import json,sys; a=json.load(sys.stdin)['data']['alerts']; sys.exit(0 if any(x['labels']['alertname']=='IkemonPeerStalled' and x['labels']['peer']=='spoke2' and x['state']=='firing' for x in a) else 1)\""
check "handshake durations are observed" q_is 'ikemon_ike_handshake_duration_seconds_count' "len(r)==1 and float(r[0]['value'][1])>=1"
out=$(curl -sf "http://$HUB:9731/metrics" | promtool check metrics 2>&1)
check "promtool check metrics on a live scrape reports nothing ($out)" test -z "$out"
check "OpenMetrics when asked: its content type, and # EOF last" bash -c "curl -sf -D $T/h -H 'Accept: application/openmetrics-text;version=1.0.0' http://$HUB:9731/metrics | tail -n 1 | grep -qx '# EOF' && grep -qi '^content-type: application/openmetrics-text' $T/h"
check "gzip when asked: the same exposition, compressed" bash -c "curl -sf -H 'Accept-Encoding: gzip' -D $T/hz http://$HUB:9731/metrics | gunzip | grep -q '^ikemon_peer_up{peer=\"spoke1\"} 1' && grep -qi '^content-encoding: gzip' $T/hz"
check "404 for another path, 405 for POST" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' http://$HUB:9731/nope) = 404 ] && [ \$(curl -s -o /dev/null -w '%{http_code}' -X POST http://$HUB:9731/metrics) = 405 ]"
# every family the shipped dashboard and rules query exists in a live scrape (a typo in
# a panel or a rule would otherwise show nothing, silently)
EXP=${abs_top_srcdir:-$(dirname "$0")/../..}/exporters
curl -sf "http://$HUB:9731/metrics" >"$T/scrape.txt"
missing=$(python3 - "$T/scrape.txt" "$EXP/grafana-dashboard.json" "$RULES" <<'PY'
import re, sys
have = set()
for line in open(sys.argv[1]):
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        name, kind = m.groups()
        have.add(name)
        if kind == "histogram":
            have.update(name + s for s in ("_bucket", "_sum", "_count"))
used = set()
for f in sys.argv[2:]:
    used.update(re.findall(r"\bikemon_[a-z_]+\b", open(f).read()))
print(" ".join(sorted(u for u in used if u not in have)))
PY
)
check "every ikemon_ family the dashboard and the rules use is exported (missing: ${missing:-none})" test -z "$missing"
check "no secret in the scrape" bash -c "! curl -sf http://$HUB:9731/metrics | grep -q -e good -e not-good"
finish
