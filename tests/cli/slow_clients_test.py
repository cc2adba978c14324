#!/usr/bin/python3
"""Integration: the unsubscribe listener of `tayori serve-unsubscribe` under
slow clients (slowloris: one byte at a time, each just inside the idle
timeout), beside real one-click POSTs, against the private MariaDB of
scripts/services.

  1. Twenty slow clients from 127.0.0.1, over http.max_connections_per_ip:
     the extra ones are closed at once; while the others hang, a client
     from another address unsubscribes (POST, 200, suppression written) and
     gets /healthz; every slow connection is closed by the server at
     http.request_deadline_s (within a generous margin), though it never
     went idle.
  2. Slow clients from as many addresses as http.max_connections: the
     listener is full and a new client is turned away, until the deadline
     frees the slots and a real POST succeeds again.

Behaviour, not speed: the only time bound asserted is "closed by the server
before deadline + margin" (the slow clients would otherwise hang forever).

usage: slow_clients_test.py /path/to/tayori
"""
import base64
import http.client
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, env, Mariadb, failures, unsubscribe_token  # noqa: E402

TAYORI = sys.argv[1]
IDLE_S = 3          # http.request_timeout_s
DEADLINE_S = 5      # http.request_deadline_s
PER_IP = 8          # http.max_connections_per_ip
MAX_CONN = 24       # http.max_connections
TRICKLE_S = 1.0     # a byte this often: never idle for IDLE_S
MARGIN_S = 8        # for a loaded machine


SOCKET = env("TAYORI_TEST_MYSQL_SOCKET")
DB = f"t_slow_clients_{os.getpid()}"
MARIADB = Mariadb(DB)


def sql(query, db=DB):
    return MARIADB.sql(query, db=db)


