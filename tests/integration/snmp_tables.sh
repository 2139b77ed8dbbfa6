#!/usr/bin/env bash
# snmp_tables.sh - IKEMON-MIB's tables over SNMP (ikemond's embedded master agent) say
# what ikemond's own views say.
#
# A hub ikemond (SNMP on 127.10.25.1:1161) holds, at once:
#   spoke     a second ikemond, Main Mode to QM_IDLE and one phase-2 SA installed; its
#             second Quick Mode is refused by the hub (proxy-id-mismatch, phase 2)
#   wrongkey  a third ikemond with the wrong pre-shared key: SAs negotiating in
#             MM_KEY_EXCH, stalled (alarm), failing with key-mismatch, deleted
#   silent    auto = start to an address where nobody answers: MM_NO_STATE, stalled,
#             failing with peer-silent, deleted
#   idle      configured, never negotiated: a row of its own, no SA
# Then every table is walked with snmpbulkwalk (-Cr50) and compared, row by row and
# column by column, with `show crypto isakmp sa --json`, `show crypto ipsec sa --json`,
# `show ikemon peers --json` and `show alarms --json` taken just before and just after
# the walk: rows unchanged between the two are compared exactly, rows that changed
# (the negotiations go on) by the columns that cannot change.  Also: snmptable of every
# table with IKEMON-MIB loaded, GETs of rows that do not exist (noSuchInstance), GETNEXT
# from OIDs that name no row, and a walk's row count against the SA count.
. "$(dirname "$0")/lib.sh"

for tool in snmpbulkwalk snmpget snmpgetnext snmptable python3; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages snmp, python3)"
done

A=127.10.25.1 # the hub
S=127.10.25.2 # spoke
W=127.10.25.3 # wrong key
Q=127.10.25.4 # silent: nothing listens there
I=127.10.25.9 # idle: never asked
AGENT=$A:1161
COMM=ikemon-test
ROOT=.1.3.6.1.4.1.8072.9999.9999.500.2
SNMP=(-v2c -c "$COMM" -t 5 -r 1)

SRCDIR=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BASE_MIBS=${IKEMON_MIBDIRS:-/var/cache/ikemon/mibs}
MIBS=(-M "$BASE_MIBS:/usr/share/snmp/mibs:$SRCDIR/mib" -m IKEMON-MIB)

# the hub: the only one with SNMP; deleted SAs stay listed for the whole test
SNMP_CONF="listen = udp:$AGENT
rocommunity = $COMM 127.0.0.0/8
persistent_dir = $T/snmp-a" write_conf a $A <<EOF
deleted_linger = 600
[peer spoke]
remote = $S
psk = "spoke-secret"
auto = add
esp = aes128-sha256
local_ts = 10.0.0.0/24
remote_ts = 10.1.0.0/24
[peer wrongkey]
remote = $W
psk = "the-right-key"
auto = add
[peer silent]
remote = $Q
psk = "silent-key"
auto = start
[peer idle]
remote = $I
psk = "idle-key"
EOF
RESTART_DELAY=5 write_conf spoke $S <<EOF
[peer hub]
remote = $A
psk = "spoke-secret"
auto = start
esp = aes128-sha256
local_ts = 10.1.0.0/24, 10.2.0.0/24
remote_ts = 10.0.0.0/24
EOF
write_conf wrongkey $W <<EOF
[peer hub]
remote = $A
psk = "a-wrong-key"
auto = start
EOF

start a
start spoke
start wrongkey

snmp_up() { snmpget "${SNMP[@]}" -On "$AGENT" $ROOT.1.2.0 | grep -q '"'; }
check "the hub answers SNMP on $AGENT" wait_for 10 snmp_up
check "spoke reaches QM_IDLE with its phase-2 SA installed" wait_for 20 sa_is a \
	"any(s['peer']=='spoke' and s['cisco_state']=='QM_IDLE' and s['children']['installed']==1 for s in sas)"
check "wrongkey's SAs fail with key-mismatch and are deleted" wait_for 20 sa_is a \
	"any(s['peer']=='wrongkey' and s['delete_reason']=='key-mismatch' for s in sas)"
check "silent's SAs fail with peer-silent and are deleted" wait_for 20 sa_is a \
	"any(s['peer']=='silent' and s['delete_reason']=='peer-silent' for s in sas)"
