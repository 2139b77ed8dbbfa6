#!/usr/bin/env bash
# privileges.sh - ikemond started as root with `user =` and `control_group =` opens its
# IKE and NAT-T sockets, its SNMP and HTTP ports and its control socket, reads its key
# files, then becomes the user: /proc/PID/status shows the user's IDs everywhere (real,
# effective, saved, file system), CAP_NET_BIND_SERVICE alone (effective, permitted,
# bounding).  An SA still comes up; a reload that adds a listen address on UDP 500 binds
# it (an SA is negotiated over it); a reload re-reads a key file the user can read and
# refuses one only root can; the control socket is 0660 with the group (a member may
# use it, a non-member may not), 0600 without control_group; the SNMP persistent_dir is
# the user's, and its state written at stop is too.
#
# Creates three system users and a group (useradd/groupadd) and removes them on exit.
. "$(dirname "$0")/lib.sh"

for tool in useradd userdel groupadd groupdel runuser curl snmpget; do
	command -v $tool >/dev/null 2>&1 || skip "$tool not found (Debian packages passwd, util-linux, curl, snmp)"
done

A=127.10.110.1  # dropped to $U; control_group $G
B=127.10.110.2  # root, as before (control 0600)
A2=127.10.110.3 # a's second address, added by a reload
C=127.10.110.4  # talks to a's second address
U=ikemon-pt$$   # ikemond's user
G=ikemon-pg$$   # the control group
M=ikemon-pm$$   # a member of $G
N=ikemon-pn$$   # not a member

del_accounts() {
	userdel "$U" 2>/dev/null
	userdel "$M" 2>/dev/null
	userdel "$N" 2>/dev/null
	groupdel "$G" 2>/dev/null
}
trap 'cleanup; del_accounts' EXIT
# useradd and groupadd lock /etc/passwd and /etc/group: one at a time with the other
# tests that change the machine (debian_package.sh's postinst adds a user too)
system_lock

useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U" ||
	{ not_ok "useradd $U"; finish; }
groupadd --system "$G" && useradd --system -M -s /usr/sbin/nologin -G "$G" "$M" &&
	useradd --system -M -s /usr/sbin/nologin "$N" || { not_ok "groupadd/useradd"; finish; }
uid=$(id -u "$U")
gid=$(id -g "$U")

# $T stays root's (0711: others may pass, not list); the user's own directories in it
chmod 0711 "$T"
install -d -m 0755 -o "$U" -g "$gid" "$T/run"
install -d -m 0700 -o "$U" -g "$gid" "$T/keys"
mkdir -p "$T/snmp-a" # root's, as ikemond would find it: given to the user at the drop
printf 'privileged-secret\n' >"$T/keys/a.psk"
chown "$U:$gid" "$T/keys/a.psk"
chmod 0600 "$T/keys/a.psk"

conf_a() { # $1: listen
	cat <<EOF
[ikemond]
listen = $1
control = $T/run/a.sock
log_level = debug
user = $U
control_group = $G
retransmit_timeout = 0.2
retransmit_tries = 3
stall_after = 1.5
qm_stall_after = 1.5
restart_delay = 1
[peer b]
remote = $B
psk = file:$T/keys/a.psk
auto = start
${2:-}
[http]
listen = $A:9800
[snmp]
listen = udp:$A:1170
rocommunity = privtest 127.0.0.0/8
persistent_dir = $T/snmp-a
EOF
}
conf_a "$A:500" >"$T/a.conf"
write_conf b $B <<EOF
[peer a]
remote = $A
psk = "privileged-secret"
auto = add
EOF

"$IKEMOND" -c "$T/a.conf" -f 2>>"$T/a.log" &
PID[a]=$!
start b
check "ikemond a starts as root with user = $U and control_group = $G" \
	wait_for 10 grep -q "running as user $U (uid $uid, gid $gid)" "$T/a.log"
st=/proc/${PID[a]}/status
field() { awk -v f="$1:" '$1 == f { $1 = ""; print substr($0, 2) }' "$st"; } # space-separated
check "Uid: real, effective, saved and fs are all $uid ($(field Uid))" \
	test "$(field Uid)" = "$uid $uid $uid $uid"
check "Gid: all four are $gid ($(field Gid))" test "$(field Gid)" = "$gid $gid $gid $gid"
check "supplementary groups: $gid alone ($(field Groups))" test "$(echo $(field Groups))" = "$gid"
check "CapEff is CAP_NET_BIND_SERVICE alone ($(field CapEff))" test "$(field CapEff)" = 0000000000000400
check "CapPrm is CAP_NET_BIND_SERVICE alone ($(field CapPrm))" test "$(field CapPrm)" = 0000000000000400
check "CapBnd is CAP_NET_BIND_SERVICE alone ($(field CapBnd))" test "$(field CapBnd)" = 0000000000000400
check "CapInh and CapAmb are empty" \
	test "$(field CapInh) $(field CapAmb)" = "0000000000000000 0000000000000000"

