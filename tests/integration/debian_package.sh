#!/usr/bin/env bash
# debian_package.sh - the Debian package, built from a copy of the source tree with
# dpkg-buildpackage (debian/), installed with dpkg -i, run, removed and purged.
#
#   1. the build: one ikemon_VERSION_ARCH.deb whose version is ikemond's, depending on
#      the libraries the binaries link, /etc/ikemond.conf its only conffile; lintian
#      (when installed) finds no error or warning;
#   2. installed: the programs, IKEMON-MIB where Net-SNMP finds it by itself, the
#      manual pages where man finds them, the unit (systemd-analyze verify: clean),
#      the tmpfiles.d link to ikemonctl's socket, the rules, the dashboard, the
#      examples, the bash completion; nothing enabled, nothing started;
#   3. run: the postinst made the system user _ikemon; with systemd as PID 1, the unit
#      is started (ExecStart pointed by a drop-in at a configuration of the test's own),
#      reloaded and stopped; without it, the installed ikemond is started from the
#      installed /etc/ikemond.conf adapted (listen, control, a peer, [http]) as the unit
#      runs it: as _ikemon, with CAP_NET_BIND_SERVICE ambient and alone in the bounding
#      set, and no_new_privs (setpriv), reloaded as ExecReload does (SIGHUP), stopped;
#   4. dpkg -r keeps only the conffile; dpkg --purge leaves nothing of the package (the
#      user stays, as Debian keeps system users; the test removes it when it made it).
#
# It must not disturb the machine: it refuses (skips, loudly) when ikemon is installed
# otherwise, or /etc/ikemond.conf, /var/lib/ikemon or /run/ikemond exist; the shipped
# configuration opens no port until edited, and the test's own listens on its loopback
# address only.  A run killed half-way is cleaned up by the next one (a marker file says
# the installed package is the test's).  Several runs at once wait for each other.
. "$(dirname "$0")/lib.sh"

SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
ADDR=127.10.131.5
MARKER=/var/tmp/ikemon-debian-package-test.installed
VERSION=$("$IKEMOND" -V | awk '{ print $2 }')

for tool in dpkg-buildpackage dpkg-checkbuilddeps dh; do
	command -v $tool >/dev/null ||
		skip "$tool is missing (Debian packages dpkg-dev and debhelper; scripts/deps installs them)"
done
[ -d "$SRC/debian" ] || { not_ok "no debian/ in $SRC"; finish; }

# one at a time with every test that changes the machine (lib.sh)
system_lock

USER_BEFORE=$(getent passwd _ikemon)
purge_ours() {
	if [ -e "$MARKER" ]; then
		dpkg --purge ikemon >>"$T/cleanup.log" 2>&1
		rm -f "$MARKER"
	fi
	# the postinst's user, when this run made it
	[ -n "$USER_BEFORE" ] || userdel _ikemon >>"$T/cleanup.log" 2>&1
	rm -rf /run/systemd/system/ikemond.service.d/ikemon-test.conf /run/ikemon-pkgtest
}
trap 'purge_ours; cleanup' EXIT

pkg_status() { dpkg-query -W -f='${db:Status-Status}' ikemon 2>/dev/null; }
# a run of this test that was killed left its package: ours to remove
if [ -e "$MARKER" ]; then
	echo "# $MARKER: an earlier run left its package installed; purging it"
	purge_ours
fi
st=$(pkg_status)
case $st in
"" | not-installed) ;;
*) skip "ikemon is $st on this machine, not by this test: not touching it" ;;
esac
for f in /etc/ikemond.conf /var/lib/ikemon /run/ikemond /run/ikemond.sock; do
	[ -e "$f" ] || [ -L "$f" ] && skip "$f exists: an ikemond of this machine's own would be disturbed"
done

# ---------------------------------------------------------------- build

P=$T/pkg/ikemon-$VERSION
mkdir -p "$P"
if [ -d "$SRC/.git" ] && command -v git >/dev/null; then
	# the tree as it is: tracked and new files, nothing git ignores (build trees ...)
	(cd "$SRC" && git ls-files -co --exclude-standard -z | xargs -0 -r ls -d 2>/dev/null |
		tar -cf - -T -) | tar -xf - -C "$P"
	how="git ls-files (tracked and new files)"
