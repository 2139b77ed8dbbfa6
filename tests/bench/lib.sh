# lib.sh - what the benchmark scripts share (sourced): the table row, group labels, and
# reading ikeload's and the tools' JSON.

# row BENCHMARK RESULT COMMAND: one line of make bench's table
row() { printf '%-58s %-26s %s\n' "$1" "$2" "$3"; }

# label GROUP: MODP-2048 for modp2048 ...
label() {
	case $1 in
	modp2048) echo MODP-2048 ;;
	ecp256) echo ECP-256 ;;
	*) echo "$1" ;;
	esac
}

# j FILE EXPR: a Python expression over the JSON object j in FILE
j() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