alarms_for() { ctl a show alarms --json | python3 -c "import json,sys; a=json.load(sys.stdin)['alarms']; sys.exit(0 if {'silent','wrongkey'} <= {x['peer'] for x in a} else 1)"; }
check "silent and wrongkey are stalled (alarms raised)" wait_for 20 alarms_for
child_failed() { ctl a show crypto ipsec sa --json | python3 -c "import json,sys; c=json.load(sys.stdin)['children']; sys.exit(0 if any(x['last_cause']=='proxy-id-mismatch' for x in c) else 1)"; }
check "the spoke's second Quick Mode fails on the hub (proxy-id-mismatch)" wait_for 20 child_failed
check "an SA is negotiating (neither QM_IDLE nor deleted)" wait_for 20 sa_is a \
	"any(s['status']=='ACTIVE' and s['cisco_state']!='QM_IDLE' for s in sas)"

# ---- the walks against the JSON views (python: the column map is the layout's) ----

compare() {
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$(cd "$(dirname "$0")" && pwd)" python3 - "$T" "$AGENT" "$COMM" "$IKEMONCTL" "$T/a.sock" "$ROOT" <<'PY'
import datetime, ipaddress, json, re, subprocess, sys
import snmpwalk
from snmpwalk import date_and_time, parse_value, varbinds

T, AGENT, COMM, CTL, SOCK, ROOT = sys.argv[1:7]
results = []

def check(desc, cond):
    results.append(("ok" if cond else "not ok", desc))

# The layout's enumerations (IkemonCiscoState, IkemonCause), written out here.
CISCO = {n: i + 1 for i, n in enumerate(["MM_NO_STATE", "MM_SA_SETUP", "MM_KEY_EXCH",
         "MM_KEY_AUTH", "AG_NO_STATE", "AG_INIT_EXCH", "AG_AUTH", "QM_IDLE"])}
CAUSE_TC = ["none", "peerSilent", "noProposalChosen", "keyMismatch", "idMismatch",
            "invalidCookie", "malformed", "deletedByPeer", "retryLimit", "peerErrorNotify",
            "invalidKeyExchange", "noConfig", "cleared", "shutdown", "expired",
            "configRemoved", "internalError", "replaced", "p2NoProposalChosen",
            "pfsMismatch", "proxyIdMismatch", "qmPeerSilent", "certUntrusted", "certExpired",
            "certNotYetValid", "certRevoked", "certIdMismatch", "badSignature", "noCertificate",
            "peerDead", "initialContact"]
CAUSE = {re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), n): i
         for i, n in enumerate(CAUSE_TC)}
CHILD_STATE = {"QM_I1": 1, "QM_R1": 2, "INSTALLED": 3, "DELETED": 4}

def ctl(*args):
    return json.loads(subprocess.run([CTL, "-s", SOCK] + list(args), capture_output=True,
                                     text=True, timeout=30, check=True).stdout)

def views():
    return {"sas": ctl("show", "crypto", "isakmp", "sa", "--json"),
            "children": ctl("show", "crypto", "ipsec", "sa", "--json")["children"],
            "peers": ctl("show", "ikemon", "peers", "--json")["peers"],
            "alarms": ctl("show", "alarms", "--json")}

def walk(sub):
    """{index tuple: {column: value}} of table ROOT.sub, the varbind count, the exit status"""
    return snmpwalk.walk(AGENT, COMM, ROOT, sub)

def scalars():
    out = subprocess.run(["snmpbulkwalk", "-v2c", "-c", COMM, "-On", "-OQ", "-Ox", AGENT,
                          ROOT + ".1"], capture_output=True, text=True, timeout=30).stdout
    vals = {}
    for oid, val in varbinds(out):
        vals[int(oid.strip().split(".")[-2])] = parse_value(val)
    return vals

def dat(iso):
    if iso is None:
        return bytes(8)
    return date_and_time(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))

def addr_type(ep):
    if ep is None:
        return 0
    return 1 if ipaddress.ip_address(ep["address"]).version == 4 else 2

def addr(ep):
    return b"" if ep is None else ipaddress.ip_address(ep["address"]).packed

def port(ep):
    return 0 if ep is None else ep["port"]

