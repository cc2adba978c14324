#!/usr/bin/python3
"""`tayori inbound` end to end: a campaign is sent by `tayori run` through the
fault relay (which logs each message's VERP return path), then bounces and
complaints written here with Python's email package are sent to the listener
with smtplib, and the database is checked: hard bounces make the delivery
'bounced' and suppress the address for its shop only, a resend changes
nothing twice, a forged VERP touches nothing, a complaint matched by the
returned Message-ID suppresses and is counted, three soft bounces suppress,
an authentication failure pauses the sender domain, an auto-reply does
nothing, the next campaign skips the suppressed addresses, and an address
that is not a bounce or complaint address is refused at RCPT.

    inbound_test.py TAYORI_BINARY InboundTest.test_name
"""
import json
import os
import signal
import smtplib
import subprocess
import sys
import time
import unittest
from email.message import EmailMessage

TAYORI = None
SRC = os.environ.get("TAYORI_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests/daemon"))
from engine_harness import EngineCase, env_required  # noqa: E402  (the shared fixtures: MariaDB, relay, config)


def dsn(verp, recipient, status, diagnostic, action="failed", returned_message_id=None):
    """An RFC 3464 delivery status notification as Postfix writes it."""
    b = "=_dsn_boundary"
    return (f"From: MAILER-DAEMON@relay.example (Mail Delivery System)\r\nTo: {verp}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{b}\"\r\n\r\n"
            f"--{b}\r\nContent-Type: text/plain\r\n\r\n"
            f"I'm sorry to have to inform you that your message could not be delivered to {recipient}.\r\n\r\n"
            f"--{b}\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; relay.example\r\n\r\nFinal-Recipient: rfc822; {recipient}\r\n"
            f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {diagnostic}\r\n\r\n"
            f"--{b}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Return-Path: <{verp}>\r\nFrom: news@shop.example\r\nTo: {recipient}\r\n"
            f"Message-ID: {returned_message_id or '<unknown@shop.example>'}\r\nSubject: News\r\n\r\n"
            f"--{b}--\r\n").encode()


def arf(complaint_to, reported_recipient, message_id, verp=None):
    """An RFC 5965 abuse report whose reported message is one of ours."""
    b = "=_arf_boundary"
    return (f"From: feedback@isp.example\r\nTo: {complaint_to}\r\nSubject: FW: News\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type=feedback-report; boundary=\"{b}\"\r\n\r\n"
            f"--{b}\r\nContent-Type: text/plain\r\n\r\n"
            f"This is an email abuse report for an email message received from IP 192.0.2.1.\r\n\r\n"
            f"--{b}\r\nContent-Type: message/feedback-report\r\n\r\n"
            f"Feedback-Type: abuse\r\nUser-Agent: SomeISP/1.0\r\nVersion: 1\r\n"
            f"Original-Rcpt-To: {reported_recipient}\r\nArrival-Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n"
            f"--{b}\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
            (f"Return-Path: <{verp}>\r\n" if verp else "") +
            f"From: news@shop.example\r\nTo: {reported_recipient}\r\nMessage-ID: {message_id}\r\nSubject: News\r\n\r\n"
            f"--{b}--\r\n").encode()