check "the SA with b comes up (psk from the user's 0600 file)" \
	wait_for 10 bash -c "$IKEMONCTL -s $T/run/a.sock show crypto isakmp sa | grep -Eq '^$B +$A +QM_IDLE'"
check "HTTP (bound before the drop) answers" \
	bash -c "curl -sf --max-time 3 http://$A:9800/metrics | grep -q '^ikemon_build_info'"
check "SNMP (bound before the drop) answers" \
	bash -c "snmpget -v2c -c privtest -t 2 -r 1 udp:$A:1170 1.3.6.1.2.1.1.3.0 | grep -q Timeticks"
check "persistent_dir was given to $U" test "$(stat -c %U "$T/snmp-a")" = "$U"

# the control sockets
check "a's control socket: mode 660, group $G ($(stat -c '%a %G' "$T/run/a.sock"))" \
	test "$(stat -c '%a %G' "$T/run/a.sock")" = "660 $G"
check "b's control socket (no control_group): mode 600 ($(stat -c %a "$T/b.sock"))" \
	test "$(stat -c %a "$T/b.sock")" = 600
check "a member of $G uses ikemonctl" \
	bash -c "runuser -u $M -- $IKEMONCTL -s $T/run/a.sock show ikemon peers | grep -q '^b '"
out=$(runuser -u "$N" -- "$IKEMONCTL" -s "$T/run/a.sock" version 2>&1)
check "a non-member cannot connect ($out)" bash -c "! runuser -u $N -- $IKEMONCTL -s $T/run/a.sock version >/dev/null 2>&1"
check "... and is refused by the file mode (permission denied)" grep -qi "permission denied" <<<"$out"
check "root still may" bash -c "$IKEMONCTL -s $T/run/a.sock version | grep -q ikemond"

# a reload that binds a new port below 1024: 127.10.110.3:500 (and :4500) as $U
write_conf c $C <<EOF
[peer a2]
remote = $A2
psk = "second-address-secret"
auto = start
EOF
conf_a "$A:500, $A2:500" "[peer c]
remote = $C
local = $A2
psk = \"second-address-secret\"
auto = add" >"$T/a.conf"
kill -HUP "${PID[a]}"
check "a's reload adds $A2:500 as $U: 4 IKE sockets" \
	wait_for 5 grep -q "reload: listening on 4 IKE sockets" "$T/a.log"
check "... bound: UDP $A2:500 and $A2:4500 are a's" \
	bash -c "ss -Hulnp | grep -F 'pid=${PID[a]},' | grep -q '$A2:500 ' && ss -Hulnp | grep -F 'pid=${PID[a]},' | grep -q '$A2:4500 '"
start c
check "an SA with c comes up over the new address" \
	wait_for 10 bash -c "$IKEMONCTL -s $T/c.sock show crypto isakmp sa | grep -Eq '^$A2 +$C +QM_IDLE'"
check "the SA with b stayed up across the reload" \
	bash -c "$IKEMONCTL -s $T/run/a.sock show crypto isakmp sa | grep -Eq '^$B +$A +QM_IDLE'"
check "still $uid and CAP_NET_BIND_SERVICE alone after the reload" \
	bash -c "[ \"\$(awk '/^Uid:/ {print \$3}' $st)\" = $uid ] && grep -q '^CapEff:.*0000000000000400\$' $st"

# a key file only root can read: the reload is refused, the running config kept
printf 'root-only\n' >"$T/root.psk"
chmod 0600 "$T/root.psk"
sed -i "s|psk = file:$T/keys/a.psk|psk = file:$T/root.psk|" "$T/a.conf"
out=$($IKEMONCTL -s "$T/run/a.sock" reload 2>&1)
check "a reload naming a key file only root can read fails ($out)" grep -q "Permission denied" <<<"$out"
check "... and the running peers stay" \
	bash -c "$IKEMONCTL -s $T/run/a.sock show ikemon peers | grep -q '^c '"

stop a
check "at stop, a unlinked its control socket (the directory is $U's)" test ! -e "$T/run/a.sock"
check "the SNMP state written at stop is $U's" \
	bash -c "[ \"\$(stat -c %U $T/snmp-a/ikemond-snmp.conf)\" = $U ]"
check "no key in a's log" bash -c "! grep -q 'privileged-secret\|second-address-secret' $T/a.log"
finish