def sa_expect(s):
    t, k = s["transform"], s["counters"]
    return {2: s["ike_version"], 3: {"main": 2, "aggressive": 4}[s["exchange"]],
            4: {"initiator": 1, "responder": 2}[s["role"]], 5: s["peer"].encode(),
            6: addr_type(s["local"]), 7: addr(s["local"]), 8: port(s["local"]),
            9: addr_type(s["remote"]), 10: addr(s["remote"]), 11: port(s["remote"]),
            12: s["local_id"]["type"], 13: s["local_id"]["value"].encode(),
            14: s["remote_id"]["type"], 15: s["remote_id"]["value"].encode(),
            16: bytes.fromhex(s["icookie"]), 17: bytes.fromhex(s["rcookie"]),
            18: t["auth"], 19: t["encr"], 20: t["keylen"], 21: t["hash"], 22: t["group"],
            23: t["lifetime_s"], 24: CISCO[s["cisco_state"]], 25: s["state"].encode(),
            27: dat(s["created"]), 28: dat(s["established"]), 29: dat(s["expires"]),
            30: 2 if "deleted" in s["status"] else 1, 31: s["natt"]["version"],
            32: 1 if s["natt"]["nat_local"] else 2, 33: 1 if s["natt"]["nat_remote"] else 2,
            34: k["msgs_in"], 35: k["msgs_out"], 36: k["bytes_in"], 37: k["bytes_out"],
            38: k["retransmits"], 39: k["dup_in"], 40: k["malformed"], 41: k["undecryptable"],
            42: CAUSE[s["last_cause"]], 43: s["cause_detail"].encode()[:63],
            44: CAUSE[s["delete_reason"]], 45: s["children"]["installed"],
            46: s["peer_cert_subject"].encode()}
SA_FIXED = (2, 3, 4, 5, 6, 7, 9, 10, 12, 16, 27)  # cannot change during a negotiation

def child_expect(c):
    t = c["transform"]
    return {2: CHILD_STATE[c["state"]], 3: {"initiator": 1, "responder": 2}[c["role"]],
            4: c["spi_in"], 5: c["spi_out"], 6: t["protocol"], 7: t["encr"], 8: t["keylen"],
            9: t["auth"], 10: t["group"], 11: t["mode"], 12: c["local_ts"]["text"].encode(),
            13: c["remote_ts"]["text"].encode(), 14: t["life_s"], 15: t["life_kb"],
            16: dat(c["created"]), 17: dat(c["established"]), 18: dat(c["expires"]),
            20: c["retransmits"], 21: CAUSE[c["last_cause"]], 22: CAUSE[c["delete_reason"]],
            23: c["msgid"]}
CHILD_FIXED = (3, 4, 16, 23)

def strip(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}

def compare_rows(name, walked, before, after, expect, fixed, timecol, timekey):
    """rows in both views: exact when unchanged, fixed columns when not"""
    exact = changed = 0
    ok = True
    for key in sorted(set(before) & set(after)):
        b, a, w = before[key], after[key], walked.get(key)
        if w is None:
            check("%s row %s is in the walk" % (name, key), False)
            ok = False
            continue
        eb = expect(b)
        if strip(b, timekey) == strip(a, timekey):
            exact += 1
            bad = [c for c in eb if w.get(c) != eb[c]]
            lo, hi = int(b[timekey]) - 1, int(a[timekey]) + 2
            if not lo <= w.get(timecol, -1) <= hi:
                bad.append(timecol)
            if bad:
                ok = False
                check("%s row %s: columns %s equal the JSON (got %s, want %s)" % (
                      name, key, bad, [w.get(c) for c in bad], [eb.get(c) for c in bad]), False)
        else:
            changed += 1
            bad = [c for c in fixed if w.get(c) != eb[c]]
            if bad:
                ok = False
                check("%s row %s (changing): columns %s" % (name, key, bad), False)
    return ok, exact, changed

def attempt():
    before = views()
    tables = {sub: walk(sub) for sub in (2, 3, 4, 5, 6, 7, 8)}
    sc = scalars()
    after = views()
    return before, tables, sc, after

def by_conn(v):
    return {s["conn_id"]: s for s in v["sas"]["sas"]}

def by_child(v):
    return {(c["conn_id"], c["index"]): c for c in v["children"]}