def run(*args):
    p = subprocess.run([TAYORI, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def token(secret, tenant, lst, sub, campaign=7, key_id="k1"):
    return unsubscribe_token(secret, key_id, tenant, lst, sub, campaign)


class SlowClients:
    """Connects from the given source addresses and sends a never-ending
    request one byte every TRICKLE_S, on a thread; records, per connection,
    how long after connecting the server closed it (None: still open)."""

    REQUEST = b"POST /u/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Pad: "

    def __init__(self, port, sources):
        self.socks, self.opened, self.closed_after = [], [], []
        for src in sources:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            self.socks.append(s)
            self.opened.append(time.monotonic())
            self.closed_after.append(None)
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        sent = 0
        while not self.stop and any(c is None for c in self.closed_after):
            for i, s in enumerate(self.socks):
                if self.closed_after[i] is not None:
                    continue
                byte = self.REQUEST[sent:sent + 1] or b"a"
                try:
                    s.send(byte)
                except OSError:
                    self._closed(i)
            sent += 1
            until = time.monotonic() + TRICKLE_S
            while not self.stop and time.monotonic() < until:
                live = [s for i, s in enumerate(self.socks) if self.closed_after[i] is None]
                if not live:
                    break
                ready, _, _ = select.select(live, [], [], max(0.0, until - time.monotonic()))
                for s in ready:
                    i = self.socks.index(s)
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if not data:
                        self._closed(i)

    def _closed(self, i):
        if self.closed_after[i] is None:
            self.closed_after[i] = time.monotonic() - self.opened[i]

    def open_count(self):
        return sum(1 for c in self.closed_after if c is None)

    def wait_all_closed(self, limit_s):
        end = time.monotonic() + limit_s
        while self.open_count() and time.monotonic() < end:
            time.sleep(0.1)

    def close(self):
        self.stop = True
        self.thread.join()
        for s in self.socks:
            s.close()


def request(port, method, path, source, body=None, headers=None):
    """(status, body) from a fresh client at `source`; (0, error) when the
    server turned the connection away."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        return 0, repr(e)
    finally:
        c.close()


def metric(port, name):
    status, text = request(port, "GET", "/metrics", "127.0.0.9")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    return -1


def main():
    tmp = tempfile.mkdtemp()
    secret = b"slow-test-secret-0123456789abcdef012345678"
    os.environ["TAYORI_TEST_UNSUB_K1"] = base64.b64encode(secret).decode()  # configured as base64; the key is `secret`
    config = os.path.join(tmp, "tayori.toml")
    with open(config, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
user = "root"
name = "{DB}"

[unsubscribe]
base_url = "http://127.0.0.1/u/"
active_key_id = "k1"
[[unsubscribe.keys]]
id = "k1"
secret_env = "TAYORI_TEST_UNSUB_K1"

[http]
listen_address = "127.0.0.1"
port = 0
request_timeout_s = {IDLE_S}
request_deadline_s = {DEADLINE_S}
max_connections = {MAX_CONN}
max_connections_per_ip = {PER_IP}

[admin]
port = 0

[logging]
level = "error"
""")
    os.environ["TAYORI_CONFIG"] = config
    sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", db="")
    server = None
    try:
        for args in (["db", "migrate"], ["tenant", "add", "shop-a", "--name", "Shop A", "--sender-id", "shopa1"],
                     ["list", "add", "news", "--tenant", "shop-a", "--name", "News"]):
            rc, out, err = run(*args)
            assert rc == 0, f"{args}: {err}"
        subs = os.path.join(tmp, "subs.csv")
        with open(subs, "w") as f:
            f.write("email,name\nalice@example.com,Alice\nbob@example.com,Bob\n")
        rc, _, err = run("subscribers", "import", "--tenant", "shop-a", "--list", "news", subs)
        assert rc == 0, err
        tenant = int(sql("SELECT id FROM tenants WHERE slug = 'shop-a'"))
        lst = int(sql(f"SELECT id FROM lists WHERE tenant_id = {tenant}"))
        sub = {e: int(sql(f"SELECT id FROM subscribers WHERE tenant_id = {tenant} AND email = '{e}'"))
               for e in ("alice@example.com", "bob@example.com")}

        server = subprocess.Popen([TAYORI, "serve-unsubscribe"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        line = server.stdout.readline().strip()
        check(line.startswith("listening on 127.0.0.1:"), f"serve-unsubscribe said: {line!r}")
        port = int(line.rsplit(":", 1)[1])
        line = server.stdout.readline().strip()
        check(line.startswith("admin listening on 127.0.0.1:"), f"serve-unsubscribe said: {line!r}")
        admin_port = int(line.rsplit(":", 1)[1])
        one_click = {"Content-Type": "application/x-www-form-urlencoded"}

        # 1. One address, more slow clients than it may hold.
        slow = SlowClients(port, ["127.0.0.1"] * 20)
        time.sleep(1.5)
        check(slow.open_count() == PER_IP, f"{slow.open_count()} slow connections from one address held, "
                                           f"want {PER_IP}")
        refused_fast = [c for c in slow.closed_after if c is not None]
        check(len(refused_fast) == 20 - PER_IP and all(c < DEADLINE_S for c in refused_fast),
              f"connections over the per-address limit closed at once: {refused_fast}")
        status, body = request(port, "POST", "/u/" + token(secret, tenant, lst, sub["alice@example.com"]),
                               "127.0.0.2", body=b"List-Unsubscribe=One-Click", headers=one_click)
        check(status == 200, f"one-click POST beside the slow clients: {status} {body}")
        status, body = request(port, "GET", "/u/not-a-token", "127.0.0.2")
        check(status == 400, f"a bad link answered beside the slow clients: {status} {body}")
        status, body = request(admin_port, "GET", "/healthz", "127.0.0.2")
        check(status == 200, f"/healthz on the admin listener beside the slow clients: {status} {body}")
        check(slow.open_count() == PER_IP, "the slow clients were still connected during the POST")
        slow.wait_all_closed(DEADLINE_S + MARGIN_S)
        held = [c for c in slow.closed_after if c is None or c >= DEADLINE_S - 1]
        check(len(held) == PER_IP and None not in held and all(IDLE_S <= c <= DEADLINE_S + MARGIN_S for c in held),
              f"held slow connections closed at the deadline ({DEADLINE_S} s, never idle {IDLE_S} s): {held}")
        slow.close()
        check(sql(f"SELECT source FROM suppressions WHERE email = 'alice@example.com'").strip() == "one-click",
              "the POST wrote its suppression")

        # 2. As many addresses as the listener holds: full, until the deadline.
        slow = SlowClients(port, [f"127.0.1.{i + 1}" for i in range(MAX_CONN)])
        time.sleep(1.5)
        check(slow.open_count() == MAX_CONN, f"{slow.open_count()} of {MAX_CONN} slow clients held")
        status, body = request(port, "GET", "/u/not-a-token", "127.0.0.3")
        check(status == 0, f"a full listener turned a new client away: {status} {body}")
        slow.wait_all_closed(DEADLINE_S + MARGIN_S)
        check(slow.open_count() == 0 and all(c is not None and c <= DEADLINE_S + MARGIN_S for c in slow.closed_after),
              f"every slow connection closed by the deadline: {slow.closed_after}")
        slow.close()
        status, body = request(port, "POST", "/u/" + token(secret, tenant, lst, sub["bob@example.com"]),
                               "127.0.0.3", body=b"List-Unsubscribe=One-Click", headers=one_click)
        check(status == 200, f"one-click POST after the deadline freed the listener: {status} {body}")

        check(metric(admin_port, "tayori_http_connections_refused_per_ip_total") == 20 - PER_IP, "per-address refusals")
        check(metric(admin_port, "tayori_http_connections_refused_total") >= 1, "refusals at max_connections")
        check(metric(admin_port, "tayori_http_requests_past_deadline_total") == PER_IP + MAX_CONN,
              "requests past the deadline")
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=10)
                check(code == 0, f"serve-unsubscribe exit code {code}")
            except subprocess.TimeoutExpired:
                server.kill()
                check(False, "serve-unsubscribe did not stop on SIGTERM")
        sql(f"DROP DATABASE IF EXISTS {DB}", db="")
    if failures:
        sys.exit(f"{len(failures)} checks failed")
    print("slow_clients_test: ok")


if __name__ == "__main__":
    main()
