#!/usr/bin/env bash
# The files scripts/services writes that hold secrets (the database password,
# the PowerDNS API key) are readable by their owner only.
set -euo pipefail
run=${TAYORI_RUN_DIR:?TAYORI_RUN_DIR is not set: run through scripts/test (the test services are missing)}
fail=0
for f in "$run/services.env" "$run/mariadb/tayori.password" "$run/pdns/api.key" "$run/pdns/pdns.conf"; do
  [[ -e $f ]] || { echo "FAIL: $f does not exist"; fail=1; continue; }
  mode=$(stat -c %a "$f")
  [[ $mode == 600 ]] || { echo "FAIL: $f is mode $mode, want 600"; fail=1; }
done
((fail == 0)) && echo "secret_files_test: ok"
exit $fail
