#!/usr/bin/env bash
# ikemonctl for a person: errors that say what was typed, what was expected, the closest
# command, keyword, option or peer when a word looks like a typo of one, and the usage
# lines that apply; exit status 1 when ikemond refused, 2 for usage or connection
# trouble.  Then the bash completion (contrib/bash-completion/ikemonctl), sourced here
# and driven as bash drives it (COMP_WORDS, COMP_CWORD, _ikemonctl, COMPREPLY): command
# words with IOS abbreviations, options, and the peers, alarms and conn-ids of a running
# ikemond.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
COMPLETION=$SRC/contrib/bash-completion/ikemonctl
A=127.10.132.7 SILENT=127.10.132.8   # nothing listens on SILENT: a peer-silent alarm

write_conf a $A <<EOF
[peer hub-paris]
remote = 192.0.2.1
psk = "k"
auto = add
[peer spoke1]
remote = 192.0.2.21
psk = "k"
auto = add
[peer spoke2]
remote = 192.0.2.22
psk = "k"
auto = add
[peer silent]
remote = $SILENT
psk = "k"
auto = start
EOF
start a

# err EXIT-STATUS WORDS...: run ikemonctl; its stderr in $T/err; succeeds when the exit
# status is the one given
err() {
	local want=$1 rc
	shift
	"$IKEMONCTL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] || { echo "# exit $rc, expected $want: $*"; cat "$T/err"; return 1; }
}
says() { grep -qF -- "$1" "$T/err" || { echo "# stderr lacks: $1"; sed 's/^/#   /' "$T/err"; return 1; }; }
S=(-s "$T/a.sock")

err 1 "${S[@]}" shwo crypto isakmp sa
check "unknown command 'shwo': did you mean 'show'? (exit 1: ikemond refused)" \
	says "unknown command 'shwo': did you mean 'show'?"
err 1 "${S[@]}" frob
check "unknown command 'frob': every command listed" \
	says "expected 'show', 'initiate', 'clear', 'reload', 'version' or 'help'"
err 1 "${S[@]}" show
check "'show' alone: what must follow, and the five show commands' usage" \
	bash -c "grep -qF \"incomplete command 'show': 'crypto', 'ikemon' or 'alarms' must follow\" $T/err && [ \$(grep -c '^ikemonctl: \(usage:\)\{0,1\} *show ' $T/err) = 5 ] && grep -q 'usage: show crypto isakmp sa \[detail\] \[--json\]' $T/err"
err 1 "${S[@]}" show cyr isa sa
check "'show cyr isa sa': did you mean 'crypto'? (a typo of the abbreviation)" \
	says "unknown word 'cyr' after 'show': did you mean 'crypto'? (expected 'crypto', 'ikemon' or 'alarms')"
err 1 "${S[@]}" sh cry i sa
check "'sh cry i sa': i is ambiguous, isakmp or ipsec, and the crypto commands' usage" \
	bash -c "grep -qF \"ambiguous word 'i': isakmp or ipsec?\" $T/err && grep -qF 'show crypto ipsec sa [--json]' $T/err && ! grep -q 'show alarms' $T/err"
err 1 "${S[@]}" show crypto isakmp sa detial
check "'... sa detial': did you mean 'detail'?" \
	says "unexpected 'detial' after 'show crypto isakmp sa': did you mean 'detail'?"
err 1 "${S[@]}" show alarms hsitory
check "'show alarms hsitory': did you mean 'history'?" says "did you mean 'history'?"
err 1 "${S[@]}" show crypto isakmp
check "'show crypto isakmp': 'sa' must follow" \
	says "incomplete command 'show crypto isakmp': 'sa' must follow"
err 1 "${S[@]}" initiate
check "'initiate' alone: the peer's name must follow; usage: initiate PEER" \
	bash -c "grep -qF \"incomplete command 'initiate': the peer's name must follow\" $T/err && grep -qF 'usage: initiate PEER' $T/err"
err 1 "${S[@]}" initiate hub-pairs
check "'initiate hub-pairs': no such peer, did you mean 'hub-paris'?" \
	says "no peer named 'hub-pairs': did you mean 'hub-paris'?"
