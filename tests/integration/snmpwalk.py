"""IKEMON-MIB tables walked with Net-SNMP's snmpbulkwalk, parsed for comparison with the
--json views (snmp_tables.sh, snmp_certs.sh import it; PYTHONPATH is this directory)."""
import subprocess


def parse_value(v):
    """-Ox value: bytes for a string (hex octets), int otherwise"""
    v = v.strip()
    if v.startswith('"'):
        return bytes(int(h, 16) for h in v.strip('"').split())
    return int(v)


def varbinds(text):
    """(oid, value) pairs; -Ox prints 16 octets a line, a value going on over lines"""
    pending = None
    for line in text.splitlines():
        if pending is not None:
            pending = (pending[0], pending[1] + " " + line.strip())
        else:
            oid, sep, val = line.partition(" = ")
            if not sep:
                continue
            pending = (oid, val.strip())
        v = pending[1]
        if not v.startswith('"') or (len(v) > 1 and v.endswith('"')):
            yield pending
            pending = None


def walk(agent, comm, root, sub, repetitions=50, timeout=120):
    """({index tuple: {column: value}} of table root.sub, varbind count, exit status)"""
    out = subprocess.run(["snmpbulkwalk", "-v2c", "-c", comm, "-t", "5", "-r", "1", "-On",
                          "-OQ", "-Ox", "-Cr%d" % repetitions, agent, "%s.%d" % (root, sub)],
                         capture_output=True, text=True, timeout=timeout)
    rows, n, base = {}, 0, len(root.strip(".").split(".")) + 1
    for oid, val in varbinds(out.stdout):
        nums = [int(x) for x in oid.strip().strip(".").split(".")]
        if nums[base] != 1:
            continue
        rows.setdefault(tuple(nums[base + 2:]), {})[nums[base + 1]] = parse_value(val)
        n += 1
    return rows, n, out.returncode


def date_and_time(d):
    """DateAndTime of a UTC datetime: 11 octets, direction '+', offset 0"""
    return bytes([d.year >> 8, d.year & 255, d.month, d.day, d.hour, d.minute, d.second, 0,
                  ord("+"), 0, 0])
