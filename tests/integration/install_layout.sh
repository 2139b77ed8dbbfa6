#!/usr/bin/env bash
# install_layout.sh - `make install DESTDIR=...` from the build directory lays out every
# file where README.md's "Installing" says, with the configured directories: the
# programs, IKEMON-MIB in Net-SNMP's MIB directory, the manual pages, the alert rules
# and the dashboard, the example ikemond.conf and the fleet and SNMP examples, the
# systemd unit with its tmpfiles.d entry, the bash completion; nothing in sysconfdir
# (an operator's /etc/ikemond.conf is never touched).  The unit names the installed
# ikemond and `systemd-analyze verify` finds nothing in it; the example ikemond.conf
# loads; `make uninstall` takes every file away again.
#
# Environment (set by make check): abs_top_builddir, abs_top_srcdir.
# Exit status (automake): 0 all good, 1 a finding, 77 skipped, 99 broken setup.

set -u

B=${abs_top_builddir:-$(pwd)}
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -f "$B/Makefile" ] || { echo "install_layout: no Makefile in $B" >&2; exit 99; }

W=$(mktemp -d "${TMPDIR:-/tmp}/ikemon-install.XXXXXX") || exit 99
trap 'rm -rf "$W"' EXIT
CHECKS=0
FAILS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "not ok $CHECKS - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

# A make of our own, not the one running the tests (its jobserver is not ours).
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" "$@"; }
# var NAME: a variable of the build's Makefile, fully expanded
var() { printf 'print-%%:\n\t@echo $($*)\n' >"$W/print.mk"; mk -f Makefile -f "$W/print.mk" "print-$1"; }

for v in prefix sbindir bindir datadir docdir mandir sysconfdir mibdir pkgdatadir \
	bashcompletiondir systemdsystemunitdir tmpfilesdir; do
	declare "$v=$(var $v)"
done
echo "# prefix $prefix, unit dir ${systemdsystemunitdir:-none}, completion ${bashcompletiondir:-none}"

D=$W/root
if ! mk install DESTDIR="$D" >"$W/install.log" 2>&1; then
	tail -n 30 "$W/install.log"
	not_ok "make install DESTDIR=... failed"
	echo "# install_layout.sh: $CHECKS checks, $FAILS failed"
	exit 1
fi
ok "make install DESTDIR=$D"

want=(
	"$sbindir/ikemond" "$bindir/ikemonctl"
	"$mibdir/IKEMON-MIB.txt"
	"$mandir/man8/ikemond.8" "$mandir/man8/ikemonctl.8" "$mandir/man5/ikemond.conf.5"
	"$pkgdatadir/ikemon.rules.yml" "$pkgdatadir/grafana-dashboard.json"
	"$docdir/examples/ikemond.conf"
	"$docdir/examples/fleet/prometheus.yml" "$docdir/examples/fleet/alertmanager.yml"
	"$docdir/examples/fleet/targets/gateways.yml"
	"$docdir/examples/snmp/generator.yml" "$docdir/examples/snmp/snmptrapd.conf"
)
[ -n "$bashcompletiondir" ] && want+=("$bashcompletiondir/ikemonctl")
[ -n "$systemdsystemunitdir" ] && want+=("$systemdsystemunitdir/ikemond.service" "$tmpfilesdir/ikemond.conf")
missing=
for f in "${want[@]}"; do
	[ -f "$D$f" ] || missing="$missing $f"
done
check "all ${#want[@]} files in place (missing:${missing:- none})" test -z "$missing"
check "the programs are executable" test -x "$D$sbindir/ikemond" -a -x "$D$bindir/ikemonctl"
check "IKEMON-MIB goes to \$(datadir)/snmp/mibs ($mibdir)" test "$mibdir" = "$datadir/snmp/mibs"
check "the rules and the dashboard go to \$(datadir)/ikemon ($pkgdatadir)" test "$pkgdatadir" = "$datadir/ikemon"
check "the shipped files are the tree's (rules, MIB, example config)" \
	bash -c "cmp -s '$SRC/exporters/ikemon.rules.yml' '$D$pkgdatadir/ikemon.rules.yml' && cmp -s '$SRC/mib/IKEMON-MIB.txt' '$D$mibdir/IKEMON-MIB.txt' && cmp -s '$SRC/etc/ikemond.conf' '$D$docdir/examples/ikemond.conf'"