err 1 "${S[@]}" initiate spoke
check "'initiate spoke' (spoke1 and spoke2 as close): no guess, the count of peers" \
	says "no peer named 'spoke' ('show ikemon peers' lists the 4 configured)"
err 1 "${S[@]}" clear alarm spkoe1
check "'clear alarm spkoe1': did you mean 'spoke1'?" says "did you mean 'spoke1'?"
err 1 "${S[@]}" clear alarm spoke1
check "'clear alarm spoke1' (no alarm): says where the active ones are listed" \
	says "peer spoke1 has no active alarm ('show alarms' lists the active ones)"
err 1 "${S[@]}" clear crypto isakmp 77
check "'clear crypto isakmp 77': no such SA, and where they are listed" \
	says "no ISAKMP SA with conn-id 77 ('show crypto isakmp sa' lists them)"
err 1 "${S[@]}" clear crypto isakmp x1
check "'clear crypto isakmp x1': a number is expected, and the usage" \
	bash -c "grep -qF \"invalid conn-id 'x1': a number such as 1001 is expected\" $T/err && grep -qF 'usage: clear crypto isakmp [CONN-ID]' $T/err"
err 1 "${S[@]}" reload now
check "'reload now': unexpected word, usage: reload" \
	bash -c "grep -qF \"unexpected 'now' after 'reload'\" $T/err && grep -qx 'ikemonctl: usage: reload' $T/err"
err 1 "${S[@]}" version --json
check "'version --json': --json is for show commands" says "--json applies to show commands only"
err 2 "${S[@]}" --jsno show alarms
check "unknown option '--jsno': did you mean '--json'? (exit 2)" says "unknown option '--jsno': did you mean '--json'?"
err 2 "${S[@]}"
check "no command: says so, then the usage (exit 2)" \
	bash -c "grep -qF 'no command given' $T/err && grep -qF 'usage: ikemonctl' $T/err"
err 2 -s "$T/nothing-here.sock" version
check "no daemon: cannot connect, is ikemond running?, how to name the socket (exit 2)" \
	bash -c "grep -qF 'cannot connect to $T/nothing-here.sock' $T/err && grep -qF 'is ikemond running?' $T/err && grep -qF -- '-s SOCKET or IKEMOND_SOCKET' $T/err"
check "abbreviations still work: sh cry isa sa" bash -c "'$IKEMONCTL' ${S[*]} sh cry isa sa | grep -q 'IPv4 Crypto ISAKMP SA'"

# every usage line an error quotes is a command of the help (the client's, which the
# manual page is checked against)
"$IKEMONCTL" "${S[@]}" help |
	sed -n 's/^  \(\(show\|initiate\|clear\|reload\|version\|help\)\( [^ ]\{1,\}\)*\) .*/\1/p' >"$T/help.cmds"
: >"$T/usage.lines"
for words in "show" "show crypto" "clear" "initiate" "clear alarm" "reload now" "version x"; do
	# shellcheck disable=SC2086
	"$IKEMONCTL" "${S[@]}" $words 2>&1 >/dev/null |
		sed -n 's/^ikemonctl: usage: //p; s/^ikemonctl:        //p' >>"$T/usage.lines"
done
n_usage=$(sort -u "$T/usage.lines" | wc -l)
missing=$(sort -u "$T/usage.lines" | grep -vxFf "$T/help.cmds" | tr '\n' '|')
check "the $n_usage usage lines quoted by errors are all commands of 'ikemonctl help' (not: ${missing:-none})" \
	bash -c "[ $n_usage -ge 9 ] && [ -z '$missing' ]"

# ---------------------------------------------------------------- bash completion

[ -r "$COMPLETION" ] || { not_ok "no $COMPLETION"; finish; }
check "the completion for active alarms needs one: silent's peer-silent alarm is raised" \
	wait_for 15 bash -c "'$IKEMONCTL' ${S[*]} show alarms --json | grep -q '\"peer\":\"silent\"'"

