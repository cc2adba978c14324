#!/usr/bin/python3
"""Integration: the inbound listener (tests/inbound/harness.cpp, the real
Server on a real loop, deliveries committed on a worker thread) driven by
Python's smtplib — SMTP and LMTP — and by raw sockets where a test needs a
client smtplib will not be (slow, silent, oversized without SIZE=).

  1. SMTP: a bounce with the null sender is taken; a recipient that is not
     ours is refused 550 5.1.1 at RCPT; VRFY says 252.
  2. Ten concurrent clients, 20 messages each: every message is delivered
     exactly once.
  3. The deliver function answers 451 (database down): the client sees 451,
     its retry gets 250.
  4. max_connections: the connection over the limit gets 421 4.3.2
     (smtplib's SMTPConnectError); a slot freed is usable again.
  5. A 50 MB message: declared with SIZE= (smtplib) it is refused at MAIL
     with 552; sent without SIZE= to a listener with a 1 MB limit it is
     read to its end and refused 552 5.3.4, and the server's peak memory
     (VmHWM) grows by less than 10 MB.
  6. LMTP (smtplib.LMTP): three recipients, one answered 550, one reply each
     after DATA, in order.
  7. Slow clients: one that sends nothing is closed at the command timeout,
     one that trickles a command is closed at the command timeout too, one
     that sends a NOOP every half second is closed at the session deadline —
     each with a 421 first.
  8. SIGTERM drains the listener and the process exits 0.

Behaviour, not speed: the only time bounds are generous margins on the
timeouts (a slow client would otherwise hang forever).

usage: smtplib_test.py /path/to/inbound_harness
"""
import os
import socket
import smtplib
import subprocess
import sys
import threading
import time
import email.policy
from email.message import EmailMessage

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, failures  # noqa: E402

HARNESS = sys.argv[1]
MARGIN_S = 8


