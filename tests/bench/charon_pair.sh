#!/usr/bin/env bash
# charon_pair.sh GROUP COUNT ANSI_X9_42 - strongSwan's charon as both ends of COUNT IKEv1
# SAs (Main Mode with a pre-shared key, then Quick Mode), for the handshake benchmark:
# the CPU time both charons spend, per established IKE SA.
#
#   tests/bench/charon_pair.sh modp2048 2000 yes   # charon's default: full-length exponents
#   tests/bench/charon_pair.sh modp2048 2000 no    # charon.dh_exponent_ansi_x9_42 = no
#
# Two network namespaces (ikl-PID-i, ikl-PID-r) joined by a veth pair (10.230.0.1 and
# .2); the initiator holds COUNT addresses 10.231.x.y on its lo, one connection each
# (as ikeload uses one source address per SA), and the responder one connection for
# 10.231.0.0/16.  Charon's load-tester plugin is not in Debian, so the initiations go
# through vici (vici_initiate.py, 8 at a time: a blocking initiate holds one of charon's
# 16 worker threads, and 16 of them left none for IKE: seen here, it hangs).  This
# kernel has no ESP: the initiator derives the Quick Mode keys, then fails to install
# the SAs and says so to the responder; both ends have done the Quick Mode's work but the responder's key
# derivation (it happens at install, after QM3).  Logging as charon's default (level 1,
# to a file).  CPU: utime + stime of both charon processes from /proc, from the first
# initiation until every one has returned.
#
# Prints one line of JSON on stdout; exits 77 (with the reason on stderr) when charon,
# swanctl or network namespaces are missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
GROUP=${1:-modp2048}
N=${2:-2000}
X942=${3:-yes}
exec 3>&1 1>&2

# shellcheck source=../interop/lib.sh
. "$here/../interop/lib.sh"
IOP_TAG="ikl-$$" # our namespaces: ikl-*
iop_init 900
[ "$N" -ge 1 ] && [ "$N" -le 60000 ] || iop_fail "COUNT must be 1..60000"

iop_netns_add i
iop_netns_add r
iop_link i 10.230.0.1/24 r 10.230.0.2/24
iop_exec r ip route add 10.231.0.0/16 via 10.230.0.1 || iop_fail "route in r"
addr_of() { printf '10.231.%d.%d' $(($1 / 250)) $(($1 % 250 + 1)); }
for k in $(seq 0 $((N - 1))); do
	echo "address add $(addr_of "$k")/32 dev lo"
done >"$IOP_DIR/addrs.batch"
iop_exec i ip -batch "$IOP_DIR/addrs.batch" || iop_fail "addresses in i"

# start_charon C NS: charon with the plugins of tests/interop, logging at its default
start_charon() {
	local name=$1 nsl=$2 d plugins=$IOP_CHARON_PLUGINS_BASE
	# DH_PLUGIN=gmp: gmp's Diffie-Hellman rather than openssl's (the first loaded wins)
	[ "${DH_PLUGIN:-openssl}" = gmp ] && plugins="gmp ${plugins/ gmp/}"
	d=$(iop_charon_dir "$name")
	mkdir -p "$d"
	cat >"$d/strongswan.conf" <<EOF
charon {
	install_routes = no
	install_virtual_ip = no
	dh_exponent_ansi_x9_42 = $X942
	load = $plugins kernel-netlink socket-default vici
	filelog {
		bench {
			path = $d/charon.log
			default = 1
		}
	}
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
	}
}
swanctl {
	load = pem pkcs1 x509 revocation constraints pubkey openssl random
}
EOF
	iop_bg "$nsl" "$d/charon.out" unshare -m --propagation private sh -c \
		"mount -t tmpfs none /run && STRONGSWAN_CONF='$d/strongswan.conf' exec '$IOP_CHARON'"
	IOP_LOGS+=("$d/charon.log")
	IOP_CHARON_PID[$name]=$IOP_LAST_PID
	iop_wait 20 "charon $name answers on vici" iop_swanctl "$name" --stats ||
		iop_fail "charon $name did not start"
	[ "$(cat "/proc/$IOP_LAST_PID/comm" 2>/dev/null)" = charon ] ||
		iop_fail "pid $IOP_LAST_PID is not charon"
}

start_charon ci i
start_charon cr r

{
	echo "connections {"
	for k in $(seq 0 $((N - 1))); do
		a=$(addr_of "$k")
		cat <<EOF
	c$k {
		version = 1
		local_addrs = $a
		remote_addrs = 10.230.0.2
		proposals = aes128-sha256-$GROUP
		local {
			auth = psk
			id = $a
		}
		remote {
			auth = psk
			id = 10.230.0.2
		}
		children {
			c$k {
				esp_proposals = aes128-sha256
			}
		}
	}
EOF
	done
	echo "}"
	printf 'secrets {\n\tike-all {\n\t\tsecret = "charon-bench"\n\t}\n}\n'
} >"$IOP_DIR/initiator.conf"
cat >"$IOP_DIR/responder.conf" <<EOF
connections {
	r {
		version = 1
		local_addrs = 10.230.0.2
		remote_addrs = 10.231.0.0/16
		proposals = aes128-sha256-$GROUP
		local {
			auth = psk
			id = 10.230.0.2
		}
		remote {
			auth = psk
		}
		children {
			r {
				remote_ts = 10.231.0.0/16
				esp_proposals = aes128-sha256
			}
		}
	}
}
secrets {
	ike-all {
		secret = "charon-bench"
	}
}
EOF
iop_charon_load cr "$IOP_DIR/responder.conf" >/dev/null
iop_charon_load ci "$IOP_DIR/initiator.conf" >/dev/null

cpu() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
pi=$(iop_charon_pid ci)
pr=$(iop_charon_pid cr)
i0=$(cpu "$pi")
r0=$(cpu "$pr")
out=$(python3 "$here/vici_initiate.py" "$(iop_charon_dir ci)/charon.vici" c "$N" 8) ||
	iop_fail "vici_initiate.py failed"
sleep 0.5 # the responder's last messages
i1=$(cpu "$pi")
r1=$(cpu "$pr")
echo "$out"
python3 - "$out" "$GROUP" "$X942" "$i0" "$i1" "$r0" "$r1" "$(getconf CLK_TCK)" >&3 <<'EOF'
import json, sys
o = json.loads(sys.argv[1])
i0, i1, r0, r1, tck = (float(x) for x in sys.argv[4:9])
est = o["ikesas_total"] - o["ikesas_half_open"]
ci, cr = (i1 - i0) / tck, (r1 - r0) / tck
print(json.dumps({"group": sys.argv[2], "ansi_x9_42": sys.argv[3], "initiated": o["initiated"],
                  "established": est, "child_ok": o["ok"], "child_failed": o["failed"],
                  "child_errors": o["errors"], "wall_s": o["wall_s"],
                  "cpu_initiator_s": ci, "cpu_responder_s": cr,
                  "cpu_per_sa_s": (ci + cr) / est if est else None}))
EOF