# comp WORD... : the completions _ikemonctl offers for the command line "ikemonctl WORD...",
# the cursor in the last word; sorted, one line
comp() {
	bash -c '
		. "$1" || exit 3
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_ikemonctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ *$//"
	' comp "$COMPLETION" "$IKEMONCTL" "$@"
}
# comp_is "EXPECTED" WORD...
comp_is() {
	local want=$1 got
	shift
	got=$(comp "$@")
	[ "$got" = "$want" ] || { echo "# ikemonctl $* <TAB>: got '$got', expected '$want'"; return 1; }
}

check "complete -F _ikemonctl ikemonctl is registered" \
	bash -c ". '$COMPLETION' && complete -p ikemonctl | grep -q -- '-F _ikemonctl'"
check "ikemonctl <TAB>: the commands" comp_is "clear help initiate reload show version" ""
check "ikemonctl sh<TAB>: show" comp_is "show" sh
check "ikemonctl show <TAB>: alarms crypto ikemon" comp_is "alarms crypto ikemon" show ""
check "ikemonctl sh cry <TAB> (abbreviated): ipsec isakmp" comp_is "ipsec isakmp" sh cry ""
check "ikemonctl show crypto i<TAB>: ipsec isakmp" comp_is "ipsec isakmp" show crypto i
check "ikemonctl show crypto isakmp sa <TAB>: --json detail" comp_is "--json detail" show crypto isakmp sa ""
check "ikemonctl --json show crypto isakmp sa <TAB>: detail (--json is given)" \
	comp_is "detail" --json show crypto isakmp sa ""
check "ikemonctl show alarms <TAB>: --json history" comp_is "--json history" show alarms ""
check "ikemonctl show ikemon <TAB>: peers status" comp_is "peers status" show ikemon ""
check "ikemonctl clear <TAB>: alarm crypto" comp_is "alarm crypto" clear ""
check "ikemonctl --j<TAB>: --json" comp_is "--json" --j
check "ikemonctl -<TAB>: the options" comp_is "--help --json --socket -h -s" -
check "ikemonctl shwo <TAB> (ikemond would refuse it): nothing" comp_is "" shwo ""
check "ikemonctl reload <TAB>: nothing" comp_is "" reload ""
check "ikemonctl -s <dir>/a.so<TAB>: the socket file" comp_is "$T/a.sock" -s "$T/a.so"
check "ikemonctl -s SOCK initiate <TAB>: the configured peers, from ikemond" \
	comp_is "hub-paris silent spoke1 spoke2" -s "$T/a.sock" initiate ""
check "ikemonctl -s SOCK initiate sp<TAB>: spoke1 spoke2" comp_is "spoke1 spoke2" -s "$T/a.sock" initiate sp
check "ikemonctl -s SOCK clear alarm <TAB>: the peers with an active alarm" \
	comp_is "silent" -s "$T/a.sock" clear alarm ""
# silent's retries add SAs: what is offered lies between the SAs before and after
conn_ids() { ctl a show crypto isakmp sa --json | grep -o '"conn_id":[0-9]*' | cut -d: -f2 | sort -u; }
conn_ids >"$T/ids.before"
comp -s "$T/a.sock" clear crypto isakmp "" | tr ' ' '\n' | sed '/^$/d' | sort -u >"$T/ids.offered"
conn_ids >"$T/ids.after"
check "ikemonctl -s SOCK clear crypto isakmp <TAB>: the conn-ids ($(tr '\n' ' ' <"$T/ids.offered"))" \
	bash -c "[ -s $T/ids.before ] && [ -z \"\$(comm -23 $T/ids.before $T/ids.offered)\" ] && [ -z \"\$(comm -23 $T/ids.offered $T/ids.after)\" ]"
check "ikemonctl -s /nowhere initiate <TAB>: nothing, quickly (no daemon)" \
	bash -c "s=\$(date +%s); [ -z \"$(comp -s /nowhere.sock initiate "")\" ] && [ \$((\$(date +%s) - s)) -lt 3 ]"

# the completion's command words are the daemon's
verbs=$(cut -d' ' -f1 "$T/help.cmds" | sort -u | tr '\n' ' ' | sed 's/ *$//')
check "the completion offers exactly the commands of ikemonctl help ($verbs)" \
	comp_is "$verbs" ""
finish