class Harness:
    """One inbound_harness process; collects its DELIVERED lines."""

    def __init__(self, *flags):
        self.proc = subprocess.Popen([HARNESS, *flags], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "READY", f"harness did not start: {line}"
        self.port = int(line[1])
        self.delivered = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split()
            if parts and parts[0] == "DELIVERED":
                with self.lock:
                    self.delivered.append((parts[1], int(parts[2]), int(parts[3])))

    def ids(self):
        with self.lock:
            return [d[0] for d in self.delivered]

    def wait_for(self, n, timeout=10):
        end = time.time() + timeout
        while time.time() < end and len(self.ids()) < n:
            time.sleep(0.02)
        return len(self.ids())

    def memory_kb(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.send_signal(15)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed after 10 s"
        check(rc == 0, f"harness exits 0 after SIGTERM (got {rc})")


def verp(delivery_id):
    return f"bounces+{delivery_id}.abcdefghij@bounce.test"


def bounce(n, to):
    m = EmailMessage()
    m["From"] = "MAILER-DAEMON@mx.example"
    m["To"] = to
    m["Subject"] = "Undelivered Mail Returned to Sender"
    m["Message-ID"] = f"<bounce-{n}@mx.example>"
    m.set_content(f"This is bounce number {n}.\n.leading dot\n\u3042 UTF-8 text\n")
    return m


def wire(m):
    """The message with CRLF line ends, as an MTA sends it (smtplib sends bytes as given)."""
    return m.as_bytes(policy=email.policy.SMTP)


class Raw:
    """A raw client: reads reply lines, sends exact bytes."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline().decode().rstrip("\r\n")

    def reply(self):
        while True:
            l = self.line()
            if len(l) < 4 or l[3] != "-":
                return l

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def closed_within(self, seconds):
        """Reads until EOF; True when it came within `seconds`. Returns (eof, lines)."""
        self.s.settimeout(seconds)
        lines = []
        try:
            while True:
                l = self.f.readline()
                if not l:
                    return True, lines
                lines.append(l.decode().rstrip("\r\n"))
        except (socket.timeout, ConnectionResetError):
            return False, lines

    def close(self):
        self.s.close()


def test_smtp_basics(h):
    with smtplib.SMTP("127.0.0.1", h.port, timeout=30) as s:
        code, _ = s.ehlo("mx.example")
        check(code == 250, "EHLO 250")
        for ext in ("pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes"):
            check(s.has_extn(ext), f"EHLO advertises {ext}")
        check(not s.has_extn("auth") and not s.has_extn("starttls"), "no AUTH, no STARTTLS")
        refused = s.sendmail("", [verp(1)], wire(bounce(1, verp(1))))
        check(refused == {}, "a bounce to a VERP address is taken")
        try:
            s.sendmail("", ["someone@elsewhere.example"], wire(bounce(2, "x")))
            check(False, "a recipient that is not ours is refused")
        except smtplib.SMTPRecipientsRefused as e:
            code, msg = e.recipients["someone@elsewhere.example"]
            check(code == 550 and msg.startswith(b"5.1.1"), f"550 5.1.1 for a foreign recipient (got {code} {msg})")
        code, _ = s.verify("postmaster")
        check(code == 252, f"VRFY 252 (got {code})")
    check(h.wait_for(1) >= 1 and "<bounce-1@mx.example>" in h.ids(), "the bounce was delivered")
    with h.lock:
        sizes = [d[1] for d in h.delivered if d[0] == "<bounce-1@mx.example>"]
    sent = len(wire(bounce(1, verp(1))))
    check(sizes == [sent], f"the message arrived byte for byte, its dot line unstuffed ({sizes} vs {sent})")


def test_concurrent(h):
    before = len(h.ids())
    errors = []

    def client(c):
        try:
            with smtplib.SMTP("127.0.0.1", h.port, timeout=60) as s:
                for i in range(20):
                    n = 1000 + c * 100 + i
                    s.sendmail("", [verp(n)], wire(bounce(n, verp(n))))
        except Exception as e:  # noqa: BLE001 — any failure is the test's
            errors.append(f"client {c}: {e!r}")

    threads = [threading.Thread(target=client, args=(c,)) for c in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, f"10 concurrent clients succeed: {errors}")
    h.wait_for(before + 200)
    wanted = {f"<bounce-{1000 + c * 100 + i}@mx.example>" for c in range(10) for i in range(20)}
    got = [i for i in h.ids() if i in wanted]
    check(len(got) == 200 and set(got) == wanted, f"200 messages delivered exactly once (got {len(got)})")


def test_retry_after_451(h):
    with smtplib.SMTP("127.0.0.1", h.port, timeout=30) as s:
        msg = wire(bounce(451, verp(451001)))
        try:
            s.sendmail("", [verp(451001)], msg)
            check(False, "the first attempt gets 451")
        except smtplib.SMTPDataError as e:
            check(e.smtp_code == 451, f"451 when the database is down (got {e.smtp_code})")
        s.rset()
        check(s.sendmail("", [verp(451001)], msg) == {}, "the retry gets 250")
    end = time.time() + 10
    while time.time() < end and "<bounce-451@mx.example>" not in h.ids():
        time.sleep(0.02)
    check(h.ids().count("<bounce-451@mx.example>") == 1, "the message is delivered once, by the retry")


def test_max_connections(h, limit):
    time.sleep(0.3)  # the earlier tests' connections are closed by now
    held = [Raw(h.port) for _ in range(limit)]
    for r in held:
        check(r.line().startswith("220 "), "a connection within the limit is greeted")
    try:
        smtplib.SMTP("127.0.0.1", h.port, timeout=30)
        check(False, "the connection over the limit is refused")
    except smtplib.SMTPConnectError as e:
        check(e.smtp_code == 421 and e.smtp_error.startswith(b"4.3.2"), f"421 4.3.2 over the limit (got {e})")
    held[0].send("QUIT\r\n")
    check(held[0].reply().startswith("221"), "QUIT 221")
    eof, _ = held[0].closed_within(5)
    check(eof, "the server closes after QUIT")
    time.sleep(0.2)
    with smtplib.SMTP("127.0.0.1", h.port, timeout=30) as s:
        check(s.noop()[0] == 250, "a freed slot takes a new client")
    for r in held[1:]:
        r.close()


def test_big_message(h, small):
    """`h` has the default 10 MiB limit; `small` a 1 MiB one, which makes the
    memory bound sharp (and leaves room for a sanitizer's quarantine)."""
    # smtplib declares SIZE= since the server offers SIZE: refused at MAIL.
    big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (50 * 1024 * 1024 // 1000)
    with smtplib.SMTP("127.0.0.1", h.port, timeout=60) as s:
        try:
            s.sendmail("", [verp(7)], big)
            check(False, "a 50 MB message is refused")
        except smtplib.SMTPSenderRefused as e:
            check(e.smtp_code == 552, f"552 at MAIL for SIZE={len(big)} (got {e.smtp_code})")
    # Without SIZE=: read to its end, dropped, refused; memory stays bounded.
    hwm_before = small.memory_kb("VmHWM")
    r = Raw(small.port)
    r.line()
    r.send(f"EHLO raw\r\nMAIL FROM:<>\r\nRCPT TO:<{verp(8)}>\r\nDATA\r\n")
    replies = [r.reply() for _ in range(4)]
    check(replies[-1].startswith("354"), f"DATA 354 (got {replies})")
    chunk = (b"y" * 998 + b"\r\n") * 1024  # 1 MB
    for _ in range(50):
        r.send(chunk)
    r.send(b".\r\n")
    reply = r.reply()
    check(reply.startswith("552 5.3.4 message too large"), f"552 5.3.4 after a 50 MB message (got {reply})")
    r.send("NOOP\r\n")
    check(r.reply() == "250 2.0.0 Ok", "the connection is still usable after the refusal")
    r.close()
    grew_mb = (small.memory_kb("VmHWM") - hwm_before) / 1024
    check(grew_mb < 10, f"peak memory grew by {grew_mb:.1f} MB for a 50 MB message (limit 1 MB)")
    print(f"50 MB message, 1 MB limit: the server's peak memory grew by {grew_mb:.1f} MB", flush=True)


def test_lmtp(h):
    with smtplib.LMTP("127.0.0.1", h.port) as s:
        code, _ = s.ehlo("relay.example")  # smtplib sends LHLO for LMTP
        check(code == 250, "LHLO 250")
        rcpts = [verp(21), verp(550021), verp(22)]
        check(s.mail("")[0] == 250, "MAIL 250")
        for r in rcpts:
            check(s.rcpt(r)[0] == 250, f"RCPT {r} 250")
        # smtplib.LMTP reads one reply after DATA; the others follow in order.
        first = s.data(wire(bounce(3, rcpts[0])))
        second = s.getreply()
        third = s.getreply()
        codes = [first[0], second[0], third[0]]
        check(codes == [250, 550, 250], f"one reply per recipient after DATA: 250, 550, 250 (got {codes})")
        check(second[1].startswith(b"5.1.1"), f"the 550 carries the caller's text (got {second[1]})")
        check(s.noop()[0] == 250, "the session goes on in step")


def test_slow_clients(h, command_timeout_s, deadline_s):
    silent = Raw(h.port)
    check(silent.line().startswith("220"), "greeting")
    trickle = Raw(h.port)
    trickle.line()
    busy = Raw(h.port)
    busy.line()
    start = time.time()
    stop = threading.Event()

    def trickle_bytes():
        for ch in "NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP\r\n":
            if stop.is_set():
                return
            try:
                trickle.send(ch)
            except OSError:
                return
            time.sleep(command_timeout_s / 4)

    busy_replies = []

    def busy_noops():
        while not stop.is_set():
            try:
                busy.send("NOOP\r\n")
                l = busy.reply()
            except OSError:
                return
            busy_replies.append(l)
            if not l.startswith("250"):
                return
            time.sleep(command_timeout_s / 4)

    t1 = threading.Thread(target=trickle_bytes)
    t2 = threading.Thread(target=busy_noops)
    t1.start()
    t2.start()
    eof, lines = silent.closed_within(command_timeout_s + MARGIN_S)
    check(eof and lines and lines[-1].startswith("421 4.4.2"), f"a silent client gets 421 and is closed ({lines})")
    check(time.time() - start < command_timeout_s + MARGIN_S, "... at the command timeout")
    eof, lines = trickle.closed_within(command_timeout_s + MARGIN_S)
    check(eof and lines and lines[-1].startswith("421 4.4.2"),
          f"a client trickling one command gets 421 and is closed ({lines})")
    t2.join(deadline_s + MARGIN_S)
    check(busy_replies and busy_replies[-1].startswith("421 4.4.2") and "deadline" in busy_replies[-1],
          f"a client sending NOOPs in time is closed at the session deadline ({busy_replies[-3:]})")
    check(time.time() - start >= deadline_s - 0.5, "... not before it")
    stop.set()
    t1.join()
    for r in (silent, trickle, busy):
        r.close()


def main():
    limit = 10 * 1024 * 1024
    smtp = Harness("--max-connections", "12", "--max-bytes", str(limit))
    lmtp = Harness("--lmtp")
    slow = Harness("--command-timeout-ms", "2000", "--deadline-ms", "6000")
    small = Harness("--max-bytes", str(1024 * 1024))
    try:
        test_smtp_basics(smtp)
        test_concurrent(smtp)
        test_retry_after_451(smtp)
        test_max_connections(smtp, 12)
        test_big_message(smtp, small)
        test_lmtp(lmtp)
        test_slow_clients(slow, 2.0, 6.0)
    finally:
        for h in (smtp, lmtp, slow, small):
            h.stop()
    if failures:
        print(f"smtplib_test: {len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("smtplib_test: ok")


if __name__ == "__main__":
    main()
