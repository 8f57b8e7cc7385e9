#!/usr/bin/env bash
# Runs govulncheck on ./... against a vulnerability database built on this machine, so that
# it needs no host but the Go module proxy.
#
# The go command downloads golang.org/x/vulndb at VULNDB_VERSION, whose data/osv folder contains
# the Go vulnerability reports as OSV files. Its own cmd/indexdb turns that folder into the
# v1 database layout (index/db.json, index/modules.json, ID/<ID>.json) in a temporary
# folder, and govulncheck reads it through -db file://.
#
# The exit status is govulncheck's (3 when the code calls a vulnerable symbol), with one
# exception: when every called vulnerability is in the standard library, the script prints
# the full report, then a line that names the Go version in use, and exits 0, because a
# newer Go release fixes those, not a change to this module's requirements.
set -euo pipefail
cd "$(dirname "$0")/.."

VULN_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

module_dir() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

vulndb_dir=$(module_dir "golang.org/x/vulndb@${VULNDB_VERSION}")
vuln_dir=$(module_dir "golang.org/x/vuln@${VULN_VERSION}")
if [[ -z "$vulndb_dir" || -z "$vuln_dir" ]]; then
  echo "govulncheck.sh: go mod download printed no Dir for x/vulndb or x/vuln; check the versions above" >&2
  exit 1
fi

db=$(mktemp -d)
report=$(mktemp)
trap 'rm -rf "$db" "$report"' EXIT

(cd "$vulndb_dir" && go run ./cmd/indexdb -vulns "$vulndb_dir/data/osv" -out "$db")
echo "govulncheck.sh: database from golang.org/x/vulndb@${VULNDB_VERSION}," \
  "$(find "$db/ID" -name "*.json" | wc -l) entries"

status=0
(cd "$vuln_dir" && go build -o "$db/govulncheck" ./cmd/govulncheck)
"$db/govulncheck" -db "file://$db" ./... >"$report" 2>&1 || status=$?
cat "$report"

if [[ $status -eq 3 ]]; then
  # Count the findings of the "=== Symbol Results ===" section, and those among them whose
  # block contains the line "Standard library".
  read -r called stdlib < <(awk '
    /^=== / { symbols = ($0 == "=== Symbol Results ===") }
    symbols && /^Vulnerability #/ { called++ }
    symbols && /^  Standard library$/ { stdlib++ }
    END { print called + 0, stdlib + 0 }' "$report")
  if [[ $called -gt 0 && $called -eq $stdlib ]]; then
    echo "govulncheck.sh: all $called called vulnerabilities are in the standard library of" \
      "$(go env GOVERSION); a newer Go release fixes them, and none is in a required module."
    status=0
  fi
fi
exit "$status"
