#!/usr/bin/python3
"""The harness of the engine scenarios (engine_*_test.py): `tayori run` against the real private MariaDB and a
real SMTP relay on loopback (the aiosmtpd fault relay, which logs every
accepted message with a timestamp).

Each scenario file holds one group; ctest runs one test method per entry:
    engine_<group>_test.py TAYORI_BINARY EngineTest.test_name
Needs the environment scripts/test exports (TAYORI_TEST_MYSQL_SOCKET, ...);
a missing service fails the test.
"""
import base64
import socket
import urllib.request
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import clitest  # noqa: E402  (the independent unsubscribe token writer)

TAYORI = None
SRC = os.environ.get("TAYORI_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def env_required(name):
    value = os.environ.get(name)
    if not value:
        raise AssertionError(f"{name} is not set: run through scripts/test (the test services are missing)")
    return value


class Relay:
    """The fault relay as a child process; .accepted() reads its log."""

    def __init__(self, workdir, *extra, log=None):
        self.log = log or os.path.join(workdir, f"relay-{time.monotonic_ns()}.jsonl")
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(SRC, "tests/tools/fault_relay.py"),
                                      "--log", self.log, *extra], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            raise AssertionError(f"fault relay did not start: {line!r}")
        self.port = int(line.split()[1])

    def accepted(self):
        if not os.path.exists(self.log):
            return []
        # The relay appends while we read: a last line without its newline
        # is still being written and is read next time, not parsed half.
        with open(self.log) as f:
            return [json.loads(l) for l in f if l.endswith("\n") and l.strip()]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class EngineCase(unittest.TestCase):
    """Per test: a fresh database, a work directory, helpers to build shops,
    campaigns and configurations and to run the engine."""
    # ---- fixtures --------------------------------------------------------------

    def setUp(self):
        self.socket = env_required("TAYORI_TEST_MYSQL_SOCKET")
        self.tmp = tempfile.TemporaryDirectory(prefix="tayori-engine-")
        self.dir = self.tmp.name
        self.db = f"t_engine_{os.getpid()}_{self._testMethodName[5:25]}"
        self.mysql(f"DROP DATABASE IF EXISTS {self.db}; CREATE DATABASE {self.db}", db="mysql")
        self.env = dict(os.environ)
        self.env.update(TAYORI_KEK=base64.b64encode(os.urandom(32)).decode(),
                        TAYORI_UNSUB_KEY_K1=base64.b64encode(os.urandom(32)).decode(),
                        TAYORI_VERP_KEY="verp-test-key")
        self.engines = []
        self.relays = []

    def tearDown(self):
        for p in self.engines:
            if p.poll() is None:
                p.kill()
                p.wait()
        for r in self.relays:
            r.stop()
        try:
            self.mysql(f"DROP DATABASE IF EXISTS {self.db}", db="mysql")
        except Exception:
            pass
        if os.environ.get("TAYORI_KEEP_TEST_DIR"):  # debugging: keep logs and configs
            import shutil
            kept = f"/tmp/kept-{self._testMethodName}"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(self.dir, kept)
            print("kept", kept)
        self.tmp.cleanup()

    def mysql(self, sql, db=None):
        out = subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-N", "-B",
                              db or self.db, "-e", sql], capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"mariadb: {out.stderr}")
        return [line.split("\t") for line in out.stdout.splitlines()]

    def relay(self, *extra, log=None):
        r = Relay(self.dir, *extra, log=log)
        self.relays.append(r)
        return r

    def write_config(self, relay, rate=2000.0, burst=500.0, dest_rate=1000.0, dest_burst=500.0, lease_s=5,
                     poll_ms=200, extra="", drain_s=10, db_user="root", db_password_env="", http_port=0, admin_port=0,
                     command_timeout_s=5, readiness="interval_s = 0\nmandatory = []", engine_extra="", admin_extra=""):
        self.config = os.path.join(self.dir, "tayori.toml")
        with open(self.config, "w") as f:
            f.write(f"""
[database]
socket = "{self.socket}"
user = "{db_user}"
password_env = "{db_password_env}"
name = "{self.db}"
[[relays]]
name = "fault"
host = "127.0.0.1"
port = {relay.port}
tls = "none"
max_connections = 4
connect_timeout_s = 2
command_timeout_s = {command_timeout_s}
[envelope]
return_path = "bounces+{{delivery_id}}.{{mac}}@bounce.platform.example"
mac_key_env = "TAYORI_VERP_KEY"
[rate_limits]
global_per_second = {rate}
global_burst = {burst}
default_per_second = {dest_rate}
default_burst = {dest_burst}
default_max_connections = 8
throttle_pause_s = 600
[retry]
initial_backoff_s = 1
max_backoff_s = 2
[engine]
poll_interval_ms = {poll_ms}
lease_s = {lease_s}
batch_size = 100
drain_timeout_s = {drain_s}
{engine_extra}
[unsubscribe]
base_url = "http://127.0.0.1:8025/u/"
active_key_id = "k1"
[[unsubscribe.keys]]
id = "k1"
secret_env = "TAYORI_UNSUB_KEY_K1"
[http]
port = {http_port}
[admin]
port = {admin_port}
{admin_extra}
# The readiness checks need DNS for the shop domains: off unless a test turns them on.
[readiness]
{readiness}
{extra}
""")

    def tayori(self, *args, check=True):
        out = subprocess.run([TAYORI, "-c", self.config, *args], capture_output=True, text=True, env=self.env)
        if check and out.returncode != 0:
            raise AssertionError(f"tayori {' '.join(args)} exited {out.returncode}: {out.stderr}")
        return out

    def shop(self, slug, domain, recipients, verify=True):
        """A shop with a verified hosted domain, a list of `recipients` and a campaign (draft)."""
        if not getattr(self, "migrated", False):
            self.tayori("db", "migrate")
            self.migrated = True
        self.tayori("tenant", "add", slug, "--name", f"Shop {slug}", "--sender-id", f"{slug}-id")
        self.tayori("list", "add", "news", "--tenant", slug, "--name", "News")
        self.tayori("domain", "add", domain, "--tenant", slug, "--mode", "hosted")
        if verify:
            self.tayori("domain", "verify", domain, "--manual")
        csv = os.path.join(self.dir, f"{slug}.csv")
        with open(csv, "w") as f:
            f.write("email,name\n")
            for r in recipients:
                f.write(f"{r},Reader\n")
        self.tayori("subscribers", "import", "--tenant", slug, "--list", "news", csv)
        out = self.tayori("campaign", "create", "--tenant", slug, "--list", "news", "--from", f"news@{domain}",
                          "--subject", "Hello {{subscriber.name}}", "--text",
                          os.path.join(SRC, "tests/daemon/body.txt"))
        return int(out.stdout.split()[1])

    def campaign_for(self, slug, recipients):
        """Another campaign (draft) of an existing shop, to a new list of `recipients`."""
        n = getattr(self, "lists_made", 0) + 1
        self.lists_made = n
        self.tayori("list", "add", f"news{n}", "--tenant", slug, "--name", f"News {n}")
        csv = os.path.join(self.dir, f"{slug}-{n}.csv")
        with open(csv, "w") as f:
            f.write("email,name\n" + "".join(f"{r},Reader\n" for r in recipients))
        self.tayori("subscribers", "import", "--tenant", slug, "--list", f"news{n}", csv)
        domain = self.mysql(f"SELECT d.domain FROM sender_domains d JOIN tenants t ON t.id = d.tenant_id "
                            f"WHERE t.slug = '{slug}'")[0][0]
        out = self.tayori("campaign", "create", "--tenant", slug, "--list", f"news{n}", "--from", f"news@{domain}",
                          "--subject", "Hello {{subscriber.name}}", "--text",
                          os.path.join(SRC, "tests/daemon/body.txt"))
        return int(out.stdout.split()[1])

    def start_engine(self, name, idle_exit=False):
        args = [TAYORI, "-c", self.config, "run", "--instance", name]
        if idle_exit:
            args.append("--exit-when-idle")
        log = open(os.path.join(self.dir, f"engine-{name}.log"), "a")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        self.engines.append(p)
        return p

    def engine_log(self, name):
        with open(os.path.join(self.dir, f"engine-{name}.log")) as f:
            return f.read()

    def states(self, campaign):
        return dict((s, int(n)) for s, n in self.mysql(
            f"SELECT state, COUNT(*) FROM deliveries WHERE campaign_id = {campaign} GROUP BY state"))

    def campaign_state(self, campaign):
        return self.mysql(f"SELECT state, COALESCE(state_reason, '') FROM campaigns WHERE id = {campaign}")[0]

    def wait_for(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def schedule(self, campaign):
        self.tayori("campaign", "schedule", str(campaign))

    def assert_all_terminal(self, campaign, total):
        s = self.states(campaign)
        self.assertEqual(sum(s.values()), total, s)
        for st in ("queued", "leased", "deferred"):
            self.assertNotIn(st, s, f"non-terminal deliveries left: {s}")

    # ---- tests -----------------------------------------------------------------

    unsubscribe_token = staticmethod(clitest.unsubscribe_token)

    def free_port(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def http_get(self, port, path):
        try:
            r = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def main():
    """engine_<group>_test.py TAYORI_BINARY [unittest arguments]"""
    global TAYORI
    TAYORI = sys.argv.pop(1)
    unittest.main(module="__main__", verbosity=2)