# a quiet moment: the same SAs before and after the walk (up to 8 tries)
for tries in range(8):
    before, tables, sc, after = attempt()
    if set(by_conn(before)) == set(by_conn(after)) and \
       set(by_child(before)) == set(by_child(after)) and \
       before["alarms"]["last_seq"] == after["alarms"]["last_seq"]:
        break
check("a moment when no SA came or went during the walks (%d tries)" % (tries + 1),
      set(by_conn(before)) == set(by_conn(after)))

for sub, (rows, n, rc) in sorted(tables.items()):
    check("snmpbulkwalk -Cr50 of table %d exits 0" % sub, rc == 0)

# ---- ikemonSaTable
sa_rows, sa_vbs, _ = tables[5]
walked = {k[0]: v for k, v in sa_rows.items() if len(k) == 1}
B, A = by_conn(before), by_conn(after)
check("SA walk: %d rows, every index one conn-id" % len(sa_rows), len(walked) == len(sa_rows))
check("SA walk rows = the SAs of show crypto isakmp sa (%d, %d)" % (len(walked), len(A)),
      set(B) & set(A) <= set(walked) <= set(B) | set(A))
if set(B) == set(A):
    check("SA walk row count equals the SA count (%d)" % len(A), len(walked) == len(A))
    check("ikemonSaCount.0 equals the SA count", sc.get(3) == len(A))
    check("SA walk: 45 columns per row (%d varbinds)" % sa_vbs, sa_vbs == 45 * len(walked))
ok, exact, changed = compare_rows("ikemonSaTable", walked, B, A, sa_expect, SA_FIXED, 26,
                                  "seconds_in_state")
check("ikemonSaTable equals show crypto isakmp sa --json (%d rows exact, %d changing)" % (
      exact, changed), ok and exact >= 3)
states = {(s["peer"], s["cisco_state"], s["status"]) for s in A.values()}
check("the SAs compared include established, negotiating and deleted ones",
      any(c == "QM_IDLE" and st == "ACTIVE" for _, c, st in states) and
      any(c != "QM_IDLE" and st == "ACTIVE" for _, c, st in states) and
      any("deleted" in st for _, c, st in states))

# ---- ikemonIpsecSaTable
ch_rows = {k: v for k, v in tables[6][0].items() if len(k) == 2}
CB, CA = by_child(before), by_child(after)
check("IPsec SA walk rows = show crypto ipsec sa --json (%d)" % len(ch_rows),
      set(CB) & set(CA) <= set(ch_rows) <= set(CB) | set(CA) and len(ch_rows) >= 2)
ok, exact, changed = compare_rows("ikemonIpsecSaTable", ch_rows, CB, CA, child_expect,
                                  CHILD_FIXED, 19, "seconds_in_state")
check("ikemonIpsecSaTable equals show crypto ipsec sa --json (%d rows exact, %d changing)" % (
      exact, changed), ok and exact >= 1)
inst = [k for k, c in CA.items() if c["state"] == "INSTALLED"]
check("the installed phase-2 SA is counted in ikemonSaIpsecSaCount",
      all(walked.get(k[0], {}).get(45) == sum(1 for j in inst if j[0] == k[0]) for k in inst)
      and len(inst) >= 1)

# ---- ikemonPeerTable
def name_key(n):
    return (len(n),) + tuple(n.encode())

peer_rows = tables[4][0]
PB = {p["name"]: p for p in before["peers"]}
PA = {p["name"]: p for p in after["peers"]}
check("one peer row per configured peer, idle included, in index order",
      sorted(peer_rows) == sorted(name_key(n) for n in PA) and len(PA) == 4)

def peer_expect(p):
    m = re.match(r"^\[?([0-9a-fA-F:.]+)(?:/\d+)?\]?(?::\d+)?$", p["remote"])
    remote = None if p["remote_any"] else {"address": m.group(1), "port": 0}
    status = 3 if p["alarm_seq"] else {"up": 1, "negotiating": 2, "down": 4, "idle": 5}[p["health"]]
    e = {2: addr_type(remote), 3: addr(remote), 4: p["remote_prefix"] or 0,
         5: addr_type(p["local"]), 6: addr(p["local"]), 7: 2 if p["auto"] == "start" else 1,
         8: status, 9: p["ike"]["conn_id"] if p["ike"] else 0, 15: CAUSE[p["cause"]],
         16: p["children"]["up"], 17: p["children"]["wanted"], 23: p["alarm_seq"] or 0,
         28: p["dpd"]["r_u_there_out"], 29: p["dpd"]["ack_in"], 30: p["dpd"]["ack_out"]}
    if p["ike"]:
        e[10] = CISCO[p["ike"]["cisco_state"]]
    return e