else
	# a release tree (make distcheck's, read-only): all of it but build directories
	tar -C "$SRC" --exclude='./build*' --exclude='./_build' --exclude='./ikemon-[0-9]*' \
		-cf - . | tar -xf - -C "$P"
	how="the whole tree"
fi
chmod -R u+w "$P"
check "a copy of the source tree to build from ($how: $(find "$P" -type f | wc -l) files)" \
	test -f "$P/debian/rules" -a -f "$P/configure.ac"
if ! (cd "$P" && dpkg-checkbuilddeps) >"$T/builddeps.log" 2>&1; then
	cat "$T/builddeps.log"
	skip "build dependencies missing: $(sed -n 's/.*Unmet build dependencies: //p' "$T/builddeps.log")"
fi
t0=$(date +%s)
(cd "$P" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b builds it ($(($(date +%s) - t0)) s, log: build.log)" test $rc = 0
[ $rc = 0 ] || { tail -n 40 "$T/build.log"; finish; }
DEB=$(ls "$T"/pkg/ikemon_"$VERSION"_*.deb 2>/dev/null)
check "one .deb: $(basename "${DEB:-none}")" test "$(echo "$DEB" | wc -w)" = 1
field() { dpkg-deb -f "$DEB" "$1"; }
check "Package ikemon, Version $VERSION (ikemond -V; debian/changelog agrees with configure.ac)" \
	test "$(field Package) $(field Version)" = "ikemon $VERSION"
check "Depends on the libraries ikemond links (shlibs): libsnmp, libmicrohttpd, libssl, zlib" \
	bash -c "d='$(field Depends)'; for l in libsnmp libmicrohttpd libssl3 zlib1g libc6; do case \$d in *\$l*) ;; *) exit 1 ;; esac; done"
if command -v lintian >/dev/null; then
	lintian --fail-on error,warning "$T"/pkg/ikemon_"$VERSION"_*.changes >"$T/lintian.log" 2>&1
	rc=$?
	check "lintian finds no error and no warning$(grep -E '^[EW]:' "$T/lintian.log" | head -3 | tr '\n' ' ' | sed 's/^./: &/')" \
		test $rc = 0
else
	echo "# lintian not found (Debian package lintian): the package was not linted"
fi
dpkg-deb -e "$DEB" "$T/control"
check "/etc/ikemond.conf is the package's only conffile" \
	test "$(cat "$T/control/conffiles")" = /etc/ikemond.conf
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | grep -v '^$' >"$T/deb.paths"
# directories of the package that exist now: they must exist after the purge, the others not
while read -r p; do
	[ -d "$p" ] && echo "$p"
done <"$T/deb.paths" >"$T/dirs.before"
# dpkg would silently take over a file of the package that no package owns (a make
# install into /usr, say), and the purge would then delete it
taken=
while read -r p; do
	if { [ -e "$p" ] || [ -L "$p" ]; } && [ ! -d "$p" ]; then taken="$taken $p"; fi
done <"$T/deb.paths"
[ -z "$taken" ] || skip "files of the package already exist here:$taken (installed by hand?): not touching them"

# ---------------------------------------------------------------- install

touch "$MARKER"
dpkg_do() { # dpkg ARGS... : waits up to 60 s for another dpkg to finish
	local i
	for i in $(seq 60); do
		dpkg "$@" >"$T/dpkg.last" 2>&1 && { cat "$T/dpkg.last" >>"$T/dpkg.log"; return 0; }
		cat "$T/dpkg.last" >>"$T/dpkg.log"
		grep -q 'frontend lock\|database is locked' "$T/dpkg.last" || { cat "$T/dpkg.last"; return 1; }
		sleep 1
	done
	return 1
}
check "dpkg -i installs it" dpkg_do -i "$DEB"
check "dpkg says: install ok installed" test "$(pkg_status)" = installed
check "the postinst made the system user _ikemon (group _ikemon, no login shell): $(getent passwd _ikemon)" \
	bash -c "getent passwd _ikemon | grep -q ':/nonexistent:/usr/sbin/nologin\$' && [ \"\$(id -gn _ikemon)\" = _ikemon ] && [ \"\$(id -u _ikemon)\" -lt 1000 ]"
want=(/usr/sbin/ikemond /usr/bin/ikemonctl /usr/share/snmp/mibs/IKEMON-MIB.txt
	/lib/systemd/system/ikemond.service /usr/lib/tmpfiles.d/ikemond.conf /etc/ikemond.conf
	/usr/share/man/man8/ikemond.8.gz /usr/share/man/man8/ikemonctl.8.gz
	/usr/share/man/man5/ikemond.conf.5.gz /usr/share/ikemon/ikemon.rules.yml
	/usr/share/ikemon/grafana-dashboard.json /usr/share/bash-completion/completions/ikemonctl
	/usr/share/doc/ikemon/examples/ikemond.conf /usr/share/doc/ikemon/examples/fleet/prometheus.yml
	/usr/share/doc/ikemon/examples/snmp/snmptrapd.conf /usr/share/doc/ikemon/README.Debian)
missing=
for f in "${want[@]}"; do [ -f "$f" ] || missing="$missing $f"; done
check "${#want[@]} files in place (missing:${missing:- none})" test -z "$missing"
check "the installed ikemond runs: $(/usr/sbin/ikemond -V 2>&1)" test "$(/usr/sbin/ikemond -V)" = "ikemond $VERSION"
check "every library of ikemond and ikemonctl is found (ldd)" \
	bash -c "! ldd /usr/sbin/ikemond /usr/bin/ikemonctl | grep -q 'not found'"
check "/etc/ikemond.conf is the tree's etc/ikemond.conf" cmp -s /etc/ikemond.conf "$SRC/etc/ikemond.conf"
check "the unit runs /usr/sbin/ikemond -f -c /etc/ikemond.conf" \
	grep -qx 'ExecStart=/usr/sbin/ikemond -f -c /etc/ikemond.conf' /lib/systemd/system/ikemond.service
if command -v man >/dev/null; then
	check "man finds ikemond(8), ikemond.conf(5), ikemonctl(8)" \
		bash -c "man -w 8 ikemond | grep -q /usr/share/man/man8/ikemond.8.gz && man -w 5 ikemond.conf | grep -q man5 && man -w ikemonctl | grep -q man8"
fi
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify /lib/systemd/system/ikemond.service 2>&1)
	check "systemd-analyze verify on the installed unit (man pages checked too): clean${out:+: $out}" test -z "$out"
