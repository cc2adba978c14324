#!/usr/bin/python3
"""Engine scenarios. Operations: SIGHUP reloads (rates, a broken file, relays) and the systemd protocol
(READY, WATCHDOG, STOPPING).

Run by ctest: engine_operations_test.py TAYORI_BINARY EngineTest.test_name (the
harness is engine_harness.py)."""
import collections
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_harness as harness  # noqa: E402
from engine_harness import EngineCase  # noqa: E402


class EngineTest(EngineCase):

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


if __name__ == "__main__":
    harness.main()
