#!/usr/bin/python3
"""Engine scenarios. Shaping: the global and per-destination rates (also across three instances), fairness
between shops, max_campaigns, throttling and its recovery.

Run by ctest: engine_shaping_test.py TAYORI_BINARY EngineTest.test_name (the
harness is engine_harness.py)."""
import collections
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_harness as harness  # noqa: E402
from engine_harness import EngineCase  # noqa: E402


class EngineTest(EngineCase):

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

    def test_each_destination_reaches_its_configured_rate(self):
        """A destination group gets its own per_second on 1, 2 and 4
        connections: a message waits for a free connection slot only until
        one of that destination's messages finishes (it used to wait a fixed
        100 ms, capping a destination near 10 messages/s per connection)."""
        relay = self.relay()
        groups = {"g1": (1, 40.0), "g2": (2, 70.0), "g4": (4, 110.0)}
        # Under ASan+UBSan a message holds its destination's connection slot
        # through a render and sign that take several times longer, so how
        # fast one slot turns over says nothing about the dispatcher: there
        # the scenario checks that every message goes once and no group
        # exceeds its rate; reaching 90% of it is asserted by the optimized
        # build's run of this same scenario.
        sanitized = os.environ.get("TAYORI_SANITIZED") == "1"
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
            if not sanitized:
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


if __name__ == "__main__":
    harness.main()