extra=$(cd "$D" && find . -type f | sed 's|^\.||' | sort | grep -vxF -f <(printf '%s\n' "${want[@]}") | tr '\n' ' ')
check "nothing else is installed (extra: ${extra:-none})" test -z "$extra"
check "nothing in sysconfdir ($sysconfdir): an existing ikemond.conf is never overwritten" \
	test ! -e "$D$sysconfdir"

if [ -n "$systemdsystemunitdir" ]; then
	U=$D$systemdsystemunitdir/ikemond.service
	check "the unit runs the installed ikemond in the foreground: ExecStart=$sbindir/ikemond -f -c /etc/ikemond.conf" \
		grep -qx "ExecStart=$sbindir/ikemond -f -c /etc/ikemond.conf" "$U"
	for key in "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" \
		"CapabilityBoundingSet=CAP_NET_BIND_SERVICE" "RuntimeDirectory=ikemond" \
		"StateDirectory=ikemon" "Restart=on-failure" 'ExecReload=/bin/kill -HUP $MAINPID' \
		"Type=simple"; do
		check "the unit has $key" grep -qxF "$key" "$U"
	done
	check "the tmpfiles.d entry links /run/ikemond.sock into the RuntimeDirectory" \
		grep -qx 'L /run/ikemond.sock - - - - ikemond/ikemond.sock' "$D$tmpfilesdir/ikemond.conf"
	if command -v systemd-analyze >/dev/null 2>&1; then
		# verify wants ExecStart's binary where the unit says: point it into DESTDIR
		sed "s|^ExecStart=$sbindir/|ExecStart=$D$sbindir/|" "$U" >"$W/ikemond.service"
		out=$(systemd-analyze verify --man=no "$W/ikemond.service" 2>&1)
		check "systemd-analyze verify says nothing about the unit${out:+: $out}" test -z "$out"
		score=$(systemd-analyze security --offline=true "$W/ikemond.service" 2>/dev/null |
			sed -n 's/.*Overall exposure level for ikemond.service: \([0-9.]*\).*/\1/p')
		check "systemd-analyze security: exposure ${score:-unknown} (below 3.0, 'OK')" \
			awk -v s="${score:-99}" 'BEGIN { exit !(s < 3.0) }'
	else
		echo "# systemd-analyze not found: the unit was not verified"
	fi
	check "the control socket the example config names is the unit's RuntimeDirectory" \
		grep -qx 'control = /run/ikemond/ikemond.sock' "$D$docdir/examples/ikemond.conf"
fi

# the example configuration loads: run the installed ikemond on it, with the listen
# address and control socket a test may use (ikemond checks the whole file at start)
if [ "$(id -u)" = 0 ]; then
	sed -e "s|^control = .*|control = $W/ex.sock|" \
		-e "s|^\[ikemond\]\$|[ikemond]\nlisten = 127.10.133.6:500|" \
		"$D$docdir/examples/ikemond.conf" >"$W/ex.conf"
	"$D$sbindir/ikemond" -f -c "$W/ex.conf" 2>"$W/ex.log" &
	pid=$!
	for _ in $(seq 50); do [ -S "$W/ex.sock" ] && break; sleep 0.1; done
	check "the installed ikemond starts on the example ikemond.conf (listen and control changed)" \
		bash -c "'$D$bindir/ikemonctl' -s '$W/ex.sock' version | grep -q '^ikemond '"
	check "with no peer configured" \
		bash -c "'$D$bindir/ikemonctl' -s '$W/ex.sock' show ikemon peers --json | grep -q '\"peers\":\[\]'"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -q "started: 0 peers" "$W/ex.log" || sed 's/^/# /' "$W/ex.log"
else
	echo "# not root: the example configuration was not loaded (ikemond binds UDP 500)"
fi

mk uninstall DESTDIR="$D" >"$W/uninstall.log" 2>&1
left=$(cd "$D" && find . -type f | tr '\n' ' ')
check "make uninstall removes every file (left: ${left:-none})" test -z "$left"

echo "# install_layout.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ]
