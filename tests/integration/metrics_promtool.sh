#!/bin/sh
# metrics_promtool.sh - lint ikemond's text exposition with Prometheus's own checker.
#
# tests/unit/metrics_dump prints the exposition of a fixed scene (the one
# tests/unit/test_metrics.c checks value by value: a peer up, a peer stalled on a key
# mismatch, an idle peer, a removed SA, an SA of no configured peer), without and with
# the per-SA series; `promtool check metrics` must say nothing and exit 0 for both.
#
# Environment:
#   METRICS_DUMP   the metrics_dump program (default $abs_top_builddir/tests/unit/metrics_dump)
#   PROMTOOL       promtool (default: the one in PATH; Debian package prometheus)
# Exit status (automake): 0 clean, 1 a lint finding, 77 skipped, 99 broken setup.

set -u

METRICS_DUMP=${METRICS_DUMP:-${abs_top_builddir:-.}/tests/unit/metrics_dump}
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}

skip() {
	echo "########################################################################" >&2
	echo "# SKIPPED metrics_promtool: $*" >&2
	echo "# The exposition was NOT linted by promtool.  To run it:" >&2
	echo "#   apt-get install prometheus    (brings /usr/bin/promtool)" >&2
	echo "########################################################################" >&2
	exit 77
}

hard_error() {
	echo "metrics_promtool: ERROR: $*" >&2
	exit 99
}

if [ -z "$PROMTOOL" ] || [ ! -x "$PROMTOOL" ]; then
	skip "promtool not found"
fi
[ -x "$METRICS_DUMP" ] || hard_error "no metrics_dump at $METRICS_DUMP (make check builds it)"

work=$(mktemp -d) || hard_error "mktemp failed"
trap 'rm -rf "$work"' EXIT

failed=0
for args in "" "--per-sa"; do
	# shellcheck disable=SC2086 # args is one word or none
	if ! "$METRICS_DUMP" $args >"$work/expo" 2>"$work/dump.err"; then
		cat "$work/dump.err" >&2
		hard_error "metrics_dump $args failed"
	fi
	[ -s "$work/expo" ] || hard_error "metrics_dump $args printed nothing"
	"$PROMTOOL" check metrics <"$work/expo" >"$work/lint" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$work/lint" ]; then
		echo "FAIL: promtool check metrics (metrics_dump${args:+ $args}): exit $rc" >&2
		sed 's/^/  /' "$work/lint" >&2
		failed=1
		continue
	fi
	echo "ok: promtool check metrics (metrics_dump${args:+ $args}):" \
		"$(grep -c '^ikemon_' "$work/expo") samples, no finding"
done
exit $failed
