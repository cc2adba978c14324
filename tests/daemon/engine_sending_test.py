#!/usr/bin/python3
"""Engine scenarios. Sending: a campaign end to end, its metrics, one-click unsubscribe, operator control
(pause, resume, cancel), suppressions and what must not be sent.

Run by ctest: engine_sending_test.py TAYORI_BINARY EngineTest.test_name (the
harness is engine_harness.py)."""
import base64
import collections
import os
import re
import signal
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_harness as harness  # noqa: E402
from engine_harness import EngineCase  # noqa: E402


class EngineTest(EngineCase):

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
        # The stop line counts the worker jobs (302 messages built, and the
        # campaign's preparation) and gives the median CPU time of a signature
        # that set no key up: what the benchmarks compare runs by.
        stop = re.search(r"engine: stopped .*worker_jobs=(\d+) .*sign_cpu_us_median=(\d+)", self.engine_log("solo"))
        self.assertIsNotNone(stop, self.engine_log("solo"))
        self.assertGreaterEqual(int(stop.group(1)), 302)
        self.assertGreater(int(stop.group(2)), 0)

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

    def test_a_shop_over_a_feedback_limit_is_paused_by_the_engine(self):
        relay = self.relay()
        self.write_config(relay, rate=10.0, burst=5.0,
                          extra="[feedback]\nmax_complaint_rate = 0.05\nmin_volume = 50\n")
        # sigma's last campaign, an hour ago: 100 complaints in 1,000 delivered.
        history = self.shop("sigma", "sigma.platform.example", ["old@d.example"])
        self.mysql(f"UPDATE campaigns SET state = 'sent', started_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, "
                   f"finished_at = UTC_TIMESTAMP(6), sent_count = 1000, complaint_count = 100 WHERE id = {history}")
        over = self.campaign_for("sigma", [f"s{i}@d.example" for i in range(300)])
        fine = self.shop("tau", "tau.platform.example", [f"t{i}@d.example" for i in range(300)])
        self.schedule(over)
        self.schedule(fine)
        p = self.start_engine("guard")
        # Checked at the first housekeeping poll (every 5 polls) after its campaign is prepared, not 30 s later.
        self.wait_for(lambda: self.campaign_state(over)[0] == "paused", 12, "the engine's guard to pause sigma")
        state, reason = self.campaign_state(over)
        self.assertIn("complaint rate", reason)
        self.assertIn("over the last day exceeds 5.00% (feedback.max_complaint_rate)", reason)
        self.assertIn(self.campaign_state(fine)[0], ("sending", "sent"))
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(20), 0)
        log = self.engine_log("guard")
        self.assertIn("ALERT shop over a feedback limit", log)
        sigma = self.mysql("SELECT id FROM tenants WHERE slug = 'sigma'")[0][0]
        self.assertEqual(self.mysql(f"SELECT COUNT(*) FROM events WHERE kind = 'alert' AND tenant_id = {sigma}"),
                         [["1"]])
        self.assertEqual(self.mysql("SELECT COUNT(*) FROM events e JOIN tenants t ON t.id = e.tenant_id "
                                    "WHERE e.kind = 'alert' AND t.slug = 'tau'"), [["0"]])
        self.assertLess(sum(1 for m in relay.accepted() if m["rcpt"].startswith("s")), 60)

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
    harness.main()
