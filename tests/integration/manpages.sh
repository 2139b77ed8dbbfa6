#!/usr/bin/env bash
# manpages.sh - the manual pages (man/ikemond.8, man/ikemond.conf.5, man/ikemonctl.8):
# mandoc's linter finds nothing in them, and they say what the code does.
#
#   1. `mandoc -T lint -W warning PAGE` prints nothing and exits 0, for each page.
#   2. ikemond.conf.5 against agent/config.c: every key of the key table is an
#      ".It Cm KEY" item under the ".Ss [SECTION]" of each section it belongs to, every
#      section of the section table has its ".Ss [SECTION]", and no item of a section the
#      code knows names a key the code does not accept there.
#   3. ikemonctl.8 against ikemonctl: every command of `ikemonctl help` starts a line of
#      the rendered page, as written in the help ("show alarms [history] [--json]"), and
#      so does every command of the daemon's own help (agent/commands.c) and every verb
#      of its verb table; every option of the help is there; every display marked
#      `.\" golden: FILE [FIRST-LAST]` is those lines of tests/golden/FILE.
#   4. ikemond.8 against ikemond: every option of `ikemond -h` starts a line of the
#      rendered page; every signal agent/ikemond.c catches or ignores, every Cisco state
#      name of ike/state.c, every cause id of ike/causes.c (as an ".It Cm ID" item) and
#      every cause's hint, word for word, are in it.
#
# Environment (set by make check): abs_top_srcdir, IKEMOND, IKEMONCTL.
# Exit status (automake): 0 all good, 1 a finding, 77 skipped (no mandoc), 99 broken setup.

set -u

SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN=$SRC/man
PAGES=(ikemond.8 ikemond.conf.5 ikemonctl.8)
IKEMOND=${IKEMOND:-${abs_top_builddir:-.}/ikemond}
IKEMONCTL=${IKEMONCTL:-${abs_top_builddir:-.}/ikemonctl}

if ! command -v mandoc >/dev/null 2>&1; then
	echo "########################################################################" >&2
	echo "# SKIPPED manpages: mandoc not found; the manual pages were NOT checked." >&2
	echo "#   apt-get install mandoc    (scripts/deps installs it)" >&2
	echo "########################################################################" >&2
	exit 77
fi

hard_error() {
	echo "manpages: ERROR: $*" >&2
	exit 99
}

for p in "${PAGES[@]}"; do
	[ -f "$MAN/$p" ] || hard_error "no $MAN/$p"
done
[ -x "$IKEMOND" ] || hard_error "no ikemond at $IKEMOND (make check builds it)"
[ -x "$IKEMONCTL" ] || hard_error "no ikemonctl at $IKEMONCTL (make check builds it)"

W=$(mktemp -d "${TMPDIR:-/tmp}/ikemon-manpages.XXXXXX") || hard_error "mktemp failed"
trap 'rm -rf "$W"' EXIT

FAILS=0
CHECKS=0

ok() {
	CHECKS=$((CHECKS + 1))
	echo "ok $CHECKS - $*"
}

not_ok() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "not ok $CHECKS - $*"
}

# render PAGE: the page as text, without overstrike, one file per page in $W
render() {
	mandoc -T ascii "$MAN/$1" | sed 's/.\x08//g' >"$W/$1.txt"
}

# has_line_start FILE TEXT: a line of FILE, blanks trimmed, is TEXT or starts with
# TEXT and a blank
has_line_start() {
	perl -e '
		my ($file, $want) = @ARGV;
		open(my $f, "<", $file) or die "$file: $!";
		while (<$f>) {
			s/^\s+//; s/\s+$//;
			exit 0 if $_ eq $want || index($_, "$want ") == 0;
		}
		exit 1;' -- "$1" "$2"
}

# has_option FILE FLAG: a line of FILE starts with FLAG (then a blank, ',' or '='), or
# names it after a comma ("-h, --help")
has_option() {
	perl -e '
		my ($file, $o) = @ARGV;
		open(my $f, "<", $file) or die "$file: $!";
		while (<$f>) {
			s/^\s+//; s/\s+$//;
			exit 0 if $_ eq $o || /^\Q$o\E[ ,=]/ || /, \Q$o\E\b/;
		}
		exit 1;' -- "$1" "$2"
}

# ---------------------------------------------------------------- 1. lint