fi
BASE=${IKEMON_MIBDIRS:-/var/cache/ikemon/mibs}
if command -v snmptranslate >/dev/null && [ -e "$BASE/SNMPv2-SMI.mib" ]; then
	check "Net-SNMP finds IKEMON-MIB by itself in /usr/share/snmp/mibs (only the IETF base MIBs added)" \
		bash -c "snmptranslate -M +$BASE -m IKEMON-MIB -On IKEMON-MIB::ikemonSaState 2>/dev/null | grep -qx '.1.3.6.1.4.1.8072.9999.9999.500.2.5.1.24'"
fi
check "not enabled: no multi-user.target.wants link" \
	test ! -e /etc/systemd/system/multi-user.target.wants/ikemond.service
running() { # an ikemond from /usr/sbin runs
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/ikemond ] && return 0
	done
	return 1
}
check "not started: no /usr/sbin/ikemond runs after the installation" bash -c "$(declare -f running); ! running"
if command -v systemd-tmpfiles >/dev/null; then
	check "systemd-tmpfiles made /run/ikemond.sock a link into the unit's RuntimeDirectory" \
		test "$(readlink /run/ikemond.sock)" = ikemond/ikemond.sock
fi
check "the installed bash completion completes: ikemonctl sh<TAB> -> show" \
	bash -c ". /usr/share/bash-completion/completions/ikemonctl; COMP_WORDS=(ikemonctl sh); COMP_CWORD=1; _ikemonctl; [ \"\${COMPREPLY[*]}\" = show ]"

# ---------------------------------------------------------------- run

