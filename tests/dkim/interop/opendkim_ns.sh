#!/bin/bash
# Runs opendkim-testmsg on signed messages with key records served by a
# private PowerDNS on 127.0.0.1:53, inside the network and mount namespace
# this script is started in (libopendkim resolves through /etc/resolv.conf,
# port 53 only; stack.md §5):
#   unshare --net --mount opendkim_ns.sh WORKDIR PDNS.sqlite3 KEYNAME MSG...
# Prints "MSG<TAB>PASS" or "MSG<TAB><opendkim-testmsg stderr>" per message.
# opendkim-testmsg exits 0 even on failure: its stderr is the verdict.
set -u
D=$1 DB=$2 PROBE=$3
shift 3
ip link set lo up || exit 1
printf 'nameserver 127.0.0.1\noptions attempts:3 timeout:5\n' > "$D/resolv.conf"
mount --bind "$D/resolv.conf" /etc/resolv.conf || exit 1
pdns_server --no-config --launch=gsqlite3 --gsqlite3-database="$DB" --local-address=127.0.0.1 --local-port=53 \
  --socket-dir="$D" --daemon=no --guardian=no --disable-syslog --security-poll-suffix= --loglevel=3 \
  > "$D/pdns53.log" 2>&1 &
PDNS=$!
stop_pdns() {
  kill "$PDNS" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$PDNS" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$PDNS" 2>/dev/null
}
trap stop_pdns EXIT
ready=0
for _ in $(seq 100); do
  if [[ -n $(dig +short +time=1 +tries=1 @127.0.0.1 TXT "$PROBE" 2>/dev/null) ]]; then ready=1; break; fi
  kill -0 "$PDNS" 2>/dev/null || break
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "opendkim_ns: pdns did not answer for $PROBE; its log:" >&2
  cat "$D/pdns53.log" >&2
  exit 1
fi
for f in "$@"; do
  err=$(opendkim-testmsg < "$f" 2>&1 >/dev/null | tr '\n' ' ')
  # A lookup that timed out on a loaded machine says nothing about the
  # signature: ask once more before taking the verdict.
  if [[ $err == *"Key retrieval failed"* ]]; then
    sleep 0.5
    err=$(opendkim-testmsg < "$f" 2>&1 >/dev/null | tr '\n' ' ')
  fi
  printf '%s\t%s\n' "$f" "${err:-PASS}"
done
