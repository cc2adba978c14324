#!/usr/bin/python3
"""The client side of `scripts/bench inbound`: sends one RFC 3464 DSN (5.1.1)
for each delivery id in FIRST..LAST to `tayori inbound` on PORT, to the VERP
address the engine would have used (HMAC-SHA256 of the id under KEY, base32,
as engine/smtp/return_path.cpp), over CONNECTIONS parallel SMTP sessions.
Every send waits for its 250 (the listener answers after the commit).
Prints: messages, seconds, messages/s.

    bench_inbound_client.py PORT KEY FIRST LAST CONNECTIONS
"""
import base64
import hashlib
import hmac
import smtplib
import sys
import threading
import time


def verp(key, delivery_id):
    mac = base64.b32encode(hmac.new(key, str(delivery_id).encode(), hashlib.sha256).digest()).decode().lower()[:10]
    return f"bounces+{delivery_id}.{mac}@bounce.platform.example"


def dsn(to, rcpt):
    b = "=_b"
    return (f"From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"{b}\"\r\n\r\n"
            f"--{b}\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n\r\n"
            f"--{b}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
            f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--{b}--\r\n").encode()


def main():
    port, key, first, last, conns = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), int(sys.argv[4]), \
        int(sys.argv[5])
    ids = list(range(first, last + 1))
    messages = [(verp(key, i), dsn(verp(key, i), f"reader{i}@dest.example")) for i in ids]
    errors = []

    def worker(part):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
                for to, data in part:
                    s.sendmail("", [to], data)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    parts = [messages[k::conns] for k in range(conns)]
    threads = [threading.Thread(target=worker, args=(p,)) for p in parts]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.time() - t0
    if errors:
        print("errors:", errors[:3], file=sys.stderr)
        sys.exit(1)
    print(f"{len(messages)} {secs:.2f} {len(messages) / secs:.0f}")


if __name__ == "__main__":
    main()
