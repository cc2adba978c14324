# Shared helpers for scripts/*. Source it; do not run it.

# A free TCP port on 127.0.0.1 (the kernel picks it).
freeport() {
  /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# True when a TCP port on 127.0.0.1 is free.
port_free() {
  /usr/bin/python3 -c 'import socket,sys;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null
}

# True when the PID in file $1 is a live process.
pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# SIGTERM, wait up to $2 seconds (default 20), then SIGKILL. Only ever our own PIDs.
stop_pid() {
  local pid=$1 wait_s=${2:-20} i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < wait_s * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "services: pid $pid did not stop in ${wait_s}s, sending SIGKILL" >&2
  kill -9 "$pid" 2>/dev/null || true
}

die() { echo "$*" >&2; exit 1; }
