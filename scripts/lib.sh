# scripts/lib.sh - build steps shared by scripts/test and scripts/demo.  Source it (bash).
#
#   ikemon_autoreconf [force]       autoreconf -fi in the source tree (when needed, or always)
#   ikemon_configure DIR [ARGS...]  configure in DIR (a build dir under the source tree),
#                                   again only when ARGS changed or configure is newer
#   ikemon_make DIR [TARGETS...]    make -j$JOBS in DIR
#   ikemon_build DIR [ARGS...]      all three, as the demo wants it
#   ikemon_elapsed START            seconds since START (from date +%s)

IKEMON_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

ikemon_autoreconf()
{
	local force=${1:-}
	(
		cd "$IKEMON_ROOT" || exit 1
		if [ -z "$force" ] && [ -x configure ] && [ -f Makefile.in ] &&
			[ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ]; then
			exit 0
		fi
		autoreconf -fi
	)
}

ikemon_configure()
{
	local dir=$1
	shift
	local stamp="$dir/.ikemon-configure-args"
	local want="$*"
	if [ -f "$dir/config.status" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
		[ "$dir/config.status" -nt "$IKEMON_ROOT/configure" ]; then
		return 0
	fi
	mkdir -p "$dir" || return 1
	(cd "$dir" && "$IKEMON_ROOT/configure" "$@") || return 1
	printf '%s' "$want" >"$stamp"
}

ikemon_make()
{
	local dir=$1
	shift
	make -C "$dir" -j"$JOBS" "$@"
}

ikemon_build()
{
	local dir=$1
	shift
	ikemon_autoreconf && ikemon_configure "$dir" "$@" && ikemon_make "$dir"
}

ikemon_elapsed()
{
	echo $(($(date +%s) - $1))
}