for p in "${PAGES[@]}"; do
	out=$(mandoc -T lint -W warning "$MAN/$p" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		ok "mandoc -T lint -W warning man/$p: nothing to say"
	else
		not_ok "mandoc -T lint -W warning man/$p (exit $rc):"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
	render "$p" || hard_error "mandoc -T ascii man/$p failed"
done

# ---------------------------------------------------------------- 2. ikemond.conf.5

# agent/config.c's tables, as "KEY SECTION" lines (a key of several sections gives
# several lines): the key rules {"name", SEC_X, ...}, the section rules
# {"name", SEC_X, named, ...} and enum section { SEC_A = 1, SEC_AB = SEC_A | SEC_B }.
perl -0ne '
	my (%bit, %val);
	/enum\s+section\s*\{([^}]*)\}/ or die "agent/config.c: no enum section\n";
	for my $m (split /,/, $1) {
		$m =~ /(SEC_\w+)\s*=\s*(.+?)\s*$/s or next;
		$val{$1} = $2;
	}
	# #define SEC_X_REPEAT (SEC_X | CONFIG_REPEATABLE): flags other than SEC_* are not sections
	$val{$1} = $2 while /^#define\s+(SEC_\w+)\s+\(?([^)\n]*?)\)?\s*$/mg;
	while (/\{"([a-z]+)",\s*(SEC_\w+),\s*(?:true|false),/g) { $bit{$2} = $1; }
	die "agent/config.c: no section rules\n" unless %bit;
	my $sections;
	$sections = sub {
		my ($sym) = @_;
		my $v = $val{$sym} // die "agent/config.c: $sym is not in enum section\n";
		# a number: the bit of one section; else SEC_A | SEC_B
		return ($bit{$sym} // die "agent/config.c: $sym names no section\n") if $v =~ /^[0-9x]+$/i;
		return map { $sections->($_) } grep { /^SEC_/ } split(/\s*\|\s*/, $v);
	};
	print "section $_\n" for sort values %bit;
	while (/^\s*\{"([A-Za-z0-9_.]+)",\s*(SEC_\w+),\s*set_/mg) {
		my $key = $1;
		print "key $key $_\n" for $sections->($2);
	}' "$SRC/agent/config.c" >"$W/code_keys" || hard_error "cannot read the tables of agent/config.c"

# ikemond.conf.5's items, as "KEY SECTION" lines: ".It Cm KEY" under ".Ss [SECTION ...]"
perl -ne '
	if (/^\.S[sh]\s+\[(\w+)/) { $sec = $1; print "section $sec\n"; next; }
	if (/^\.S[sh]\s/) { undef $sec; next; }
	if (defined $sec && /^\.It\s+Cm\s+(\S+)/) { (my $k = $1) =~ s/\\&//g; print "key $k $sec\n"; }
' "$MAN/ikemond.conf.5" >"$W/page_keys"

n_keys=$(grep -c '^key ' "$W/code_keys")
[ "$n_keys" -gt 20 ] || hard_error "only $n_keys keys found in agent/config.c's key table"
missing=0
while read -r _ key sec; do
	if ! grep -qxF "key $key $sec" "$W/page_keys"; then
		not_ok "ikemond.conf.5: key '$key' of [$sec] (accepted by agent/config.c) has no '.It Cm $key' under '.Ss [$sec]'"
		missing=$((missing + 1))
	fi
done < <(grep '^key ' "$W/code_keys")
[ "$missing" = 0 ] && ok "ikemond.conf.5 documents all $n_keys key/section pairs of agent/config.c"

while read -r _ sec; do
	if grep -qxF "section $sec" "$W/page_keys"; then
		ok "ikemond.conf.5 has a '.Ss [$sec]' part"
	else
		not_ok "ikemond.conf.5 lacks a '.Ss [$sec]' part (section of agent/config.c)"
	fi
done < <(grep '^section ' "$W/code_keys")

stale=0
while read -r _ key sec; do
	if ! grep -qxF "section $sec" "$W/code_keys"; then
		continue
	fi
	if ! grep -qxF "key $key $sec" "$W/code_keys"; then
		not_ok "ikemond.conf.5 documents '$key' in [$sec], which agent/config.c does not accept there"
		stale=$((stale + 1))
	fi
done < <(grep '^key ' "$W/page_keys")
[ "$stale" = 0 ] && ok "every item of ikemond.conf.5's known sections is a key agent/config.c accepts there"

while read -r _ sec; do
	if ! grep -qxF "section $sec" "$W/code_keys"; then
		echo "#### NOTE: ikemond.conf.5 documents a [$sec] section that agent/config.c does not" \
			"accept yet ($(grep -c " $sec\$" "$W/page_keys") items, not checked against the code)"
	fi
done < <(grep '^section ' "$W/page_keys")

# ---------------------------------------------------------------- 3. ikemonctl.8

"$IKEMONCTL" help >"$W/ctl_help" 2>&1 || hard_error "$IKEMONCTL help failed"
# the command column of the "commands:" block, and the flags of the "options:" block
awk '/^commands:/ { c = 1; next } /^$/ { c = 0 } c { sub(/^ +/, ""); sub(/  .*/, ""); print }' \
	"$W/ctl_help" >"$W/ctl_cmds"
awk '/^options:/ { o = 1; next } /^$/ { o = 0 } o { sub(/^ +/, ""); sub(/  .*/, ""); print }' \
	"$W/ctl_help" | tr ',' '\n' | awk '{ print $1 }' >"$W/ctl_opts"
[ "$(wc -l <"$W/ctl_cmds")" -ge 8 ] || hard_error "cannot read the commands of '$IKEMONCTL help'"

before=$FAILS
checked=0
while IFS= read -r cmd; do
	checked=$((checked + 1))
	has_line_start "$W/ikemonctl.8.txt" "$cmd" ||
		not_ok "ikemonctl.8 has no item for '$cmd' (from ikemonctl help)"
done <"$W/ctl_cmds"
[ "$FAILS" = "$before" ] && ok "ikemonctl.8: checked its items against the $checked commands of 'ikemonctl help'"

# the daemon's help (help_lines[] in agent/commands.c, which `help` prints and the
# error messages quote) and its verb table
perl -0ne '
	/static const char \*const help_lines\[\] = \{.*?\n\};/s or die "agent/commands.c: no help_lines\n";
	my $f = $&;
	print "$1\n" while $f =~ /"([a-z][^"\\]*)",/g;
	print STDERR "verb $1\n" while /\{"([a-z]+)",\s*cmd_\w+,\s*(?:true|false)\}/g;
' "$SRC/agent/commands.c" >"$W/daemon_cmds" 2>"$W/verbs" || hard_error "cannot read agent/commands.c"
[ "$(wc -l <"$W/daemon_cmds")" -ge 8 ] || hard_error "cannot read help_lines in agent/commands.c"
[ "$(grep -c '^verb ' "$W/verbs")" -ge 5 ] || hard_error "cannot read the verb table of agent/commands.c"
before=$FAILS
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	has_line_start "$W/ikemonctl.8.txt" "$cmd" ||
		not_ok "ikemonctl.8 has no item for '$cmd' (the daemon's help, agent/commands.c)"
done <"$W/daemon_cmds"
while read -r _ verb; do
	n=$((n + 1))
	grep -Eq "^\\.It Cm $verb( |\$)" "$MAN/ikemonctl.8" ||
		not_ok "ikemonctl.8 has no '.It Cm $verb' item (verb of agent/commands.c)"
done <"$W/verbs"
[ "$FAILS" = "$before" ] && ok "ikemonctl.8: checked $n commands and verbs of agent/commands.c"

before=$FAILS
n=0
while IFS= read -r opt; do
	n=$((n + 1))
	has_option "$W/ikemonctl.8.txt" "$opt" ||
		not_ok "ikemonctl.8 does not describe the option $opt (from ikemonctl help)"
done <"$W/ctl_opts"
[ "$FAILS" = "$before" ] && ok "ikemonctl.8: checked the $n options of 'ikemonctl help' ($(tr '\n' ' ' <"$W/ctl_opts"))"

# golden displays: the literal display after each marker, unescaped, is the file's lines
perl -e '
	my ($page, $gold) = @ARGV;
	open(my $f, "<", $page) or die "$page: $!";
	my ($want, @got, $in, $n, $bad);
	while (<$f>) {
		if (/^\.\\" golden: (\S+)(?: (\d+)-(\d+))?\s*$/) { $want = [$1, $2, $3]; next; }
		if ($want && !$in && /^\.Bd -literal/) { $in = 1; @got = (); next; }
		if ($in && /^\.Ed/) {
			my ($file, $a, $b) = @$want;
			open(my $g, "<", "$gold/$file") or die "$gold/$file: $!";
			my @l = <$g>;
			($a, $b) = (1, scalar @l) unless defined $a;
			my @exp = @l[$a - 1 .. $b - 1];
			my $label = defined $want->[1] ? "$file lines $a-$b" : $file;
			if (join("", @exp) eq join("", @got)) { print "same $label\n"; }
			else { print "DIFFERS $label\n"; $bad++; }
			$n++; undef $want; $in = 0; next;
		}
		if ($in) { s/^\\&//; s/\\e/\\/g; push @got, $_; }
	}
	print "none\n" unless $n;' -- "$MAN/ikemonctl.8" "$SRC/tests/golden" >"$W/golden" 2>&1 ||
	hard_error "comparing the golden displays: $(cat "$W/golden")"
while read -r verdict what; do
	case $verdict in
	same) ok "ikemonctl.8: the display of tests/golden/$what is the golden output" ;;
	DIFFERS) not_ok "ikemonctl.8: the display marked 'golden: $what' differs from tests/golden/$what" ;;
	none) not_ok "ikemonctl.8 has no display marked '.\\\" golden: FILE'" ;;
	*) hard_error "golden comparison: $verdict $what" ;;
	esac
done <"$W/golden"

# ---------------------------------------------------------------- 4. ikemond.8

"$IKEMOND" -h >"$W/d_help" 2>&1 || hard_error "$IKEMOND -h failed"
before=$FAILS
n=0
while read -r flag; do
	n=$((n + 1))
	has_line_start "$W/ikemond.8.txt" "$flag" ||
		not_ok "ikemond.8 does not describe the option $flag (from ikemond -h)"
done < <(awk '$1 ~ /^-[A-Za-z]$/ { print $1 }' "$W/d_help")
[ "$n" -ge 4 ] || hard_error "cannot read the options of '$IKEMOND -h'"
[ "$FAILS" = "$before" ] && ok "ikemond.8: checked the $n options of 'ikemond -h'"

# words_in TEXT: TEXT is in the rendered ikemond.8, blanks and line breaks ignored
words_in() {
	perl -e '
		local $/; open(my $f, "<", $ARGV[1]) or die; my $t = <$f>;
		(my $w = $ARGV[0]) =~ s/\s+//g; $t =~ s/\s+//g;
		exit(index($t, $w) >= 0 ? 0 : 1);' -- "$1" "$W/ikemond.8.txt"
}

sigs=$(grep -oE '(sigaction|signal)\((SIG[A-Z0-9]+)' "$SRC/agent/ikemond.c" | sed 's/.*(//' | sort -u)
[ -n "$sigs" ] || hard_error "no signals found in agent/ikemond.c"
before=$FAILS
for s in $sigs; do
	words_in "$s" || not_ok "ikemond.8 does not mention $s (handled in agent/ikemond.c)"
done
[ "$FAILS" = "$before" ] && ok "ikemond.8: checked the signals of agent/ikemond.c ($(echo $sigs))"

states=$(grep -oE '\[CISCO_[A-Z_]+\] = "[A-Z_]+"' "$SRC/ike/state.c" | sed 's/.*= "//; s/"//')
[ "$(echo "$states" | wc -w)" -ge 5 ] || hard_error "no Cisco state names found in ike/state.c"
before=$FAILS
for s in $states; do
	words_in "$s" || not_ok "ikemond.8 does not name the state $s (ike/state.c)"
done
[ "$FAILS" = "$before" ] && ok "ikemond.8: checked the $(echo "$states" | wc -w) Cisco state names of ike/state.c"

# the cause table's rows: {IKE_CAUSE_X, "id", "text", "hint" "hint continued"}
perl -0ne '
	while (/\{IKE_CAUSE_\w+,\s*"([^"]*)",\s*"([^"]*)",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}/g) {
		my ($id, $hint) = ($1, $3);
		$hint =~ s/"\s*"//g; $hint =~ s/^"|"\s*$//g;
		print "$id\t$hint\n";
	}' "$SRC/ike/causes.c" >"$W/causes"
n_causes=$(wc -l <"$W/causes")
[ "$n_causes" -ge 10 ] || hard_error "only $n_causes causes read from ike/causes.c"
bad=0
while IFS=$'\t' read -r id hint; do
	if ! grep -Eq "^\\.It Cm $id\$" "$MAN/ikemond.8"; then
		not_ok "ikemond.8 has no '.It Cm $id' item (cause of ike/causes.c)"
		bad=$((bad + 1))
	elif [ -n "$hint" ] && ! words_in "$hint"; then
		not_ok "ikemond.8 lacks the hint of $id, as ike/causes.c words it: $hint"
		bad=$((bad + 1))
	fi
done <"$W/causes"
[ "$bad" = 0 ] && ok "ikemond.8: all $n_causes causes of ike/causes.c, each with its hint"

echo "# manpages.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
