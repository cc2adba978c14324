#!/usr/bin/python3
"""Integration tests of `tayori run` against the real private MariaDB and a
real SMTP relay on loopback (the aiosmtpd fault relay, which logs every
accepted message with a timestamp).

Run by ctest, one test method per ctest entry:
    engine_test.py TAYORI_BINARY EngineTest.test_name
Needs the environment scripts/test exports (TAYORI_TEST_MYSQL_SOCKET, ...);
a missing service fails the test.
"""
import base64
import collections
import hashlib
import hmac
import socket
import urllib.request
import json
import re
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

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
        with open(self.log) as f:
            return [json.loads(l) for l in f if l.strip()]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class EngineTest(unittest.TestCase):
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

    def test_campaign_is_sent_and_counted(self):
        relay = self.relay()
        self.write_config(relay)
        rcpts = [f"ok{i}@dest{i % 3}.example" for i in range(300)] + ["bounce1@dest.example", "policy1@dest.example"]
        cid = self.shop("alpha", "alpha.platform.example", rcpts)
        self.schedule(cid)
        p = self.start_engine("solo", idle_exit=True)
        self.assertEqual(p.wait(60), 0, self.engine_log("solo"))
        self.assertEqual(self.campaign_state(cid)[0], "sent")
        self.assertEqual(self.states(cid), {"sent": 300, "bounced": 1, "failed": 1})
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), 300)
        self.assertEqual(max(got.values()), 1)
        counts = self.mysql(f"SELECT total_count, sent_count, bounced_count, failed_count FROM campaigns WHERE id={cid}")[0]
        self.assertEqual(counts, ["302", "300", "1", "1"])
        # The hard bounce suppressed the address for this shop only.
        self.assertEqual(self.mysql("SELECT email, reason, list_id FROM suppressions"),
                         [["bounce1@dest.example", "bounce", "0"]])
        reply = self.mysql(f"SELECT last_code, last_enhanced, relay_queue_id IS NOT NULL FROM deliveries "
                           f"WHERE campaign_id = {cid} AND email = 'ok1@dest1.example'")[0]
        self.assertEqual(reply, ["250", "2.0.0", "1"])

    def test_metrics_follow_prometheus_conventions(self):
        """/metrics on the admin listener parses with the Prometheus client's own
        parser; signing, relay and write-back histograms count every message;
        tayori_build_info is there; per-shop series exist only for the
        admin.shop_series busiest shops, and no series names a recipient domain."""
        from prometheus_client.parser import text_string_to_metric_families
        relay = self.relay()
        admin = self.free_port()
        self.write_config(relay, admin_port=admin, admin_extra="shop_series = 2")
        sizes = {"mbig": 40, "mmid": 25, "msmall": 10}
        for slug, n in sizes.items():
            self.schedule(self.shop(slug, f"{slug}.platform.example", [f"ok{i}@rcpt{slug}{i}.example" for i in range(n)]))
        total = sum(sizes.values())
        p = self.start_engine("metrics")
        self.wait_for(lambda: len(relay.accepted()) >= total, 30, "every message sent")
        families = {}

        def scrape():
            families.clear()
            for fam in text_string_to_metric_families(self.http_get(admin, "/metrics")[1]):
                families[fam.name] = fam
            return families

        def samples(name, suffix=""):
            # The parser names a counter's family without its _total.
            return [s for fam in families.values() for s in fam.samples if s.name == name + suffix]

        def written():
            scrape()
            return sum(s.value for s in samples("tayori_writeback_batch_seconds", "_count")) >= 1 and \
                sum(s.value for s in samples("tayori_messages_total")) >= total
        self.wait_for(written, 20, "the outcomes written")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0, self.engine_log("metrics"))

        info = samples("tayori_build_info")
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0].value, 1)
        self.assertRegex(info[0].labels["version"], r"^\d+\.\d+\.\d+$")
        for name in ("tayori_sign_seconds", "tayori_relay_transaction_seconds", "tayori_writeback_batch_seconds"):
            self.assertEqual(families[name].type, "histogram", name)
            buckets = samples(name, "_bucket")
            self.assertTrue(buckets, name)
            counts = [b.value for b in buckets]
            self.assertEqual(counts, sorted(counts), f"{name}: buckets are cumulative")
            self.assertEqual(buckets[-1].labels["le"], "+Inf")
            self.assertEqual(buckets[-1].value, samples(name, "_count")[0].value, name)
        self.assertEqual(samples("tayori_sign_seconds", "_count")[0].value, total)
        relay_counts = samples("tayori_relay_transaction_seconds", "_count")
        self.assertEqual([(s.labels["relay"], s.value) for s in relay_counts], [("fault", total)])
        shop = samples("tayori_shop_messages_total")
        self.assertEqual({s.labels["shop"] for s in shop}, {"mbig", "mmid"}, "only the two busiest shops")
        self.assertEqual(sum(s.value for s in shop if s.labels.get("outcome") == "sent"), 65)
        for fam in families.values():
            for s in fam.samples:
                for v in s.labels.values():
                    self.assertNotIn("rcpt", v, f"{s.name} has a label naming a recipient domain")

    def test_sighup_reloads_the_rate_and_refuses_a_broken_file(self):
        """SIGHUP mid-campaign: a raised global rate takes effect at once, a
        broken file is refused with its file:line:key and the running
        configuration stays, a restart-only change is named; nothing is
        dropped or sent twice."""
        relay = self.relay()
        admin = self.free_port()
        self.write_config(relay, rate=20.0, burst=5.0, admin_port=admin)
        n = 900
        cid = self.shop("hup", "hup.platform.example", [f"ok{i}@d{i % 7}.example" for i in range(n)])
        self.schedule(cid)
        p = self.start_engine("hup")
        self.wait_for(lambda: len(relay.accepted()) >= 30, 30, "sending started")

        def sent_in(seconds):
            before = len(relay.accepted())
            time.sleep(seconds)
            return len(relay.accepted()) - before

        slow = sent_in(3)
        self.assertLessEqual(slow, 20 * 3 + 5 + 10, f"{slow} messages in 3 s at 20/s")

        self.write_config(relay, rate=400.0, burst=20.0, admin_port=admin)
        p.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "configuration reloaded" in self.engine_log("hup"), 10, "the reload")
        fast = sent_in(2)
        self.assertGreaterEqual(fast, 150, f"{fast} messages in 2 s after raising the rate to 400/s")
        log = self.engine_log("hup")
        self.assertIn("rate_limits.global_per_second", log)

        # A broken file: refused, named, and the 400/s stays in force.
        with open(self.config) as f:
            good = f.read()
        with open(self.config, "w") as f:
            f.write(good.replace("global_per_second = 400.0", "global_per_second = -3"))
        p.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "reload refused" in self.engine_log("hup"), 10, "the refusal")
        log = self.engine_log("hup")
        refusal = [l for l in log.splitlines() if "reload refused" in l][0]
        self.assertRegex(refusal, r"tayori\.toml:\d+:\d+: rate_limits\.global_per_second")
        self.assertIsNone(p.poll(), "the engine died on a broken file")
        if len(relay.accepted()) < n - 100:
            self.assertGreaterEqual(sent_in(1), 60, "the running rate stayed after the refusal")
        metrics = self.http_get(admin, "/metrics")[1]
        self.assertIn('tayori_config_reloads_total{result="refused"} 1', metrics)
        self.assertIn('tayori_config_reloads_total{result="applied"} 1', metrics)

        # A restart-only setting is named and left as running.
        with open(self.config, "w") as f:
            f.write(good.replace("lease_s = 5", "lease_s = 9"))
        p.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "take effect only at a restart" in self.engine_log("hup"), 10, "the restart notice")
        self.assertIn("engine.lease_s", [l for l in self.engine_log("hup").splitlines()
                                         if "take effect only at a restart" in l][0])

        self.wait_for(lambda: self.states(cid).get("sent", 0) == n, 60, "every message sent")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0, self.engine_log("hup"))
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), n)
        self.assertEqual(max(got.values()), 1, "a delivery was sent twice across the reloads")

    def test_sighup_switches_relays_without_losing_or_repeating_work(self):
        """A reload moving sending to another relay: what the first relay
        holds finishes there, everything after goes to the second, each
        message once."""
        first, second = self.relay(), self.relay()
        self.write_config(first, rate=150.0, burst=10.0)
        n = 600
        cid = self.shop("relayswap", "relayswap.platform.example", [f"ok{i}@d{i % 5}.example" for i in range(n)])
        self.schedule(cid)
        p = self.start_engine("swap")
        self.wait_for(lambda: len(first.accepted()) >= 100, 30, "sending through the first relay")
        self.write_config(second, rate=150.0, burst=10.0)
        p.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "configuration reloaded" in self.engine_log("swap"), 10, "the reload")
        self.assertIn("relays", [l for l in self.engine_log("swap").splitlines() if "configuration reloaded" in l][0])
        self.wait_for(lambda: self.states(cid).get("sent", 0) == n, 60, "every message sent")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0, self.engine_log("swap"))
        a = collections.Counter(m["rcpt"] for m in first.accepted())
        b = collections.Counter(m["rcpt"] for m in second.accepted())
        self.assertGreater(len(b), 100, "the second relay took over")
        self.assertEqual(len(a) + len(b), n)
        self.assertFalse(set(a) & set(b), "a message went through both relays")
        self.assertEqual(max(list(a.values()) + list(b.values())), 1)

    def test_kill_9_and_restart_loses_nothing(self):
        relay = self.relay()
        self.write_config(relay, rate=150.0, burst=20.0, lease_s=5)
        n = 600
        cid = self.shop("kappa", "kappa.platform.example", [f"ok{i}@d{i % 5}.example" for i in range(n)])
        self.schedule(cid)
        p = self.start_engine("victim")
        self.wait_for(lambda: len(relay.accepted()) > 150, 30, "some messages sent")
        p.send_signal(signal.SIGKILL)
        p.wait()
        sent_before = len(relay.accepted())
        self.assertLess(sent_before, n, "campaign finished before the kill; slow it down")
        q = self.start_engine("survivor", idle_exit=True)
        self.assertEqual(q.wait(90), 0, self.engine_log("survivor"))
        self.assert_all_terminal(cid, n)
        self.assertEqual(self.campaign_state(cid)[0], "sent")
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), n, "every recipient got the newsletter")
        duplicates = sum(c - 1 for c in got.values())
        # Bound (docs/engine.md): messages in flight plus one unflushed
        # write-back batch at the moment of the kill.
        self.assertLessEqual(duplicates, 500 + 4 * 2 + 2 * 2)
        print(f"kill -9: {sent_before} sent before, {duplicates} duplicates after restart")

    def test_sigterm_drains_and_releases_leases(self):
        relay = self.relay()
        self.write_config(relay, rate=100.0, burst=10.0)
        n = 800
        cid = self.shop("sigma", "sigma.platform.example", [f"ok{i}@d.example" for i in range(n)])
        self.schedule(cid)
        p = self.start_engine("drainer")
        self.wait_for(lambda: len(relay.accepted()) > 50, 30, "sending started")
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(15), 0, self.engine_log("drainer"))
        self.assertLess(time.time() - t0, 12, "drain took longer than the deadline")
        self.assertIn("draining", self.engine_log("drainer"))
        leased = self.mysql(f"SELECT COUNT(*) FROM deliveries WHERE campaign_id={cid} AND state='leased'")[0][0]
        self.assertEqual(leased, "0", "a drained engine leaves no lease behind")
        sent_db = self.states(cid).get("sent", 0)
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(sent_db, sum(got.values()), "every relayed message was written back before exit")
        self.assertLess(sent_db, n)

    def test_three_instances_never_send_twice_and_share_the_rate(self):
        relay = self.relay()
        rate, burst = 200.0, 30.0
        self.write_config(relay, rate=rate, burst=burst, poll_ms=100)
        n = 1500
        cid = self.shop("tau", "tau.platform.example", [f"ok{i}@d{i % 7}.example" for i in range(n)])
        self.schedule(cid)
        procs = [self.start_engine(f"inst{i}", idle_exit=True) for i in range(3)]
        for i, p in enumerate(procs):
            self.assertEqual(p.wait(120), 0, self.engine_log(f"inst{i}"))
        self.assert_all_terminal(cid, n)
        acc = relay.accepted()
        got = collections.Counter(m["rcpt"] for m in acc)
        self.assertEqual(len(got), n)
        self.assertEqual(max(got.values()), 1, "a delivery was sent twice")
        owners = self.mysql(f"SELECT COUNT(DISTINCT lease_owner) FROM deliveries WHERE campaign_id={cid}")
        ts = sorted(m["ts"] for m in acc)
        worst = 0
        j = 0
        for i in range(len(ts)):
            while ts[i] - ts[j] >= 5.0:
                j += 1
            worst = max(worst, i - j + 1)
        # Each instance holds global/instances of the rate and of the burst
        # once all have heartbeated (three polls before the first lease).
        # Tokens are taken before rendering; the relay's clock sees them up to
        # a few hundred ms later on a loaded 2-core machine, so the window
        # allows 0.25 s of that jitter (rate * 0.25).
        limit = rate * 5 + burst + rate * 0.25
        self.assertLessEqual(worst, limit, f"{worst} messages in 5 s with 3 instances")
        print(f"3 instances: max {worst} messages in any 5 s window (limit {limit:.0f}); owners {owners}")

    def test_destination_limits_hold_across_three_instances(self):
        """A destination group's per_second and max_connections are what the
        platform promised that receiver: three engines share them (each a
        third of the rate, 2 of the 6 connections) instead of each sending
        the whole of them. The relay takes 100 ms per message: 6 connections
        carry about 30/s, so the rate (24/s) and the connections both bind."""
        relay = self.relay("--data-delay-ms", "100")
        per_second, burst, conns = 24.0, 4.0, 6
        self.write_config(relay, rate=2000.0, burst=100.0, poll_ms=100,
                          extra='[[rate_limits.domain_groups]]\nname = "one"\ndomains = ["one.example"]\n'
                                f"per_second = {per_second}\nburst = {burst}\nmax_connections = {conns}\n")
        n = 600
        cid = self.shop("upsilon", "upsilon.platform.example", [f"ok{i}@one.example" for i in range(n)])
        self.schedule(cid)
        procs = [self.start_engine(f"share{i}", idle_exit=True) for i in range(3)]
        for i, p in enumerate(procs):
            self.assertEqual(p.wait(180), 0, self.engine_log(f"share{i}"))
        self.assertEqual(self.states(cid), {"sent": n})
        acc = relay.accepted()
        sent_by = [int(re.search(r"engine: stopped sent=(\d+)", self.engine_log(f"share{i}")).group(1))
                   for i in range(3)]
        self.assertTrue(all(x > 0 for x in sent_by), f"all three instances sent: {sent_by}")
        ts = sorted(m["ts"] for m in acc)
        worst, j = 0, 0
        for i in range(len(ts)):
            while ts[i] - ts[j] >= 5.0:
                j += 1
            worst = max(worst, i - j + 1)
        # The rate and the burst, with 0.5 s of the loaded machine's jitter
        # between taking a token and the relay seeing the message (one engine
        # alone sends 3 x 24/s: 360 in 5 s).
        limit = per_second * 5 + burst + per_second * 0.5
        # Concurrent transactions for the destination at the relay (MAIL to
        # the final dot).
        events = sorted([(m["start"], 1) for m in acc] + [(m["ts"], -1) for m in acc])
        concurrent, peak = 0, 0
        for _, step in events:
            concurrent += step
            peak = max(peak, concurrent)
        print(f"3 instances, one destination: max {worst} messages in 5 s (limit {limit:.0f}), "
              f"peak {peak} concurrent transactions (limit {conns}); sent by each {sent_by}")
        self.assertLessEqual(worst, limit)
        self.assertLessEqual(peak, conns)

    def test_rate_limit_holds_over_every_5_second_window(self):
        relay = self.relay()
        rate, burst = 80.0, 20.0
        self.write_config(relay, rate=rate, burst=burst)
        cid = self.shop("rho", "rho.platform.example", [f"ok{i}@d{i % 4}.example" for i in range(700)])
        self.schedule(cid)
        p = self.start_engine("rated", idle_exit=True)
        self.assertEqual(p.wait(60), 0)
        ts = sorted(m["ts"] for m in relay.accepted())
        self.assertEqual(len(ts), 700)
        worst = 0
        j = 0
        for i in range(len(ts)):
            while ts[i] - ts[j] >= 5.0:
                j += 1
            worst = max(worst, i - j + 1)
        # The limiter admits at most rate * 5 + burst reservations in any 5 s
        # (unit-tested exactly in token_bucket_test); the relay sees them after
        # rendering, signing and the SMTP dialogue, whose latency varies, so
        # its clock may count up to ~100 ms of extra reservations in a window.
        self.assertLessEqual(worst, rate * 5 + burst + rate * 0.1)
        self.assertGreater(worst, rate * 5 * 0.7, "far below the configured rate")
        print(f"rate: max {worst} messages in any 5 s window (limit {rate * 5 + burst:.0f})")

    def test_small_shop_is_not_starved_by_a_large_one(self):
        relay = self.relay()
        self.write_config(relay, rate=100.0, burst=10.0)
        big = self.shop("bigshop", "big.platform.example", [f"okbig{i}@d{i % 3}.example" for i in range(1500)])
        small = self.shop("smallshop", "small.platform.example", [f"oksmall{i}@e.example" for i in range(50)])
        self.schedule(big)
        self.schedule(small)
        t0 = time.time()
        p = self.start_engine("fair")
        self.wait_for(lambda: self.campaign_state(small)[0] == "sent", 30, "the small campaign to finish")
        elapsed = time.time() - t0
        p.send_signal(signal.SIGTERM)
        p.wait(20)
        acc = relay.accepted()
        small_ts = [m["ts"] for m in acc if m["rcpt"].startswith("oksmall")]
        self.assertEqual(len(small_ts), 50)
        # Fair share: with two shops each gets half of 100/s, so 50 messages
        # need about 1 s; allow start-up and polling slack.
        self.assertLess(max(small_ts) - min(m["ts"] for m in acc), 4.0)
        print(f"fairness: small shop's 50 messages done {max(small_ts) - min(m['ts'] for m in acc):.2f} s "
              f"after the first message (campaign sent after {elapsed:.1f} s)")

    def test_campaigns_beyond_max_campaigns_wait_their_turn(self):
        relay = self.relay()
        port = self.free_port()
        self.write_config(relay, rate=200.0, burst=20.0, admin_port=port, engine_extra="max_campaigns = 2")
        ids = []
        for k in range(5):
            ids.append(self.shop(f"many{k}", f"many{k}.platform.example",
                                 [f"ok{k}x{i}@d{i % 3}.example" for i in range(40)]))
        for cid in ids:
            self.schedule(cid)
        p = self.start_engine("held", idle_exit=True)
        held = []
        while p.poll() is None:
            try:
                text = self.http_get(port, "/metrics")[1]
                held += [int(float(l.split()[1])) for l in text.splitlines() if l.startswith("tayori_campaigns_active ")]
            except OSError:
                pass  # not listening yet, or already gone
            time.sleep(0.05)
        self.assertEqual(p.returncode, 0, self.engine_log("held"))
        self.assertTrue(held, "no /metrics sample taken")
        # Never more than two held at once, and every campaign sent in full, once.
        self.assertLessEqual(max(held), 2, held)
        self.assertIn(2, held)
        for cid in ids:
            self.assertEqual(self.campaign_state(cid)[0], "sent")
            self.assertEqual(self.states(cid), {"sent": 40})
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), 200)
        self.assertEqual(max(got.values()), 1)

    def test_systemd_hears_ready_watchdog_and_stopping(self):
        """Type=notify: READY=1 after the first poll, WATCHDOG=1 from the loop, STOPPING=1 on SIGTERM."""
        relay = self.relay()
        self.write_config(relay)
        cid = self.shop("notify", "notify.platform.example", [f"ok{i}@d.example" for i in range(20)])
        self.schedule(cid)
        path = os.path.join(self.dir, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.2)
        self.addCleanup(sock.close)
        self.env["NOTIFY_SOCKET"] = path
        self.env["WATCHDOG_USEC"] = "400000"  # 0.4 s: a ping every 0.2 s
        self.env.pop("WATCHDOG_PID", None)
        p = self.start_engine("notify")
        got = []
        deadline = time.time() + 20
        while time.time() < deadline and sum("WATCHDOG=1" in m for m in got) < 3:
            try:
                got.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        ready = [m for m in got if "READY=1" in m]
        self.assertEqual(len(ready), 1, got)
        self.assertIn("STATUS=instance notify polling", ready[0])
        self.assertGreaterEqual(sum("WATCHDOG=1" in m for m in got), 3, got)
        self.wait_for(lambda: self.campaign_state(cid)[0] == "sent", 30, "the campaign to be sent")
        p.send_signal(signal.SIGTERM)
        stopping = []
        deadline = time.time() + 20
        while time.time() < deadline and not stopping:
            try:
                m = sock.recv(4096).decode()
            except socket.timeout:
                continue
            if "STOPPING=1" in m:
                stopping.append(m)
        self.assertEqual(p.wait(20), 0, self.engine_log("notify"))
        self.assertTrue(stopping, "no STOPPING=1 after SIGTERM")
        self.assertIn("STATUS=draining (SIGTERM)", stopping[0])

    def test_pause_resume_cancel_take_effect_within_seconds(self):
        relay = self.relay()
        self.write_config(relay, rate=60.0, burst=5.0)
        cid = self.shop("pi", "pi.platform.example", [f"ok{i}@d.example" for i in range(600)])
        self.schedule(cid)
        p = self.start_engine("pauser")
        self.wait_for(lambda: len(relay.accepted()) > 30, 30, "sending started")
        self.tayori("campaign", "pause", str(cid))
        time.sleep(2.0)
        n_paused = len(relay.accepted())
        time.sleep(2.0)
        self.assertEqual(len(relay.accepted()), n_paused, "messages went out while paused")
        self.assertEqual(self.campaign_state(cid)[0], "paused")
        self.tayori("campaign", "resume", str(cid))
        self.wait_for(lambda: len(relay.accepted()) > n_paused + 30, 20, "sending to resume")
        self.tayori("campaign", "cancel", str(cid))
        time.sleep(2.0)
        n_cancelled = len(relay.accepted())
        time.sleep(1.5)
        self.assertEqual(len(relay.accepted()), n_cancelled, "messages went out after cancel")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(20), 0)
        s = self.states(cid)
        self.assertEqual(self.campaign_state(cid)[0], "cancelled")
        self.assertGreater(s.get("cancelled", 0), 0)
        self.assertEqual(s.get("sent", 0), len(relay.accepted()))
        self.assertNotIn("leased", s)

    def test_late_suppression_is_honoured_before_the_next_message(self):
        relay = self.relay()
        self.write_config(relay, rate=40.0, burst=5.0)
        rcpts = [f"ok{i}@d.example" for i in range(300)]
        cid = self.shop("lambda", "lambda.platform.example", rcpts)
        self.schedule(cid)
        p = self.start_engine("late")
        self.wait_for(lambda: len(relay.accepted()) > 20, 30, "sending started")
        tenant = self.mysql("SELECT id FROM tenants WHERE slug = 'lambda'")[0][0]
        sent = {m["rcpt"] for m in relay.accepted()}
        late = [r for r in reversed(rcpts) if r not in sent][:5]
        for r in late:
            self.mysql(f"INSERT INTO suppressions (tenant_id, email, list_id, reason, source) "
                       f"VALUES ({tenant}, '{r}', 0, 'unsubscribe', 'test')")
        self.wait_for(lambda: self.campaign_state(cid)[0] == "sent", 60, "campaign to finish")
        p.send_signal(signal.SIGTERM)
        p.wait(20)
        delivered = {m["rcpt"] for m in relay.accepted()}
        for r in late:
            self.assertNotIn(r, delivered, f"{r} was mailed after its suppression")
        self.assertEqual(self.states(cid).get("suppressed", 0), len(late))

    def test_domain_without_key_or_verification_does_not_send(self):
        relay = self.relay()
        self.write_config(relay)
        cid = self.shop("nu", "nu.platform.example", ["ok1@d.example"], verify=False)
        self.schedule(cid)
        p = self.start_engine("nokey", idle_exit=True)
        self.assertEqual(p.wait(30), 0, self.engine_log("nokey"))
        state, reason = self.campaign_state(cid)
        self.assertEqual(state, "paused")
        self.assertIn("not verified", reason)
        # A verified domain whose active key is gone.
        self.tayori("domain", "verify", "nu.platform.example", "--manual")
        self.mysql("UPDATE domain_keys SET state = 'revoked'")
        self.tayori("campaign", "resume", str(cid))
        p = self.start_engine("nokey2", idle_exit=True)
        self.assertEqual(p.wait(30), 0)
        state, reason = self.campaign_state(cid)
        self.assertEqual(state, "paused")
        self.assertIn("no active RSA signing key", reason)
        self.assertEqual(relay.accepted(), [])

    def test_auth_failure_pauses_only_that_sender_domain(self):
        relay = self.relay()
        self.write_config(relay, rate=200.0, burst=20.0)
        bad = self.shop("badshop", "bad.platform.example",
                        [f"auth{i}@d.example" for i in range(5)] + [f"ok{i}@d.example" for i in range(200)])
        good = self.shop("goodshop", "good.platform.example", [f"okgood{i}@d.example" for i in range(200)])
        self.schedule(bad)
        self.schedule(good)
        p = self.start_engine("auth", idle_exit=True)
        self.assertEqual(p.wait(60), 0, self.engine_log("auth"))
        self.assertEqual(self.mysql("SELECT domain, state FROM sender_domains ORDER BY domain"),
                         [["bad.platform.example", "paused"], ["good.platform.example", "verified"]])
        state, reason = self.campaign_state(bad)
        self.assertEqual(state, "paused")
        self.assertIn("5.7.26", reason)
        self.assertEqual(self.campaign_state(good)[0], "sent")
        alerts = self.mysql("SELECT COUNT(*) FROM events WHERE kind = 'alert' AND subject_type = 'sender_domain'")
        self.assertEqual(alerts[0][0], "1")
        self.assertIn("ALERT", self.engine_log("auth"))
        bad_sent = sum(1 for m in relay.accepted() if not m["rcpt"].startswith("okgood"))
        self.assertLess(bad_sent, 200, "the paused domain kept sending")

    def test_database_restart_mid_campaign(self):
        run_dir = env_required("TAYORI_RUN_DIR")
        relay = self.relay()
        self.write_config(relay, rate=100.0, burst=10.0)
        n = 700
        cid = self.shop("delta", "delta.platform.example", [f"ok{i}@d{i % 3}.example" for i in range(n)])
        self.schedule(cid)
        p = self.start_engine("survives-db", idle_exit=True)
        self.wait_for(lambda: len(relay.accepted()) > 100, 30, "sending started")
        env = dict(os.environ, TAYORI_RUN_DIR=run_dir)
        subprocess.run([os.path.join(SRC, "scripts/services"), "stop", "mariadb"], check=True, env=env,
                       capture_output=True)
        time.sleep(2.0)
        subprocess.run([os.path.join(SRC, "scripts/services"), "start", "mariadb"], check=True, env=env,
                       capture_output=True)
        self.assertEqual(p.wait(120), 0, self.engine_log("survives-db"))
        self.assertIn("database unavailable", self.engine_log("survives-db"))
        self.assert_all_terminal(cid, n)
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), n)
        duplicates = sum(c - 1 for c in got.values())
        self.assertLessEqual(duplicates, 500 + 12)
        print(f"database restart: {duplicates} duplicates")

    def test_relay_dying_mid_transaction_loses_nothing(self):
        relay = self.relay()
        self.write_config(relay, rate=150.0, burst=10.0)
        n = 600
        cid = self.shop("omega", "omega.platform.example", [f"ok{i}@d{i % 4}.example" for i in range(n)])
        self.schedule(cid)
        p = self.start_engine("relay-dies", idle_exit=True)
        self.wait_for(lambda: len(relay.accepted()) > 100, 30, "sending started")
        # Kill the relay hard while transactions are open, keep it away for a
        # while, then bring it back on the same port.
        port, log = relay.port, relay.log
        relay.proc.kill()
        relay.proc.wait()
        self.relays.remove(relay)
        time.sleep(3.0)
        back = self.relay("--port", str(port), log=log)
        self.assertEqual(p.wait(120), 0, self.engine_log("relay-dies"))
        self.assert_all_terminal(cid, n)
        s = self.states(cid)
        got = collections.Counter(m["rcpt"] for m in back.accepted())
        unknown = {r[0] for r in self.mysql(f"SELECT email FROM deliveries WHERE campaign_id={cid} AND state='unknown'")}
        # Every recipient was either delivered or is recorded as 'unknown' (the
        # connection died after the final dot: maybe delivered, not resent).
        self.assertEqual(set(got) | unknown, {f"ok{i}@d{i % 4}.example" for i in range(n)})
        self.assertEqual(s.get("sent", 0) + s.get("unknown", 0), n, s)
        self.assertIn("relay failing", self.engine_log("relay-dies"))
        print(f"relay death: {s.get('unknown', 0)} unknown, {len(got)} delivered")

    def test_each_destination_reaches_its_configured_rate(self):
        """A destination group gets its own per_second on 1, 2 and 4
        connections: a message waits for a free connection slot only until
        one of that destination's messages finishes (it used to wait a fixed
        100 ms, capping a destination near 10 messages/s per connection)."""
        relay = self.relay()
        groups = {"g1": (1, 40.0), "g2": (2, 70.0), "g4": (4, 110.0)}
        if os.environ.get("TAYORI_SANITIZED") == "1":
            # Under ASan+UBSan the engine and the Python relay share two cores
            # at several times the CPU per message, and 220 messages/s has
            # measured g4 at 80% of its rate on a slow day. Half the rates
            # still sit well above the old defect's cap (about 10 messages/s
            # per connection), so the 90% bar keeps its meaning.
            groups = {g: (conns, rate / 2) for g, (conns, rate) in groups.items()}
        extra = "".join(f'[[rate_limits.domain_groups]]\nname = "{g}"\ndomains = ["{g}.example"]\n'
                        f"per_second = {rate}\nburst = 5.0\nmax_connections = {conns}\n"
                        for g, (conns, rate) in groups.items())
        self.write_config(relay, rate=2000.0, burst=100.0, extra=extra)
        seconds = 8
        rcpts = [f"ok{i}@{g}.example" for g, (_, rate) in groups.items() for i in range(int(rate * seconds))]
        cid = self.shop("rates", "rates.platform.example", rcpts)
        self.schedule(cid)
        p = self.start_engine("rates", idle_exit=True)
        self.assertEqual(p.wait(120), 0, self.engine_log("rates"))
        self.assertEqual(self.states(cid), {"sent": len(rcpts)})
        got = relay.accepted()
        for g, (conns, rate) in groups.items():
            ts = sorted(m["ts"] for m in got if m["rcpt"].endswith(f"@{g}.example"))
            self.assertEqual(len(ts), int(rate * seconds), g)
            # The steady part: without the first burst and the last tail.
            middle = ts[len(ts) // 10: len(ts) * 9 // 10]
            measured = (len(middle) - 1) / (middle[-1] - middle[0])
            print(f"{g}: {conns} connection(s), configured {rate:.0f}/s, measured {measured:.1f}/s")
            self.assertGreaterEqual(measured, 0.9 * rate, f"{g} on {conns} connection(s)")
            self.assertLessEqual(measured, 1.1 * rate, f"{g} over its rate")

    def test_throttle_reply_pauses_only_that_destination(self):
        relay = self.relay()
        self.write_config(relay, rate=300.0, burst=20.0,
                          extra='[[rate_limits.domain_groups]]\nname = "gmail"\ndomains = ["gmail.example"]\n'
                                'per_second = 100.0\nburst = 10.0\nmax_connections = 4\n')
        rcpts = ["thr0@gmail.example"] + [f"ok{i}@gmail.example" for i in range(50)] + \
                [f"ok{i}@other.example" for i in range(100)]
        with open(self.config) as f:  # one long pause, as before the doubling policy
            text = f.read()
        with open(self.config, "w") as f:
            f.write(text.replace("throttle_pause_s = 600", "throttle_pause_s = 600\nthrottle_initial_pause_s = 600"))
        cid = self.shop("theta", "theta.platform.example", rcpts)
        self.schedule(cid)
        p = self.start_engine("throttled")
        self.wait_for(lambda: sum(1 for m in relay.accepted() if m["rcpt"].endswith("@other.example")) == 100, 30,
                      "the other destination to be served")
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(20), 0)
        gmail_sent = [m for m in relay.accepted() if m["rcpt"].endswith("@gmail.example")]
        # Messages to gmail.example after the 421 4.7.28 wait for the pause
        # (throttle_pause_s = 600) instead of hammering the receiver.
        self.assertLess(len(gmail_sent), 50)
        deferred = self.mysql(f"SELECT COUNT(*) FROM deliveries WHERE campaign_id={cid} AND state='deferred' "
                              f"AND email LIKE '%@gmail.example' AND next_attempt_at > UTC_TIMESTAMP() + INTERVAL 300 SECOND")
        self.assertGreater(int(deferred[0][0]), 0)
        self.assertIn("throttled by receiver", self.engine_log("throttled"))

    def test_throttling_recovers_in_seconds_and_backs_off_while_it_continues(self):
        """421 4.7.28 pauses a destination for a short time that doubles
        while the throttling continues (capped), halves its rate, which
        recovers: a receiver that throttled three times is back at its
        configured rate within the documented time; one that keeps
        throttling gets 1, 2, 4, 8, 8 … second pauses, not a new 421 every
        retry, and the rest of its mail still goes out between them."""
        relay = self.relay()
        self.write_config(relay, rate=2000.0, burst=100.0,
                          extra='[[rate_limits.domain_groups]]\nname = "gm"\ndomains = ["gm.example"]\n'
                                'per_second = 50.0\nburst = 5.0\nmax_connections = 4\n')
        # Policy: first pause 1 s, cap 8 s; a halved rate regains half of
        # the configured rate per second (docs/engine.md "Throttling").
        with open(self.config) as f:
            text = f.read()
        text = text.replace("throttle_pause_s = 600", "throttle_pause_s = 8\nthrottle_initial_pause_s = 1\n"
                            "rate_recovery_interval_s = 1\nrate_recovery_step = 0.5")
        with open(self.config, "w") as f:
            f.write(text)
        # 1. A receiver that keeps throttling (every attempt of thr0 draws a
        # 421): its pauses double up to the cap; its other mail goes out.
        rcpts = ["thr0@keep.example"] + [f"ok{i}@keep.example" for i in range(50)]
        first = self.shop("kappa", "kappa.platform.example", rcpts)
        self.schedule(first)
        started = time.time()
        p = self.start_engine("throttle")
        self.wait_for(lambda: sum(1 for m in relay.accepted() if m["rcpt"].endswith("@keep.example")) == 50, 30,
                      "keep.example's other mail")
        time.sleep(max(0.0, started + 18 - time.time()))  # room for four pauses: 1 + 2 + 4 + 8 s
        self.tayori("campaign", "cancel", str(first))
        log = self.engine_log("throttle")
        keep = [int(x) for x in re.findall(r"pausing destination=keep\.example pause_s=(\d+)", log)]
        print("keep.example pauses:", keep)
        self.assertGreaterEqual(len(keep), 4, keep)
        self.assertEqual(keep, [min(8, 2 ** i) for i in range(len(keep))], "doubling, capped at 8 s")

        # 2. A receiver that throttles three times and recovers: its other
        # mail goes on between the pauses, and once the rate has recovered
        # (1 / step = 2 intervals, 2 s here, after the last pause) it is sent
        # at its configured rate again.
        second = self.campaign_for("kappa", ["flaky3-a@gm.example"] + [f"ok{i}@gm.example" for i in range(20)])
        self.schedule(second)
        self.wait_for(lambda: any(m["rcpt"] == "flaky3-a@gm.example" for m in relay.accepted()), 60,
                      "the flaky recipient, after its three throttles")
        ok_gm = 600
        third = self.campaign_for("kappa", [f"more{i}@gm.example" for i in range(ok_gm)])
        self.schedule(third)
        self.wait_for(lambda: sum(1 for m in relay.accepted() if m["rcpt"].startswith("more")) == ok_gm, 60,
                      "the next campaign to gm.example")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0)
        log = self.engine_log("throttle")
        gm_pauses = [int(x) for x in re.findall(r"pausing destination=group:gm pause_s=(\d+)", log)]
        print("gm.example pauses:", gm_pauses)
        self.assertEqual(len(gm_pauses), 3, gm_pauses)
        for prev, cur in zip(gm_pauses, gm_pauses[1:]):
            self.assertIn(cur, (1, min(8, 2 * prev)), f"doubled while continuing, else short again: {gm_pauses}")
        self.assertEqual(self.states(second), {"sent": 21})
        self.assertEqual(self.states(third), {"sent": ok_gm})
        flaky_at = next(m["ts"] for m in relay.accepted() if m["rcpt"] == "flaky3-a@gm.example")
        after = sorted(m["ts"] for m in relay.accepted() if m["rcpt"].startswith("more") and m["ts"] >= flaky_at + 3.0)
        self.assertGreater(len(after), 200, f"{len(after)} messages after the recovery to measure")
        steady = after[: len(after) * 9 // 10]
        measured = (len(steady) - 1) / (steady[-1] - steady[0])
        print(f"gm.example from 3 s after its last throttle: {measured:.1f}/s of 50/s")
        self.assertGreaterEqual(measured, 45.0)
        self.assertLessEqual(measured, 55.0)

    @staticmethod
    def unsubscribe_token(secret, key_id, tenant, lst, subscriber, campaign, scope=1):
        """The token format of engine/unsubscribe/token.h, written independently."""
        def varint(n):
            out = bytearray()
            while True:
                b = n & 0x7F
                n >>= 7
                out.append(b | (0x80 if n else 0))
                if not n:
                    return bytes(out)
        body = bytes([1, scope]) + varint(tenant) + varint(lst) + varint(subscriber) + varint(campaign)
        mac = hmac.new(secret, b"tayori-unsubscribe\x00" + key_id.encode() + b"\x00" + body, hashlib.sha256).digest()[:16]
        return key_id + "." + base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode()

    def test_one_click_unsubscribe_on_the_running_engine(self):
        relay = self.relay()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        admin = self.free_port()
        self.write_config(relay, rate=40.0, burst=5.0, admin_port=admin)
        with open(self.config) as f:
            text = f.read().replace("[http]\nport = 0", f"[http]\nport = {port}")
            text = text.replace('base_url = "http://127.0.0.1:8025/u/"', f'base_url = "http://127.0.0.1:{port}/u/"')
        with open(self.config, "w") as f:
            f.write(text)
        rcpts = [f"ok{i}@d.example" for i in range(300)]
        cid = self.shop("upsilon", "upsilon.platform.example", rcpts)
        self.schedule(cid)
        p = self.start_engine("http")
        self.wait_for(lambda: len(relay.accepted()) > 20, 30, "sending started")
        base = f"http://127.0.0.1:{port}"
        admin_base = f"http://127.0.0.1:{admin}"
        self.assertEqual(urllib.request.urlopen(admin_base + "/healthz", timeout=5).status, 200)
        self.assertEqual(urllib.request.urlopen(admin_base + "/readyz", timeout=5).status, 200)
        metrics = urllib.request.urlopen(admin_base + "/metrics", timeout=5).read().decode()
        # The public listener serves only /u/: no metrics or health where subscribers click.
        for path in ("/metrics", "/healthz", "/readyz"):
            self.assertEqual(self.http_get(port, path)[0], 404, path)
        self.assertIn('tayori_messages_total{outcome="sent"}', metrics)
        self.assertIn("tayori_queue_depth", metrics)
        tenant, lst = map(int, self.mysql("SELECT tenant_id, list_id FROM campaigns WHERE id = %d" % cid)[0])
        sent = {m["rcpt"] for m in relay.accepted()}
        target = [r for r in reversed(rcpts) if r not in sent][0]
        sub = int(self.mysql(f"SELECT id FROM subscribers WHERE email = '{target}'")[0][0])
        token = self.unsubscribe_token(base64.b64decode(self.env["TAYORI_UNSUB_KEY_K1"]), "k1", tenant, lst, sub, cid)
        # A GET (a link scanner) changes nothing; the one-click POST suppresses.
        page = urllib.request.urlopen(base + "/u/" + token, timeout=5)
        self.assertEqual(page.status, 200)
        self.assertEqual(self.mysql(f"SELECT COUNT(*) FROM suppressions WHERE email = '{target}'")[0][0], "0")
        req = urllib.request.Request(base + "/u/" + token, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(urllib.request.urlopen(req, timeout=5).status, 200)
        self.assertEqual(self.mysql(f"SELECT list_id, reason FROM suppressions WHERE email = '{target}'"),
                         [[str(lst), "unsubscribe"]])
        self.wait_for(lambda: self.campaign_state(cid)[0] == "sent", 60, "campaign to finish")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(20), 0)
        self.assertNotIn(target, {m["rcpt"] for m in relay.accepted()})
        self.assertEqual(self.mysql(f"SELECT state FROM deliveries WHERE email = '{target}'"), [["suppressed"]])

    # ---- failure paths (issue 12) ------------------------------------------------

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

    def test_relay_replies_that_break_utf8_never_cause_a_resend(self):
        # Latin-1 replies and 600-byte multibyte replies once made the outcome
        # write fail; the outcome was dropped and the message sent again
        # every lease_s, forever.
        relay = self.relay()
        self.write_config(relay, lease_s=5)
        rcpts = ([f"ok{i}@d.example" for i in range(40)] + [f"latin{i}@d.example" for i in range(3)] +
                 [f"long{i}@d.example" for i in range(3)] + ["huge0@d.example"] +
                 [f"dlatin{i}@d.example" for i in range(10)] +
                 [f"dlong{i}@d.example" for i in range(10)])
        cid = self.shop("utf", "utf.platform.example", rcpts)
        self.schedule(cid)
        p = self.start_engine("utf8", idle_exit=True)
        self.assertEqual(p.wait(90), 0, self.engine_log("utf8"))
        self.assert_all_terminal(cid, len(rcpts))
        self.assertEqual(self.states(cid), {"sent": 60, "bounced": 7})
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), 60)
        self.assertEqual(max(got.values()), 1, f"sent twice: {[r for r, c in got.items() if c > 1]}")
        reply = self.mysql(f"SELECT last_reply FROM deliveries WHERE email = 'latin0@d.example'")[0][0]
        self.assertIn("d\ufffdsol\ufffd", reply)
        longest = self.mysql(f"SELECT MAX(CHAR_LENGTH(last_reply)) FROM deliveries WHERE campaign_id = {cid}")[0][0]
        self.assertLessEqual(int(longest), 512)
        self.assertNotIn("writing outcomes failed", self.engine_log("utf8"))
        # 90 KB of reply lines are kept bounded (RFC 5321 allows 512 octets a line).
        huge = self.mysql("SELECT CHAR_LENGTH(last_reply), last_enhanced FROM deliveries WHERE email = 'huge0@d.example'")
        self.assertLessEqual(int(huge[0][0]), 512)
        self.assertEqual(huge[0][1], "5.1.1")

    def test_failed_outcome_writes_keep_outcomes_and_stop_sending(self):
        relay = self.relay()
        user = f"eng{os.getpid()}"
        self.env["TAYORI_TEST_ENGINE_DB_PW"] = "pw-" + base64.b16encode(os.urandom(8)).decode()
        self.mysql(f"DROP USER IF EXISTS '{user}'@'localhost'; CREATE USER '{user}'@'localhost' IDENTIFIED BY "
                   f"'{self.env['TAYORI_TEST_ENGINE_DB_PW']}'", db="mysql")
        self.addCleanup(lambda: self.mysql(f"DROP USER IF EXISTS '{user}'@'localhost'", db="mysql"))
        port = self.free_port()
        self.write_config(relay, rate=100.0, burst=10.0, admin_port=port)
        n = 500
        cid = self.shop("wfail", "wfail.platform.example", [f"ok{i}@d{i % 3}.example" for i in range(n)])
        # Table-level UPDATE grants take effect at the next statement, so the
        # running engine loses (and regains) the right to write deliveries.
        self.mysql(f"GRANT SELECT, INSERT, DELETE, CREATE TEMPORARY TABLES ON {self.db}.* TO '{user}'@'localhost'")
        for (table,) in self.mysql("SHOW TABLES"):
            self.mysql(f"GRANT UPDATE ON {self.db}.{table} TO '{user}'@'localhost'")
        self.write_config(relay, rate=100.0, burst=10.0, admin_port=port, db_user=user,
                          db_password_env="TAYORI_TEST_ENGINE_DB_PW")
        self.schedule(cid)
        p = self.start_engine("wfail", idle_exit=True)
        self.wait_for(lambda: len(relay.accepted()) > 60, 30, "sending started")
        self.mysql(f"REVOKE UPDATE ON {self.db}.deliveries FROM '{user}'@'localhost'")
        self.wait_for(lambda: "\ntayori_writeback_failing 1\n" in self.http_get(port, "/metrics")[1], 20,
                      "the engine to report failing writes")
        # Alive, but not ready: the load balancer and the operator see why.
        self.assertEqual(self.http_get(port, "/healthz")[0], 200)
        status, body = self.http_get(port, "/readyz")
        self.assertEqual((status, body), (503, "not ready: outcome writes failing\n"))
        at_alert = len(relay.accepted())
        time.sleep(8)  # longer than lease_s: nothing may be taken over or resent meanwhile
        during = len(relay.accepted()) - at_alert
        # Only what was already with a relay or signing may finish (2 x 4
        # connections + 4 x workers); nothing new is leased or started.
        self.assertLessEqual(during, 8 + 4 * os.cpu_count(), f"{during} messages sent while writes failed")
        self.assertIn("ALERT writing outcomes failed", self.engine_log("wfail"))
        self.mysql(f"GRANT UPDATE ON {self.db}.deliveries TO '{user}'@'localhost'")
        self.assertEqual(p.wait(120), 0, self.engine_log("wfail"))
        self.assertIn("outcome writes recovered", self.engine_log("wfail"))
        self.assert_all_terminal(cid, n)
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), n)
        self.assertEqual(max(got.values()), 1, "a delivery was sent twice")
        self.assertEqual(self.states(cid), {"sent": n})

    def test_an_account_without_the_engines_privileges_is_refused_at_start(self):
        relay = self.relay()
        user = f"weak{os.getpid()}"
        self.env["TAYORI_TEST_ENGINE_DB_PW"] = "pw-weak"
        self.mysql(f"DROP USER IF EXISTS '{user}'@'localhost'; CREATE USER '{user}'@'localhost' IDENTIFIED BY "
                   f"'pw-weak'", db="mysql")
        self.addCleanup(lambda: self.mysql(f"DROP USER IF EXISTS '{user}'@'localhost'", db="mysql"))
        self.write_config(relay)
        self.tayori("db", "migrate")
        self.mysql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {self.db}.* TO '{user}'@'localhost'")
        self.write_config(relay, db_user=user, db_password_env="TAYORI_TEST_ENGINE_DB_PW")
        out = subprocess.run([TAYORI, "-c", self.config, "run", "--instance", "weak"], capture_output=True, text=True,
                             env=self.env, timeout=30)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("lacks privileges the engine needs", out.stderr)
        self.assertIn("CREATE TEMPORARY TABLES", out.stderr)

    def test_database_frozen_longer_than_a_lease_sends_nothing_twice(self):
        # SIGSTOP the server while messages are queued and parked in two
        # engines: once it runs again every lease looks expired, and each
        # engine must renew its own before judging anybody dead.
        run_dir = env_required("TAYORI_RUN_DIR")
        with open(os.path.join(run_dir, "mariadb", "pid")) as f:
            mariadbd = int(f.read().strip())
        relay = self.relay()
        # 2 destinations x 3/s per engine: a leased batch of 100 lasts ~16 s,
        # so work is parked in both engines all through the freeze.
        self.write_config(relay, rate=500.0, burst=20.0, dest_rate=3.0, dest_burst=2.0, lease_s=5)
        n = 300
        cid = self.shop("frozen", "frozen.platform.example", [f"ok{i}@d{i % 2}.example" for i in range(n)])
        self.schedule(cid)
        procs = [self.start_engine(f"frz{i}", idle_exit=True) for i in range(2)]
        self.wait_for(lambda: len(relay.accepted()) > 12, 30, "sending started")
        os.kill(mariadbd, signal.SIGSTOP)
        try:
            time.sleep(13)  # longer than lease_s (5 s) and the heartbeat window (10 s)
        finally:
            os.kill(mariadbd, signal.SIGCONT)
        for i, p in enumerate(procs):
            self.assertEqual(p.wait(180), 0, self.engine_log(f"frz{i}"))
        self.assert_all_terminal(cid, n)
        got = collections.Counter(m["rcpt"] for m in relay.accepted())
        self.assertEqual(len(got), n)
        duplicates = sum(c - 1 for c in got.values())
        self.assertEqual(duplicates, 0, f"sent twice: {[r for r, c in got.items() if c > 1][:10]}")
        self.assertIn("renewed every lease held", self.engine_log("frz0") + self.engine_log("frz1"))

    def test_drain_deadline_gives_back_only_unstarted_work(self):
        relay = self.relay()
        # The relay never answers RCPT for the stalled messages (the engine
        # would give up only after 60 s, long after the 2 s drain deadline).
        # Not a stall after the final dot: libcurl waits for that reply
        # blocking the loop (docs/engine.md, "Relays").
        self.write_config(relay, rate=30.0, burst=5.0, lease_s=30, drain_s=2, command_timeout_s=60)
        rcpts = ["rstall0@s.example", "rstall1@s.example"] + [f"ok{i}@d.example" for i in range(200)]
        cid = self.shop("dd", "dd.platform.example", rcpts)
        self.schedule(cid)
        p = self.start_engine("deadline")
        self.wait_for(lambda: len(relay.accepted()) > 10, 30, "sending started")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0, self.engine_log("deadline"))
        self.assertIn("drain deadline reached", self.engine_log("deadline"))
        # What was with the relay at the deadline may yet be delivered: it
        # keeps its lease (taken over only when that expires), while the
        # unstarted work went back at once.
        leased = [e for (e,) in self.mysql(f"SELECT email FROM deliveries WHERE campaign_id = {cid} AND state = 'leased'")]
        self.assertEqual(sorted(e for e in leased if e.startswith("rstall")), ["rstall0@s.example", "rstall1@s.example"],
                         f"the stalled messages keep their leases: {leased}")
        # Only what was handed to the relays (2 x 4 connections) keeps a lease.
        self.assertLessEqual(len(leased), 8, f"only what was with the relay: {leased}")
        other = self.states(cid)
        self.assertGreater(other.get("queued", 0), 0, other)
        self.assertEqual(other.get("sent", 0), len(relay.accepted()))

    def test_a_campaign_pointing_at_another_shops_list_is_paused_not_sent(self):
        relay = self.relay()
        self.write_config(relay)
        cid = self.shop("own", "own.platform.example", [f"ok{i}@own-readers.example" for i in range(5)])
        self.shop("victim", "victim.platform.example", [f"ok{i}@victim-readers.example" for i in range(5)])
        victim_list = self.mysql("SELECT l.id FROM lists l JOIN tenants t ON t.id = l.tenant_id WHERE t.slug = 'victim'")[0][0]
        self.schedule(cid)
        # The web app writes campaign rows: one points at another shop's list.
        self.mysql(f"UPDATE campaigns SET list_id = {victim_list} WHERE id = {cid}")
        p = self.start_engine("owner-check", idle_exit=True)
        self.assertEqual(p.wait(60), 0, self.engine_log("owner-check"))
        state, reason = self.campaign_state(cid)
        self.assertEqual(state, "paused")
        self.assertIn(f"list {victim_list} belongs to shop", reason)
        self.assertEqual(relay.accepted(), [])
        self.assertEqual(self.mysql(f"SELECT COUNT(*) FROM deliveries WHERE campaign_id = {cid}")[0][0], "0")

    def test_one_instance_name_one_process(self):
        relay = self.relay()
        self.write_config(relay)
        self.shop("solo", "solo.platform.example", ["ok0@d.example"])
        first = self.start_engine("unique")
        self.wait_for(lambda: "started" in self.engine_log("unique"), 20, "the first engine to start")
        out = subprocess.run([TAYORI, "-c", self.config, "run", "--instance", "unique"], capture_output=True,
                             text=True, env=self.env, timeout=30)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(f"is in use by PID {first.pid}", out.stderr)
        # A crash frees the name at once on the same host (the PID is gone).
        first.send_signal(signal.SIGKILL)
        first.wait()
        again = self.start_engine("unique")
        self.wait_for(lambda: self.engine_log("unique").count("engine: started") >= 2 or again.poll() is not None,
                      20, "the restarted engine")
        self.assertIsNone(again.poll(), self.engine_log("unique"))
        again.send_signal(signal.SIGTERM)
        self.assertEqual(again.wait(20), 0)

    def test_a_key_switch_reaches_a_running_engine(self):
        relay = self.relay()
        self.write_config(relay, rate=20.0, burst=2.0)
        n = 300
        cid = self.shop("rot", "rot.platform.example", [f"ok{i}@d.example" for i in range(n)])
        # The rotation's first step makes the next key (s2, pending).
        self.tayori("dkim", "rotate", "rot.platform.example", "--step")
        self.schedule(cid)
        p = self.start_engine("rotating", idle_exit=True)
        self.wait_for(lambda: len(relay.accepted()) > 20, 30, "sending started")
        selectors = {m["s"] for m in relay.accepted()}
        self.assertEqual(len(selectors), 1, selectors)
        old = selectors.pop()
        # A rotation step made elsewhere (another instance, `tayori dkim
        # rotate`): the other selector's key becomes the signing key.
        did = self.mysql("SELECT id FROM sender_domains WHERE domain = 'rot.platform.example'")[0][0]
        self.assertEqual(self.mysql(f"SELECT selector, state FROM domain_keys WHERE sender_domain_id = {did} "
                                    f"ORDER BY selector"), [["s1", "active"], ["s2", "pending"]])
        self.mysql(f"UPDATE domain_keys SET state = IF(selector = '{old}', 'retiring', 'active'), "
                   f"state_changed_at = UTC_TIMESTAMP(6) WHERE sender_domain_id = {did}")
        switched_at = time.time()
        self.assertEqual(p.wait(60), 0, self.engine_log("rotating"))
        after = [m for m in relay.accepted() if m["ts"] > switched_at + 3]
        self.assertGreater(len(after), 20)
        self.assertEqual({m["s"] for m in after} - {old}, {m["s"] for m in after}, "old selector still used")

if __name__ == "__main__":
    TAYORI = sys.argv.pop(1)
    unittest.main(verbosity=2)
