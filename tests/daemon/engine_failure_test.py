#!/usr/bin/python3
"""Engine scenarios. Failure paths: kill -9, drain and its deadline, the database restarted, frozen or
refusing writes, a relay dying or answering in broken UTF-8, a weak account, a name in use:
nothing lost, nothing sent twice beyond the documented bound.

Run by ctest: engine_failure_test.py TAYORI_BINARY EngineTest.test_name (the
harness is engine_harness.py)."""
import base64
import collections
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_harness as harness  # noqa: E402
from engine_harness import SRC, EngineCase, env_required  # noqa: E402


class EngineTest(EngineCase):

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
        out = subprocess.run([harness.TAYORI, "-c", self.config, "run", "--instance", "weak"], capture_output=True, text=True,
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

    def test_one_instance_name_one_process(self):
        relay = self.relay()
        self.write_config(relay)
        self.shop("solo", "solo.platform.example", ["ok0@d.example"])
        first = self.start_engine("unique")
        self.wait_for(lambda: "started" in self.engine_log("unique"), 20, "the first engine to start")
        out = subprocess.run([harness.TAYORI, "-c", self.config, "run", "--instance", "unique"], capture_output=True,
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
        # A name campaigns.claimed_by cannot hold as given is refused at start.
        for bad, why in (("unique ", "must not begin or end with a space"), ("caf\u00e9", "must be printable ASCII")):
            out = subprocess.run([harness.TAYORI, "-c", self.config, "run", "--instance", bad], capture_output=True,
                                 text=True, env=self.env, timeout=30)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn("instance name (engine.instance_name or --instance):", out.stderr)
            self.assertIn(why, out.stderr)


if __name__ == "__main__":
    harness.main()
