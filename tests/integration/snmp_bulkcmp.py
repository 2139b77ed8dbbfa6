#!/usr/bin/env python3
"""snmp_bulkcmp.py - compare SNMP walks and GETBULK answers (tests/integration/snmp_bulk.sh).

walks REF1 REF2 OTHER...: REF1 and REF2 are GETNEXT walks (snmpwalk -On -Ox) taken
  before and after the others.  Every walk must list the same OIDs in the same order
  and end the same way; a value must equal the references' where REF1 and REF2 agree
  (where they differ the object moved on its own between them: a time, a counter).
bulkget REF1 REF2 NONREP MAXREP OUT START...: OUT is snmpbulkget -On -Ox output for the
  OIDs START with NONREP non-repeaters and MAXREP repetitions (REF1 a walk of the whole
  view); what it must say follows from the walk: each answer is the successor in the
  walk of the OID before it (of the request for the first), or endOfMibView past the
  end, and the repetitions stop after the first row that is all endOfMibView.
Prints what differs; exits 1 when anything does.
"""
import sys


def parse(path, eom_is_end=True):
    """[(oid, value)], and apart the lines that end the walk: what is not a varbind and,
    when eom_is_end, an endOfMibView varbind."""
    vbs, tail = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".") and eom_is_end and " = No more variables" in line:
                tail.append(line)  # endOfMibView: the walk's end
            elif line.startswith("."):
                oid, _, val = line.partition(" = ")
                vbs.append([oid, val])
            elif vbs and not tail and line and not line.startswith("No more variables"):
                vbs[-1][1] += "\n" + line  # a wrapped Hex-STRING
            elif line:
                tail.append(line)
    return [tuple(v) for v in vbs], tail


def key(oid):
    return tuple(int(x) for x in oid.strip(".").split("."))


def stable(ref1, ref2):
    a, b = dict(ref1), dict(ref2)
    return {o: a[o] for o in a if b.get(o) == a[o]}


def walks(paths):
    (r1, t1), (r2, t2) = parse(paths[0]), parse(paths[1])
    bad = 0
    if [o for o, _ in r1] != [o for o, _ in r2]:
        print(f"the two GETNEXT walks list different OIDs ({len(r1)} and {len(r2)}): "
              "the agent's state changed under the test")
        return 1
    fixed = stable(r1, r2)
    for p in paths[2:]:
        w, t = parse(p)
        if [o for o, _ in w] != [o for o, _ in r1]:
            n = next((i for i, (x, y) in enumerate(zip(w, r1)) if x[0] != y[0]),
                     min(len(w), len(r1)))
            print(f"{p}: {len(w)} OIDs, GETNEXT {len(r1)}; first difference at #{n}: "
                  f"{w[n][0] if n < len(w) else 'end'} vs {r1[n][0] if n < len(r1) else 'end'}")
            bad += 1
            continue
        diff = [o for o, v in w if o in fixed and fixed[o] != v]
        if diff:
            print(f"{p}: {len(diff)} values differ from GETNEXT's, first {diff[0]}: "
                  f"{dict(w)[diff[0]]!r} vs {fixed[diff[0]]!r}")
            bad += 1
        if t != t1:
            print(f"{p}: ends {t!r}, GETNEXT {t1!r}")
            bad += 1
    return bad


def bulkget(args):
    (r1, _), (r2, _) = parse(args[0]), parse(args[1])
    nonrep, maxrep, out, starts = int(args[2]), int(args[3]), args[4], args[5:]
    got, _ = parse(out, eom_is_end=False)
    order = [key(o) for o, _ in r1]
    fixed = stable(r1, r2)

    def successor(oid):
        k = key(oid)
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if order[mid] <= k:
                lo = mid + 1
            else:
                hi = mid
        return r1[lo][0] if lo < len(order) else None

    want = [successor(s) for s in starts[:nonrep]]
    reps = starts[nonrep:]
    cur = list(reps)
    for _ in range(maxrep if reps else 0):
        cur = [successor(c) if c is not None else None for c in cur]
        want.extend(cur)
        if all(c is None for c in cur):
            break
    bad = 0
    if len(got) != len(want):
        print(f"{out}: {len(got)} varbinds, expected {len(want)}")
        bad += 1
    for i, ((o, v), w) in enumerate(zip(got, want)):
        if w is None:
            if "No more variables" not in v and "endOfMibView" not in v:
                print(f"{out}: #{i} {o} = {v!r}, expected endOfMibView")
                bad += 1
        elif o != w:
            print(f"{out}: #{i} is {o}, expected {w}")
            bad += 1
        elif o in fixed and fixed[o] != v:
            print(f"{out}: #{i} {o} = {v!r}, the walk says {fixed[o]!r}")
            bad += 1
    if not bad:
        print(f"# {out}: {len(got)} varbinds as the walk says")
    return bad


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    sys.exit(1 if (walks(rest) if cmd == "walks" else bulkget(rest)) else 0)