for name in sorted(PA):
    w = peer_rows.get(name_key(name), {})
    eb, ea = peer_expect(PB[name]), peer_expect(PA[name])
    bad = [c for c in set(eb) | set(ea) if w.get(c) not in (eb.get(c), ea.get(c))]
    if (10 in w) != (w.get(9, 0) != 0):
        bad.append("10 (sparse: instance iff conn-id)")
    check("peer %s: columns equal show ikemon peers --json %s" % (
          name, "" if not bad else "(bad %s: %s)" % (bad, [w.get(c) for c in bad if c in w])),
          not bad and len(w) >= 25)
    # counters: the engine's per-peer counts; no SA has lingered out (deleted_linger 600)
    mine = [s for s in A.values() if s["peer"] == name]
    if PB[name] == PA[name] and {s["conn_id"] for s in mine} == \
       {s["conn_id"] for s in B.values() if s["peer"] == name}:
        fields = ("msgs_in", "msgs_out", "bytes_in", "bytes_out", "retransmits")
        k_b = [sum(s["counters"][f] for s in B.values() if s["peer"] == name) for f in fields]
        k_a = [sum(s["counters"][f] for s in mine) for f in fields]
        got = [w.get(c, -1) for c in (18, 19, 20, 21, 22)]
        check("peer %s: attempts, traffic equal the sums over its SAs (%d SAs; %s in %s..%s)" % (
              name, len(mine), got, k_b, k_a),
              w.get(12) == len(mine) and all(b <= g <= a for b, g, a in zip(k_b, got, k_a)) and
              w.get(13) == sum(1 for s in mine if s["established"]) and
              w.get(14, -1) >= sum(1 for s in mine if s["delete_reason"] != "none" and
                                   s["delete_reason"] == s["last_cause"]))
    check("peer %s: last change and discontinuity are times, not later than now" % name,
          len(w.get(11, b"")) == 11 and len(w.get(24, b"")) == 11)
idle = peer_rows.get(name_key("idle"), {})
check("the idle peer: status idle(5), conn-id 0, no ikemonPeerSaState instance",
      idle.get(8) == 5 and idle.get(9) == 0 and 10 not in idle and idle.get(12) == 0)
check("wrongkey and silent are stalled(3)",
      peer_rows.get(name_key("wrongkey"), {}).get(8) == 3 and
      peer_rows.get(name_key("silent"), {}).get(8) == 3)

# ---- ikemonAlarmTable
al_rows = {k[0]: v for k, v in tables[8][0].items()}
AB = {a["raise_seq"]: a for a in before["alarms"]["alarms"]}
AA = {a["raise_seq"]: a for a in after["alarms"]["alarms"]}
check("alarm rows = show alarms --json (%d)" % len(al_rows),
      set(AB) & set(AA) <= set(al_rows) <= set(AB) | set(AA) and len(al_rows) >= 2)
