#!/usr/bin/env bash
# Integration test of the tayori CLI against the private MariaDB.
# Usage: cli_test.sh PATH/TO/tayori   (run by ctest; needs scripts/services env)
set -uo pipefail
TAYORI=$1
fails=0; passes=0
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# expect EXIT_CODE DESCRIPTION -- COMMAND...   (stdout+stderr kept in $T/out)
expect() {
  local want=$1 what=$2; shift 3
  "$@" > "$T/out" 2>&1; local got=$?
  if [[ $got == "$want" ]]; then passes=$((passes + 1)); else
    fails=$((fails + 1)); echo "FAIL: $what: exit $got, expected $want; output:"; sed 's/^/    /' "$T/out"; fi
}
# contains TEXT DESCRIPTION: the last command's output contains TEXT
contains() {
  if grep -qF -- "$1" "$T/out"; then passes=$((passes + 1)); else
    fails=$((fails + 1)); echo "FAIL: $2: output lacks '$1'; output:"; sed 's/^/    /' "$T/out"; fi
}
lacks() {
  if grep -qF -- "$1" "$T/out"; then fails=$((fails + 1)); echo "FAIL: $2: output contains '$1'"; else passes=$((passes + 1)); fi
}

: "${TAYORI_TEST_MYSQL_SOCKET:?not set: run through scripts/test (the MariaDB service is missing)}"

expect 0 "help" -- "$TAYORI" --help
contains "config" "help lists subcommands"
expect 0 "version" -- "$TAYORI" version
contains "tayori " "version printed"
expect 2 "no subcommand is a usage error" -- "$TAYORI"
expect 2 "unknown subcommand is a usage error" -- "$TAYORI" frobnicate

expect 0 "example config is valid" -- "$TAYORI" config check config/tayori.example.toml
contains "[database]" "effective config printed"
contains "configuration is valid" "verdict printed"

printf '[database]\nhost = "127.0.0.1"\nprot = 3306\n' > "$T/typo.toml"
expect 2 "typo in a key exits 2" -- "$TAYORI" config check "$T/typo.toml"
contains "$T/typo.toml:3:1: database.prot: unknown key" "typo names file, line, column and key"

expect 2 "missing config file exits 2" -- "$TAYORI" config check "$T/nope.toml"
contains "cannot open configuration file" "missing file explained"

# db migrate / status against a scratch database, as root over the socket.
DB=t_cli_$$
mariadb --no-defaults -uroot --socket="$TAYORI_TEST_MYSQL_SOCKET" -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
trap 'mariadb --no-defaults -uroot --socket="$TAYORI_TEST_MYSQL_SOCKET" -e "DROP DATABASE IF EXISTS $DB"; rm -rf "$T"' EXIT
cat > "$T/db.toml" <<TOML
[database]
socket = "$TAYORI_TEST_MYSQL_SOCKET"
user = "root"
password_env = ""
name = "$DB"
TOML
expect 1 "status before migrate reports pending (exit 1)" -- "$TAYORI" -c "$T/db.toml" db status
contains "PENDING" "pending migrations listed"
expect 0 "first migrate" -- "$TAYORI" -c "$T/db.toml" db migrate
contains "applied migration 0001" "migration applied"
expect 0 "second migrate is a no-op" -- "$TAYORI" -c "$T/db.toml" db migrate
contains "is up to date" "no-op reported"
expect 0 "status after migrate" -- "$TAYORI" -c "$T/db.toml" db status
lacks "PENDING" "nothing pending"
expect 0 "status --json" -- "$TAYORI" -c "$T/db.toml" db status --json
contains '"pending":0' "json status"

mariadb --no-defaults -uroot --socket="$TAYORI_TEST_MYSQL_SOCKET" "$DB" \
  -e "INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')"
expect 2 "migrate refuses a database ahead of the binary" -- "$TAYORI" -c "$T/db.toml" db migrate
contains "newer than this binary" "ahead explained"
expect 2 "status flags a database ahead" -- "$TAYORI" -c "$T/db.toml" db status

# Password from the environment, never echoed.
cat > "$T/pw.toml" <<TOML
[database]
host = "127.0.0.1"
port = $TAYORI_TEST_MYSQL_PORT
user = "tayori"
password_env = "TAYORI_CLI_TEST_PW"
name = "$DB"
TOML
TAYORI_CLI_TEST_PW=wrong-secret-123 expect 2 "wrong password is a configuration error" -- "$TAYORI" -c "$T/pw.toml" db status
lacks "wrong-secret-123" "password never printed"
env -u TAYORI_CLI_TEST_PW "$TAYORI" -c "$T/pw.toml" db status > "$T/out" 2>&1
contains "TAYORI_CLI_TEST_PW (named by database.password_env) is not set" "unset secret variable named"

echo "$passes passed, $fails failed"
((fails == 0))
