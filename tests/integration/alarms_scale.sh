#!/usr/bin/env bash
# 1,000 peers stalling at once (nothing answers at their addresses): 1,000 alarms, each
# raised once and only once, while ikemond keeps answering its control socket.
. "$(dirname "$0")/lib.sh"

N=${ALARM_PEERS:-1000}
A=127.10.10.1
STALL_AFTER=2 QM_STALL_AFTER=2 write_conf a $A <<EOF2
alarm_holddown = 0
$(for i in $(seq 0 $((N - 1))); do
	printf '[peer p%d]\nremote = 127.11.%d.%d\npsk = "k"\nauto = start\n' $i $((i / 250)) $((i % 250 + 1))
done)
EOF2
start a
check "$N SAs started" wait_for 20 sa_is a "len(sas)>=$N"
check "$N alarms raised" wait_for 20 bash -c "[ \$(grep -c 'ALARM raised' $T/a.log) -ge $N ]"
raised_at=$(date +%s)
check "each peer's alarm raised once, with a sequence number of its own" python3 - "$T/a.log" "$N" <<'PY'
import re, sys
peers, seqs = {}, set()
for line in open(sys.argv[1]):
    m = re.search(r"ALARM raised #(\d+) peer (\S+) ", line)
    if m:
        peers[m.group(2)] = peers.get(m.group(2), 0) + 1
        seqs.add(int(m.group(1)))
n = int(sys.argv[2])
sys.exit(0 if len(peers) == n and all(c == 1 for c in peers.values()) and len(seqs) == n else 1)
PY
check "every alarm names MM_NO_STATE and a silent peer" bash -c "! grep 'ALARM raised' $T/a.log | grep -v 'MM_NO_STATE for .* no reply from the peer' | grep -q ."
# the peers keep retrying (retransmission span 3 s, restart 1 s): still one alarm each
sleep 5
check "after retries of every peer, still $N alarms" test "$(grep -c 'ALARM raised' $T/a.log)" = "$N"
t0=$(date +%s%N)
check "ikemond answers show crypto isakmp sa within 2 s under the load" timeout 2 "$IKEMONCTL" -s "$T/a.sock" show crypto isakmp sa
t1=$(date +%s%N)
echo "# show crypto isakmp sa with $(sa_query a 'len(sas)') SAs took $(((t1 - t0) / 1000000)) ms"
lag=$(grep -o '\[+[0-9]* ms\]' "$T/a.log" | tr -dc '0-9\n' | sort -n | awk '{a[NR]=$1} END{print a[int(NR/2)+1] " " a[NR]}')
echo "# raise lag after the threshold: median and max ms: $lag"
finish