for seq in sorted(set(AB) & set(AA)):
    a, w = AA[seq], al_rows.get(seq, {})
    e = {2: seq, 3: a["peer"].encode(), 4: addr_type(a["local"]), 5: addr(a["local"]),
         6: addr_type(a["remote"]), 7: addr(a["remote"]), 8: a["conn_id"],
         9: a["state_number"], 10: 2 if a["phase2"] else 1,
         12: -(-int(round(a["threshold_s"] * 1000)) // 1000), 13: a["cause_number"],
         14: a["cause_detail"].encode()[:63], 15: dat(a["raised"]), 16: dat(a["since"])}
    if AB[seq] != AA[seq]:  # the SA it was last seen on moved on: the rest
        e = {c: v for c, v in e.items() if c not in (4, 5, 6, 7, 8, 13, 14)}
    bad = [c for c in e if w.get(c) != e[c]]
    secs = w.get(11, -1)
    if not int(AB[seq]["seconds_in_state"]) - 1 <= secs <= AA[seq]["seconds_in_state"] + 2:
        bad.append(11)
    check("alarm %d (%s): columns equal show alarms --json%s" % (
          seq, a["peer"], "" if not bad else " (bad %s)" % bad), not bad)
check("ikemonAlarmsActive.0 and ikemonAlarmLastSeq.0 equal show alarms",
      sc.get(8) == len(AA) and sc.get(9) == after["alarms"]["last_seq"])

# ---- ikemonFailHistTable: every failure the engine counted, each with its SA
fh = {k[0]: v for k, v in tables[7][0].items()}
g_b, g_a = before["sas"]["counters"], after["sas"]["counters"]
n_b = sum(v for c, v in g_b["causes"].items())
n_a = sum(v for c, v in g_a["causes"].items())
check("failure history rows = failures counted by cause (%d, %d..%d)" % (len(fh), n_b, n_a),
      n_b <= len(fh) <= n_a and sorted(fh) == list(range(1, len(fh) + 1)))
failed = [s for s in A.values() if s["delete_reason"] != "none" and
          s["delete_reason"] == s["last_cause"] and s["delete_reason"] in
          ("key-mismatch", "peer-silent")]
rows = {(v[4], v[9]) for v in fh.values()}
check("each failed SA has its failure-history row (conn-id, cause) (%d)" % len(failed),
      failed and all((s["conn_id"], CAUSE[s["last_cause"]]) in rows for s in failed))
fh_ok = all(v[3].decode() in PA and v[8] in (1, 2) and len(v[2]) == 11 and v[5] == 1 and
            len(v[6]) == 4 and v[7] in CISCO.values() for v in fh.values())
check("failure-history rows: a configured peer, phase, time, an IPv4 address", fh_ok)
p2 = [v for v in fh.values() if v[8] == 2]
check("the phase-2 failure: state qmIdle(8), cause proxyIdMismatch(20)",
      any(v[7] == 8 and v[9] == 20 and v[3] == b"spoke" for v in p2))
p1 = [v for v in fh.values() if v[3] == b"wrongkey"]
check("wrongkey's failures: mmKeyExch(3), keyMismatch(3), phase 1",
      p1 and all(v[7] == 3 and v[9] == 3 and v[8] == 1 for v in p1))

# ---- scalars, ikemonStateTable, ikemonCauseTable
check("ikemonAttempts, ikemonEstablished, ikemonFailures equal the engine's counters",
      g_b["sas_created"] <= sc.get(4, -1) <= g_a["sas_created"] and
      g_b["sas_established"] <= sc.get(5, -1) <= g_a["sas_established"] and
      g_b["sas_failed"] <= sc.get(6, -1) <= g_a["sas_failed"])
mal = lambda g: g["dropped_short"] + g["dropped_bad_length"] + g["dropped_bad_version"] + \
    g["dropped_bad_payload"]
check("ikemonMalformed, ikemonPeerCount, ikemonFailHistMax",
      mal(g_b) <= sc.get(11, -1) <= mal(g_a) and sc.get(12) == 4 and sc.get(10) == 100)
ho_a, ho_b = g_a.get("half_open", {}), g_b.get("half_open", {})
check("ikemonHalfOpen and ikemonHalfOpenDropped{Limit,PerSource,Timeout} (13-16) equal the engine's",
      all(k in sc for k in (13, 14, 15, 16)) and
      min(ho_a.get("now", -1), ho_b.get("now", -1)) <= sc[13] <= max(ho_a.get("now", -1), ho_b.get("now", -1)) and
      ho_b.get("dropped_limit", -1) <= sc[14] <= ho_a.get("dropped_limit", -1) and
      ho_b.get("dropped_per_source", -1) <= sc[15] <= ho_a.get("dropped_per_source", -1) and
      ho_b.get("dropped_timeout", -1) <= sc[16] <= ho_a.get("dropped_timeout", -1))
check("ikemonAgentStartTime is a DateAndTime, ikemonAgentVersion a version",
      len(sc.get(1, b"")) == 11 and re.match(rb"^\d+\.\d+", sc.get(2, b"")) is not None)
st_rows = {k[0]: v[2] for k, v in tables[2][0].items()}
if set(B) == set(A) and all(B[c]["cisco_state"] == A[c]["cisco_state"] for c in A):
    want = {i: 0 for i in range(1, 9)}
    for s in A.values():
        if s["status"] == "ACTIVE":
            want[CISCO[s["cisco_state"]]] += 1
    check("ikemonStateTable: SAs (not deleted) by Cisco state %s" % want, st_rows == want)
else:
    check("ikemonStateTable: rows 1..8", sorted(st_rows) == list(range(1, 9)))
ca = {k[0]: v for k, v in tables[3][0].items()}
check("ikemonCauseTable: rows 1..%d named as the layout's IkemonCause" % (len(CAUSE_TC) - 1),
      sorted(ca) == list(range(1, len(CAUSE_TC))) and
      all(ca[i][2].decode() == [n for n, j in CAUSE.items() if j == i][0] for i in ca))
check("ikemonCauseFailures equal the engine's failures by cause",
      all(g_b["causes"][n] <= ca[i][3] <= g_a["causes"][n] for n, i in CAUSE.items() if i))
hints = {a["cause_number"]: a["hint"] for a in after["alarms"]["alarms"]}
check("ikemonCauseHint and ikemonCauseAlarmsRaised agree with the alarms",
      all(ca[i][5].decode() == h for i, h in hints.items()) and
      sum(ca[i][4] for i in ca) >= len(AA) and
      sum(ca[i][4] for i in ca) == sc.get(7))

for verdict, desc in results:
    print("%s|%s" % (verdict, desc.replace("|", "/")))
PY
}

