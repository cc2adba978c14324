#!/usr/bin/python3
"""The demo's feedback: a few bounces and one complaint come back.

Reads the messages the demo's relay stored (smtp-sink writes each message's
envelope as X-Mail-Args / X-Rcpt-Args headers), and sends to `tayori inbound`
on PORT: an RFC 3464 DSN (5.1.1, user unknown) to the VERP return path of
BOUNCES messages, and one RFC 5965 abuse report for another message, sent to
the feedback-loop address as a mailbox provider would.

    demo_feedback.py MAIL_DIR PORT BOUNCES COMPLAINT_ADDRESS
"""
import email
import os
import smtplib
import sys


def envelope(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f)
    return msg["X-Mail-Args"].strip("<>"), msg["X-Rcpt-Args"].strip("<>"), msg["Message-ID"]


def main():
    mail_dir, port, bounces, complaint_to = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    files = sorted(os.path.join(mail_dir, f) for f in os.listdir(mail_dir))
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        for path in files[:bounces]:
            verp, rcpt, _ = envelope(path)
            b = "=_dsn"
            dsn = (f"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nTo: {verp}\r\n"
                   f"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-replied\r\n"
                   f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{b}\"\r\n\r\n"
                   f"--{b}\r\nContent-Type: text/plain\r\n\r\nYour message to {rcpt} could not be delivered.\r\n\r\n"
                   f"--{b}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
                   f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                   f"Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\r\n\r\n"
                   f"--{b}--\r\n")
            s.sendmail("", [verp], dsn.encode())
            print(f"   bounce   5.1.1 user unknown        -> {rcpt}")
        verp, rcpt, message_id = envelope(files[bounces])
        b = "=_arf"
        arf = (f"From: feedback@isp.example\r\nTo: {complaint_to}\r\nSubject: complaint about a newsletter\r\n"
               f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"{b}\"\r\n\r\n"
               f"--{b}\r\nContent-Type: text/plain\r\n\r\nA reader marked this message as spam.\r\n\r\n"
               f"--{b}\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: ISP-FBL/1.0\r\n"
               f"Version: 1\r\nOriginal-Rcpt-To: {rcpt}\r\n\r\n"
               f"--{b}\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\nTo: {rcpt}\r\n"
               f"Subject: newsletter\r\n\r\n--{b}--\r\n")
        s.sendmail("feedback@isp.example", [complaint_to], arf.encode())
        print(f"   complaint (ARF, Feedback-Type: abuse) -> {rcpt}")


if __name__ == "__main__":
    main()