# /etc/ikemond.conf as installed, adapted: the test's address and socket, a peer whose
# key is in a file (mode 0600), the Prometheus endpoint
printf '%s\n' "psk-of-the-package-test" >"$T/peer.psk"
chmod 600 "$T/peer.psk"
adapt() { # CONTROL-PATH PSK-FILE
	sed -e "s|^control = .*|control = $1|" -e "s|^\[ikemond\]\$|[ikemond]\nlisten = $ADDR:500|" \
		/etc/ikemond.conf
	printf '[peer probe]\nremote = 127.10.131.4\npsk = file:%s\nauto = add\n[http]\nlisten = %s:9731\n' \
		"$2" "$ADDR"
}
metric() { curl -sf --max-time 2 "http://$ADDR:9731/metrics" | grep -q "^$1\$"; }
PID1=$(ps -p 1 -o comm= 2>/dev/null)
if [ "$PID1" = systemd ] && [ -d /run/systemd/system ]; then
	echo "# systemd is PID 1: starting ikemond.service"
	mkdir -p /run/ikemon-pkgtest /run/systemd/system/ikemond.service.d
	cp "$T/peer.psk" /run/ikemon-pkgtest/ 2>/dev/null
	adapt /run/ikemond/ikemond.sock /run/ikemon-pkgtest/peer.psk >/run/ikemon-pkgtest/ikemond.conf
	chmod 600 /run/ikemon-pkgtest/peer.psk
	chown _ikemon: /run/ikemon-pkgtest/peer.psk
	printf '[Service]\nExecStart=\nExecStart=/usr/sbin/ikemond -f -c /run/ikemon-pkgtest/ikemond.conf\n' \
		>/run/systemd/system/ikemond.service.d/ikemon-test.conf
	systemctl daemon-reload
	check "systemctl start ikemond" systemctl start ikemond.service
	check "it is active" wait_for 10 systemctl is-active --quiet ikemond.service
	check "ikemonctl with its default socket (/run/ikemond.sock, the link) answers" \
		wait_for 10 bash -c "/usr/bin/ikemonctl version | grep -qx 'ikemond $VERSION'"
	check "the sandbox: capability bounding set CAP_NET_BIND_SERVICE only (CapBnd 0x400)" \
		bash -c "grep -q '^CapBnd:.*0000000000000400\$' /proc/\$(systemctl show -p MainPID --value ikemond)/status"
	check "it runs as _ikemon (Uid $(id -u _ikemon) four times)" \
		bash -c "grep -q \"^Uid:\$(printf '\t%s' \$(id -u _ikemon){,,,})\$\" /proc/\$(systemctl show -p MainPID --value ikemond)/status"
	check "its metrics: ikemon_build_info" wait_for 5 metric "ikemon_build_info{version=\"$VERSION\"} 1"
	check "systemctl reload ikemond (SIGHUP): reloaded, still answering" \
		bash -c "systemctl reload ikemond && sleep 1 && /usr/bin/ikemonctl show ikemon peers | grep -q '^probe ' && curl -sf http://$ADDR:9731/metrics | grep -q '^ikemon_config_last_reload_successful 1'"
	check "systemctl stop ikemond" systemctl stop ikemond.service
	rm -rf /run/systemd/system/ikemond.service.d/ikemon-test.conf /run/ikemon-pkgtest
	rmdir /run/systemd/system/ikemond.service.d 2>/dev/null
	systemctl daemon-reload