while IFS='|' read -r verdict desc; do
	if [ "$verdict" = ok ]; then ok "$desc"; else not_ok "$desc"; fi
done < <(compare 2>&1 | sed 's/^Traceback.*/not ok|the comparison crashed: &/')

# ---- single requests: rows that do not exist, GETNEXT from OIDs that name no row ----

get() { snmpget "${SNMP[@]}" -On -OQ -Ox "$AGENT" "$@" 2>&1; }
getnext() { snmpgetnext "${SNMP[@]}" -On -OQ -Ox "$AGENT" "$@" 2>&1; }
nosuch() { get "$1" | grep -q 'No Such Instance'; }
check "GET of conn-id 1 (never made): noSuchInstance" nosuch $ROOT.5.1.24.1
check "GET of conn-id 4294967295: noSuchInstance" nosuch $ROOT.5.1.24.4294967295
check "GET of an index past 2^32: noSuchInstance" nosuch $ROOT.5.1.24.4294967297
check "GET of peer \"nosuch\": noSuchInstance" nosuch $ROOT.4.1.8.6.110.111.115.117.99.104
check "GET of peer index with a wrong length: noSuchInstance" nosuch $ROOT.4.1.8.9.105.100.108.101
check "GET of IPsec SA (1001, 999): noSuchInstance" nosuch $ROOT.6.1.2.1001.999
check "GET of alarm 999999 and failure 999999: noSuchInstance" \
	bash -c "snmpget ${SNMP[*]} -On $AGENT $ROOT.8.1.2.999999 $ROOT.7.1.3.999999 | grep -c 'No Such Instance' | grep -qx 2"
check "GET of the idle peer's ikemonPeerSaState (sparse): noSuchInstance" \
	nosuch $ROOT.4.1.10.4.105.100.108.101
check "GET of state 9 and cause 31: noSuchInstance" \
	bash -c "snmpget ${SNMP[*]} -On $AGENT $ROOT.2.1.2.9 $ROOT.3.1.2.31 | grep -c 'No Such Instance' | grep -qx 2"
check "GET of the idle peer's status: idle(5)" bash -c "snmpget ${SNMP[*]} -On -OQ $AGENT $ROOT.4.1.8.4.105.100.108.101 | grep -q '= 5$'"

first=$(sa_query a "sorted(s['conn_id'] for s in sas)[0]")
second=$(sa_query a "sorted(s['conn_id'] for s in sas)[1]")
check "GETNEXT from ikemonSaState.$first.7 (no such row) gives $second" \
	bash -c "snmpgetnext ${SNMP[*]} -On -OQ $AGENT $ROOT.5.1.24.$first.7 | grep -q '^$ROOT.5.1.24.$second = '"