class InboundTest(EngineCase):
    def start_inbound(self, extra=""):
        with open(self.config) as f:
            text = f.read()
        with open(self.config, "w") as f:
            f.write(text + f"""
[inbound]
port = 0
bounce_domains = ["bounce.platform.example"]
complaint_addresses = ["fbl@platform.example"]
command_timeout_s = 10
{extra}""")
        log = open(os.path.join(self.dir, "inbound.log"), "a")
        p = subprocess.Popen([TAYORI, "-c", self.config, "inbound"], stdout=subprocess.PIPE, stderr=log,
                             env=self.env, text=True)
        self.engines.append(p)
        line = p.stdout.readline()
        self.assertTrue(line.startswith("listening on "), f"inbound did not start: {line!r} {self.inbound_log()}")
        self.inbound_port = int(line.strip().rsplit(":", 1)[1])
        return p

    def inbound_log(self):
        path = os.path.join(self.dir, "inbound.log")
        return open(path, errors="replace").read() if os.path.exists(path) else ""

    def send(self, rcpt, data, sender=""):
        with smtplib.SMTP("127.0.0.1", self.inbound_port, timeout=30) as s:
            return s.sendmail(sender, [rcpt], data)

    def sent_campaign(self, slug, domain, rcpts):
        """A campaign sent through the fault relay; returns (campaign id, {rcpt: verp})."""
        cid = self.shop(slug, domain, rcpts)
        self.schedule(cid)
        p = self.start_engine(f"run-{slug}", idle_exit=True)
        self.assertEqual(p.wait(60), 0, self.engine_log(f"run-{slug}"))
        return cid, {m["rcpt"]: m["mail_from"] for m in self.relay_.accepted()}

    def setUp(self):
        super().setUp()
        self.relay_ = self.relay()
        self.write_config(self.relay_)

    def state_of(self, email):
        return self.mysql(f"SELECT state FROM deliveries WHERE email = '{email}' ORDER BY id DESC LIMIT 1")[0][0]

    def suppressed(self, email):
        return self.mysql(f"SELECT t.slug, x.reason FROM suppressions x JOIN tenants t ON t.id = x.tenant_id "
                          f"WHERE x.email = '{email}' ORDER BY t.slug")

    # ---- tests ---------------------------------------------------------------

    def test_bounces_and_complaints_clean_the_lists_within_one_shop(self):
        cid, verp = self.sent_campaign("alpha", "alpha.platform.example",
                                       [f"r{i}@dest.example" for i in range(8)] + ["shared@dest.example"])
        other, _ = self.sent_campaign("beta", "beta.platform.example", ["shared@dest.example", "b1@dest.example"])
        self.start_inbound()
        # A hard bounce through the VERP address: bounced, suppressed for alpha only.
        hard = dsn(verp["r0@dest.example"], "r0@dest.example", "5.1.1", "550 5.1.1 user unknown")
        self.assertEqual(self.send(verp["r0@dest.example"], hard), {})
        self.assertEqual(self.state_of("r0@dest.example"), "bounced")
        self.assertEqual(self.suppressed("r0@dest.example"), [["alpha", "bounce"]])
        counts = self.mysql(f"SELECT sent_count, bounced_count FROM campaigns WHERE id = {cid}")[0]
        self.assertEqual(counts, ["8", "1"])
        # The same message again (our 250 was lost): nothing twice.
        self.send(verp["r0@dest.example"], hard)
        self.assertEqual(self.mysql(f"SELECT sent_count, bounced_count FROM campaigns WHERE id = {cid}")[0], ["8", "1"])
        self.assertEqual(self.mysql("SELECT COUNT(*) FROM inbound_messages")[0][0], "1")
        # A forged VERP (the MAC altered) matches nothing and writes nothing to deliveries.
        forged = verp["r1@dest.example"][:-len("@bounce.platform.example")]
        forged = forged[:-1] + ("A" if forged[-1] != "A" else "B") + "@bounce.platform.example"
        self.send(forged, dsn(forged, "r1@dest.example", "5.1.1", "550 5.1.1 user unknown"))
        self.assertEqual(self.state_of("r1@dest.example"), "sent")
        self.assertEqual(self.suppressed("r1@dest.example"), [])
        self.assertEqual(self.mysql("SELECT matched_by, effect FROM feedback_events ORDER BY id DESC LIMIT 1")[0],
                         ["none", "none"])
        # A complaint through the feedback loop, matched by the returned Message-ID.
        mid = self.mysql("SELECT message_id FROM deliveries WHERE email = 'r2@dest.example'")[0][0]
        self.send("fbl@platform.example", arf("fbl@platform.example", "r2@dest.example", mid))
        self.assertEqual(self.suppressed("r2@dest.example"), [["alpha", "complaint"]])
        self.assertEqual(self.mysql(f"SELECT complaint_count FROM campaigns WHERE id = {cid}")[0][0], "1")
        # A complaint naming another shop's subscriber, about alpha's message
        # to shared@: only alpha's own address is suppressed; beta's b1@ is not.
        mid = self.mysql(f"SELECT message_id FROM deliveries WHERE email = 'shared@dest.example' AND "
                         f"campaign_id = {cid}")[0][0]
        self.send("fbl@platform.example", arf("fbl@platform.example", "b1@dest.example", mid))
        self.assertEqual(self.suppressed("shared@dest.example"), [["alpha", "complaint"]])
        self.assertEqual(self.suppressed("b1@dest.example"), [])
        # A complaint naming its delivery only by Feedback-ID and recipient
        # (anyone can write those): recorded against it, nothing done.
        forged_fbl = arf("fbl@platform.example", "r7@dest.example", "<not-ours@elsewhere.example>").replace(
            b"Message-ID: <not-ours@elsewhere.example>", f"Feedback-ID: {cid}:1:newsletter:alpha-id".encode())
        self.send("fbl@platform.example", forged_fbl)
        self.assertEqual(self.suppressed("r7@dest.example"), [])
        self.assertEqual(self.mysql("SELECT matched_by, effect FROM feedback_events ORDER BY id DESC LIMIT 1")[0],
                         ["feedback_id", "none"])
        # Soft bounces: recorded; the third within the window suppresses.
        for n in range(3):
            soft = dsn(verp["r3@dest.example"], "r3@dest.example", "4.2.2", f"452 4.2.2 mailbox full ({n})")
            self.send(verp["r3@dest.example"], soft)
            self.assertEqual(self.state_of("r3@dest.example"), "sent")
            self.assertEqual(bool(self.suppressed("r3@dest.example")), n == 2, f"after soft bounce {n + 1}")
        # A delay is recorded only.
        self.send(verp["r4@dest.example"], dsn(verp["r4@dest.example"], "r4@dest.example", "4.4.7",
                                               "delivery delayed", action="delayed"))
        self.assertEqual(self.suppressed("r4@dest.example"), [])
        # An auto-reply (vacation) is never a bounce.
        vacation = EmailMessage()
        vacation["From"] = "r5@dest.example"
        vacation["To"] = verp["r5@dest.example"]
        vacation["Subject"] = "Out of office"
        vacation["Auto-Submitted"] = "auto-replied"
        vacation.set_content("I am away until Monday.")
        self.send(verp["r5@dest.example"], vacation.as_bytes(), sender="r5@dest.example")
        self.assertEqual(self.state_of("r5@dest.example"), "sent")
        self.assertEqual(self.suppressed("r5@dest.example"), [])
        # An authentication failure reported later pauses the sender domain.
        self.send(verp["r6@dest.example"], dsn(verp["r6@dest.example"], "r6@dest.example", "5.7.26",
                                               "550 5.7.26 This mail is unauthenticated"))
        self.assertEqual(self.mysql("SELECT state FROM sender_domains WHERE domain = 'alpha.platform.example'")[0][0],
                         "paused")
        self.assertEqual(self.mysql("SELECT state FROM sender_domains WHERE domain = 'beta.platform.example'")[0][0],
                         "verified")
        # Anything else is refused at RCPT.
        with self.assertRaises(smtplib.SMTPRecipientsRefused):
            self.send("postmaster@elsewhere.example", b"Subject: hi\r\n\r\nhello\r\n")
        # The next campaign of alpha skips the suppressed addresses.
        self.mysql("UPDATE sender_domains SET state = 'verified', state_reason = NULL "
                   "WHERE domain = 'alpha.platform.example'")
        out = self.tayori("campaign", "create", "--tenant", "alpha", "--list", "news", "--from",
                          "news@alpha.platform.example", "--subject", "Again", "--text",
                          os.path.join(SRC, "tests/daemon/body.txt"))
        second = int(out.stdout.split()[1])
        before = {m["rcpt"] for m in self.relay_.accepted()}
        count_before = len(self.relay_.accepted())
        self.schedule(second)
        p = self.start_engine("second", idle_exit=True)
        self.assertEqual(p.wait(60), 0, self.engine_log("second"))
        again = [m["rcpt"] for m in self.relay_.accepted()[count_before:]]
        for gone in ("r0@dest.example", "r2@dest.example", "r3@dest.example", "shared@dest.example"):
            self.assertNotIn(gone, again)
        self.assertIn("r1@dest.example", again)
        self.assertTrue(before)
        self.assertEqual(self.mysql(f"SELECT COUNT(*) FROM deliveries WHERE campaign_id = {second} "
                                    f"AND state = 'suppressed'")[0][0], "4")
        self.assertIn("recorded", self.inbound_log())
        # tayori report: what came back, per campaign and per shop.
        rows = [json.loads(l) for l in self.tayori("report", "--tenant", "alpha", "--json").stdout.splitlines()]
        first = [r for r in rows if r.get("campaign") == cid][0]
        self.assertEqual((first["hard_bounces"], first["reported_bounces"], first["soft_bounces"], first["complaints"]),
                         (1, 1, 3, 2), first)
        self.assertEqual(first["delivered"], 9)
        self.assertAlmostEqual(first["complaint_rate"], 2 / 9)
        shop = [r for r in rows if r.get("shop") == "alpha" and r.get("window_days") == 7][0]
        self.assertEqual(shop["complaints"], 2)
        domain = [r for r in rows if r.get("sender_domain") == "alpha.platform.example" and r.get("window_days") == 1][0]
        self.assertEqual((domain["complaints"], domain["hard_bounces"]), (2, 1))
        text = self.tayori("report", "--campaign", str(cid)).stdout
        self.assertIn("complaints 2", text)
        # Reprocessing every stored message changes nothing that was right.
        events = self.mysql("SELECT inbound_message_id, type, effect, delivery_id FROM feedback_events ORDER BY "
                            "inbound_message_id, id")
        out = self.tayori("inbound", "reprocess")
        self.assertIn("read again", out.stdout)
        self.assertEqual(self.mysql("SELECT inbound_message_id, type, effect, delivery_id FROM feedback_events ORDER BY "
                                    "inbound_message_id, id"), events)
        self.assertEqual(self.mysql(f"SELECT complaint_count, bounced_count FROM campaigns WHERE id = {cid}")[0],
                         ["2", "1"])

    def test_database_down_defers_and_nothing_is_lost(self):
        run_dir = env_required("TAYORI_RUN_DIR")
        cid, verp = self.sent_campaign("gamma", "gamma.platform.example", ["g0@dest.example"])
        self.start_inbound()
        hard = dsn(verp["g0@dest.example"], "g0@dest.example", "5.1.1", "550 5.1.1 user unknown")
        env = dict(os.environ, TAYORI_RUN_DIR=run_dir)
        subprocess.run([os.path.join(SRC, "scripts/services"), "stop", "mariadb"], check=True, env=env,
                       capture_output=True)
        try:
            deadline = time.time() + 30
            deferred = False
            while time.time() < deadline and not deferred:
                try:
                    self.send(verp["g0@dest.example"], hard)
                except smtplib.SMTPDataError as e:
                    deferred = e.smtp_code == 451
                    break
                time.sleep(0.5)
            self.assertTrue(deferred, "the listener answers 451 while the database is away")
        finally:
            subprocess.run([os.path.join(SRC, "scripts/services"), "start", "mariadb"], check=True, env=env,
                           capture_output=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                self.send(verp["g0@dest.example"], hard)
                break
            except smtplib.SMTPDataError:
                time.sleep(1)
        self.assertEqual(self.state_of("g0@dest.example"), "bounced")
        self.assertEqual(self.mysql("SELECT COUNT(*) FROM inbound_messages")[0][0], "1")

    def test_a_real_postfix_relay_that_bounces_after_accepting(self):
        # The relay answers 250 to everything, then fails gone.example and
        # sends its own RFC 3464 DSNs to the VERP return path, which it
        # delivers to `tayori inbound` (its transport for the bounce domain).
        self.start_inbound()
        relay_port = self.free_port()
        postfix_dir = os.path.join(self.dir, "postfix")
        os.chmod(self.dir, 0o755)  # Postfix's own daemons (user postfix) work under it
        subprocess.run([os.path.join(SRC, "tests/tools/postfix_relay.sh"), "start", postfix_dir, str(relay_port),
                        str(self.relay_.port), str(self.inbound_port), "bounce.platform.example", "gone.example"],
                       check=True)
        self.addCleanup(lambda: subprocess.run([os.path.join(SRC, "tests/tools/postfix_relay.sh"), "stop",
                                                postfix_dir]))

        class Via:
            port = relay_port
        with open(self.config) as f:
            inbound_section = f.read().split("[inbound]", 1)[1]
        self.write_config(Via())
        with open(self.config, "a") as f:
            f.write("[inbound]" + inbound_section)
        rcpts = [f"ok{i}@dest.example" for i in range(5)] + ["lost0@gone.example", "lost1@gone.example"]
        cid = self.shop("delta", "delta.platform.example", rcpts)
        # Another shop with one of the same addresses: its list is its own.
        self.shop("omega", "omega.platform.example", ["lost0@gone.example"])
        self.schedule(cid)
        p = self.start_engine("via-postfix", idle_exit=True)
        self.assertEqual(p.wait(60), 0, self.engine_log("via-postfix"))
        # The relay accepted every message; Postfix's DSNs may already have
        # come back and moved the two to 'bounced'.
        accepted = self.states(cid)
        self.assertIn(accepted, ({"sent": 7}, {"sent": 6, "bounced": 1}, {"sent": 5, "bounced": 2}),
                      "the relay accepted every message")
        def maillog():
            path = os.path.join(postfix_dir, "maillog")
            return open(path, errors="replace").read()[-4000:] if os.path.exists(path) else "(no maillog)"
        try:
            self.wait_for(lambda: self.state_of("lost0@gone.example") == "bounced" and
                          self.state_of("lost1@gone.example") == "bounced", 90, "Postfix's DSNs to reach tayori inbound")
        except AssertionError as e:
            raise AssertionError(f"{e}\n-- inbound log:\n{self.inbound_log()[-2000:]}\n-- Postfix maillog:\n{maillog()}")
        self.assertEqual(self.states(cid), {"sent": 5, "bounced": 2})
        self.assertEqual(self.suppressed("lost0@gone.example"), [["delta", "bounce"]])
        self.assertEqual(self.suppressed("lost1@gone.example"), [["delta", "bounce"]])
        events = self.mysql("SELECT matched_by, status, category, effect FROM feedback_events ORDER BY id")
        self.assertEqual(events, [["verp", "5.1.1", "unknown_user", "bounce_and_suppress"]] * 2)
        self.assertEqual(sorted(m["rcpt"] for m in self.relay_.accepted()), sorted(rcpts[:5]))
        # The next campaign of the same shop skips them.
        out = self.tayori("campaign", "create", "--tenant", "delta", "--list", "news", "--from",
                          "news@delta.platform.example", "--subject", "Again", "--text",
                          os.path.join(SRC, "tests/daemon/body.txt"))
        second = int(out.stdout.split()[1])
        self.schedule(second)
        p = self.start_engine("via-postfix-2", idle_exit=True)
        self.assertEqual(p.wait(60), 0, self.engine_log("via-postfix-2"))
        self.assertEqual(self.states(second), {"sent": 5, "suppressed": 2})

    def test_a_shop_over_the_complaint_limit_stops_sending(self):
        with open(self.config, "a") as f:
            f.write("[feedback]\nmax_complaint_rate = 0.1\nmin_volume = 5\n")
        cid, verp = self.sent_campaign("sigma", "sigma.platform.example", [f"s{i}@dest.example" for i in range(10)])
        later = int(self.tayori("campaign", "create", "--tenant", "sigma", "--list", "news", "--from",
                                "news@sigma.platform.example", "--subject", "Later", "--text",
                                os.path.join(SRC, "tests/daemon/body.txt"), "--at", "2099-01-01 00:00:00")
                    .stdout.split()[1])
        self.assertEqual(self.campaign_state(later)[0], "scheduled")
        self.start_inbound()
        # One complaint in 10 is exactly the limit: still sending.
        self.send(verp["s0@dest.example"], arf(verp["s0@dest.example"], "s0@dest.example", "<x@y>",
                                               verp=verp["s0@dest.example"]))
        time.sleep(1)
        self.assertEqual(self.campaign_state(later)[0], "scheduled")
        # The second makes 20%: the shop's scheduled and sending campaigns pause, with the reason.
        self.send(verp["s1@dest.example"], arf(verp["s1@dest.example"], "s1@dest.example", "<x@y>",
                                               verp=verp["s1@dest.example"]))
        self.wait_for(lambda: self.campaign_state(later)[0] == "paused", 20, "the guard to pause the shop")
        reason = self.campaign_state(later)[1]
        self.assertIn("complaint rate 20.00%", reason)
        self.assertIn("feedback.max_complaint_rate", reason)
        self.assertIn("ALERT shop over a feedback limit", self.inbound_log())

    def test_the_engine_can_run_the_listener_too(self):
        cid, verp = self.sent_campaign("kappa", "kappa.platform.example", ["k0@dest.example", "k1@dest.example"])
        http_port, inbound_port = self.free_port(), self.free_port()
        self.write_config(self.relay_, admin_port=http_port, extra=f"""
[inbound]
port = {inbound_port}
bounce_domains = ["bounce.platform.example"]
start_in_run = true
retain_days = 30
""")
        # Raw messages past retain_days are emptied by the engine too: 10,001
        # of 40 days ago (more than one pass of 10,000) and one of 10 days ago.
        self.mysql("INSERT INTO inbound_messages (sha256, received_at, rcpt_to, size_bytes, raw_deflate, disposition) "
                   "SELECT UNHEX(SHA2(seq, 256)), UTC_TIMESTAMP(6) - INTERVAL 40 DAY, '', 1, 'old', 'ignored' "
                   "FROM seq_1_to_10001")
        self.mysql("INSERT INTO inbound_messages (sha256, received_at, rcpt_to, size_bytes, raw_deflate, disposition) "
                   "VALUES (UNHEX(SHA2('recent', 256)), UTC_TIMESTAMP(6) - INTERVAL 10 DAY, '', 1, 'recent', 'ignored')")
        p = self.start_engine("with-inbound")
        self.wait_for(lambda: f"127.0.0.1:{inbound_port}" in self.engine_log("with-inbound"), 20, "the listener")
        # A full pass of 10,000, then the last one a second later (its line is
        # logged once its statement has committed).
        self.wait_for(lambda: "raw messages older than inbound.retain_days emptied messages=1 "
                      in self.engine_log("with-inbound"), 30, "the raw messages older than retain_days to be emptied")
        self.assertIn("raw messages older than inbound.retain_days emptied messages=10000",
                      self.engine_log("with-inbound"))
        self.assertEqual(self.mysql("SELECT raw_deflate FROM inbound_messages WHERE raw_deflate <> ''"), [["recent"]])
        self.inbound_port = inbound_port
        self.send(verp["k0@dest.example"], dsn(verp["k0@dest.example"], "k0@dest.example", "5.1.1", "550 5.1.1 gone"))
        self.assertEqual(self.state_of("k0@dest.example"), "bounced")
        metrics = self.http_get(http_port, "/metrics")[1]
        self.assertIn('tayori_inbound_messages_total{result="recorded"} 1', metrics)
        self.assertIn('tayori_feedback_total{type="bounce",class="hard"} 1', metrics)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0, self.engine_log("with-inbound"))


if __name__ == "__main__":
    TAYORI = sys.argv.pop(1)
    import engine_harness
    engine_harness.TAYORI = TAYORI
    unittest.main(verbosity=2)