else
	echo "# systemd is not PID 1 here (PID 1 is '${PID1:-unknown}'): the unit cannot be started."
	echo "# Starting the installed /usr/sbin/ikemond instead, on the installed /etc/ikemond.conf"
	echo "# adapted (listen $ADDR, control in the test's directory, a peer, [http]), with the"
	echo "# unit's user (_ikemon), its ambient CAP_NET_BIND_SERVICE, bounding set and no_new_privs."
	# the unit's RuntimeDirectory: a directory of _ikemon's, the key file its own
	chmod 0711 "$T"
	install -d -m 0700 -o _ikemon -g _ikemon "$T/run"
	install -m 0600 -o _ikemon -g _ikemon "$T/peer.psk" "$T/run/peer.psk"
	adapt "$T/run/pkg.sock" "$T/run/peer.psk" >"$T/pkg.conf"
	chmod 0644 "$T/pkg.conf"
	RUN=()
	command -v setpriv >/dev/null &&
		RUN=(setpriv --reuid=_ikemon --regid=_ikemon --clear-groups --inh-caps +net_bind_service
			--ambient-caps +net_bind_service --bounding-set -all,+net_bind_service --no-new-privs --)
	"${RUN[@]}" /usr/sbin/ikemond -f -c "$T/pkg.conf" 2>>"$T/pkg.log" &
	PID[pkg]=$!
	check "the installed ikemond starts on it${RUN:+ (setpriv: as _ikemon, CAP_NET_BIND_SERVICE only)}" \
		wait_for 10 test -S "$T/run/pkg.sock"
	if [ -n "${RUN[*]}" ]; then
		check "it runs as _ikemon, holds CAP_NET_BIND_SERVICE and nothing else (CapEff 0x400), no_new_privs" \
			bash -c "grep -q \"^Uid:\$(printf '\t%s' \$(id -u _ikemon){,,,})\$\" /proc/${PID[pkg]}/status && grep -q '^CapEff:.*0000000000000400\$' /proc/${PID[pkg]}/status && grep -q '^NoNewPrivs:.*1' /proc/${PID[pkg]}/status"
	fi
	check "the installed ikemonctl talks to it: ikemond $VERSION" \
		bash -c "/usr/bin/ikemonctl -s $T/run/pkg.sock version | grep -qx 'ikemond $VERSION'"
	check "the peer whose key is in a 0600 file of _ikemon's is loaded" \
		bash -c "/usr/bin/ikemonctl -s $T/run/pkg.sock show ikemon peers | grep -q '^probe '"
	check "its metrics: ikemon_build_info{version=\"$VERSION\"} 1" \
		wait_for 5 metric "ikemon_build_info{version=\"$VERSION\"} 1"
	/bin/kill -HUP "${PID[pkg]}" # the unit's ExecReload
	check "reloaded as ExecReload does (SIGHUP)" wait_for 5 grep -q "reloaded $T/pkg.conf: 1 peer" "$T/pkg.log"
	kill -TERM "${PID[pkg]}"
	wait "${PID[pkg]}"
	rc=$?
	unset "PID[pkg]"
	check "SIGTERM: it stops, exit status 0" test $rc = 0
	check "no key in its log" bash -c "! grep -q 'psk-of-the-package-test' $T/pkg.log"
fi

# ---------------------------------------------------------------- remove, purge

check "dpkg -r removes it" dpkg_do -r ikemon
check "the programs are gone" test ! -e /usr/sbin/ikemond -a ! -e /usr/bin/ikemonctl
check "the conffile stays until the purge (status config-files)" \
	bash -c "[ -f /etc/ikemond.conf ] && [ \"\$(dpkg-query -W -f='\${db:Status-Status}' ikemon)\" = config-files ]"
check "the /run/ikemond.sock link is gone" test ! -L /run/ikemond.sock
check "dpkg --purge purges it" dpkg_do --purge ikemon
rm -f "$MARKER"
check "dpkg knows it no more" bash -c "[ -z \"\$(dpkg-query -W -f='\${db:Status-Status}' ikemon 2>/dev/null)\" ] || [ \"\$(dpkg-query -W -f='\${db:Status-Status}' ikemon 2>/dev/null)\" = not-installed ]"
left=
while read -r p; do
	if [ -e "$p" ] || [ -L "$p" ]; then
		grep -qxF "$p" "$T/dirs.before" || left="$left $p"
	fi
done <"$T/deb.paths"
for p in /etc/ikemond.conf /var/lib/ikemon /run/ikemond /run/ikemond.sock; do
	[ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
left="$left $(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled \
	/var/lib/systemd/deb-systemd-helper-masked -name 'ikemond*' 2>/dev/null | tr '\n' ' ')"
left=$(echo $left)
check "nothing of the package is left (of $(wc -l <"$T/deb.paths") paths; left: ${left:-none})" test -z "$left"
finish