check "GETNEXT from ikemonSaState.$first gives $second" \
	bash -c "snmpgetnext ${SNMP[*]} -On -OQ $AGENT $ROOT.5.1.24.$first | grep -q '^$ROOT.5.1.24.$second = '"
check "GETNEXT from ikemonSaState.0 gives the first conn-id $first" \
	bash -c "snmpgetnext ${SNMP[*]} -On -OQ $AGENT $ROOT.5.1.24.0 | grep -q '^$ROOT.5.1.24.$first = '"
check "GETNEXT from ikemonSaEntry gives ikemonSaVersion.$first" \
	bash -c "snmpgetnext ${SNMP[*]} -On -OQ $AGENT $ROOT.5.1 | grep -q '^$ROOT.5.1.2.$first = 1$'"
# names sort by length first: idle(4) spoke(5) silent(6) wrongkey(8)
check "GETNEXT from a partial peer name (5, 's') gives spoke" \
	bash -c "snmpgetnext ${SNMP[*]} -On -OQ $AGENT $ROOT.4.1.8.5.115 | grep -q '^$ROOT.4.1.8.5.115.112.111.107.101 = '"
check "GETNEXT past the last peer's status goes on to the next column (conn-id of idle)" \
	bash -c "snmpgetnext ${SNMP[*]} -On -OQ $AGENT $ROOT.4.1.8.8.119.114.111.110.103.107.101.121 | grep -q '^$ROOT.4.1.9.4.105.100.108.101 = 0$'"
check "GETNEXT over the idle peer's missing ikemonPeerSaState skips its row" \
	bash -c "snmpgetnext ${SNMP[*]} -On -OQ $AGENT $ROOT.4.1.10 | grep -q '^$ROOT.4.1.10.5.115.112.111.107.101 = 8$'"
check "GETNEXT past the last alarm column leaves the MIB's tables" \
	bash -c "! snmpgetnext ${SNMP[*]} -On $AGENT $ROOT.8.1.16.4294967295 | grep -q '^$ROOT.8'"

# ---- snmptable, with IKEMON-MIB loaded ----

if [ -f "$BASE_MIBS/SNMPv2-SMI.mib" ] || [ -f "$BASE_MIBS/SNMPv2-SMI.txt" ]; then
	n_before=$(sa_query a "len(sas)")
	for t in ikemonStateTable ikemonCauseTable ikemonPeerTable ikemonSaTable \
		ikemonIpsecSaTable ikemonFailHistTable ikemonAlarmTable; do
		snmptable "${SNMP[@]}" "${MIBS[@]}" -Cf '|' -Ci -Cr 50 "$AGENT" "IKEMON-MIB::$t" \
			>"$T/$t.txt" 2>"$T/$t.err"
		rows=$(grep -c '|' "$T/$t.txt")
		check "snmptable IKEMON-MIB::$t: $((rows - 1)) rows, nothing on stderr" \
			test "$rows" -gt 1 -a ! -s "$T/$t.err"
	done
	n_after=$(sa_query a "len(sas)")
	n=$(($(grep -c '|' "$T/ikemonSaTable.txt") - 1))
	check "snmptable ikemonSaTable has one row per SA ($n; $n_before before, $n_after after)" \
		test "$n" -eq "$n_before" -o "$n" -eq "$n_after"
	check "snmptable ikemonPeerTable: idle is idle, without a state; wrongkey stalled" \
		bash -c "grep -q '^\"idle\"|.*|add|idle|0|?|' $T/ikemonPeerTable.txt &&
			grep -q '^\"wrongkey\"|.*|stalled|' $T/ikemonPeerTable.txt"
	check "snmptable ikemonSaTable: the spoke's SA at qmIdle, named by the MIB's enumerations" \
		bash -c "grep -Eq '\\|spoke\\|.*\\|qmIdle\\|ESTABLISHED\\|.*\\|active\\|' $T/ikemonSaTable.txt"
	check "snmptable ikemonFailHistTable: a keyMismatch in mmKeyExch for wrongkey" \
		bash -c "grep -Eq '\\|wrongkey\\|.*\\|mmKeyExch\\|phase1\\|keyMismatch\\|' $T/ikemonFailHistTable.txt"
else
	echo "##### SKIPPED the snmptable checks: no base MIBs in $BASE_MIBS (scripts/deps unpacks them) #####"
fi

finish
