#!/usr/bin/env bash
# The shipped Prometheus alerting rules: promtool checks them and runs their unit tests
# (each alert fires, with its labels and annotations, when and only when it should).
set -u
src=${abs_top_srcdir:-$(dirname "$0")/../..}/exporters
if ! command -v promtool >/dev/null 2>&1; then
	echo "##### SKIPPED: promtool not found (Debian package prometheus) #####"
	exit 77
fi
fails=0
promtool check rules "$src/ikemon.rules.yml" || fails=$((fails + 1))
echo "checked: promtool check rules exporters/ikemon.rules.yml"
(cd "$src" && promtool test rules ikemon.rules.test.yml) || fails=$((fails + 1))
echo "checked: promtool test rules exporters/ikemon.rules.test.yml (5 alerts, firing and not)"
echo "# rules.sh: 2 checks, $fails failed"
[ "$fails" = 0 ]
