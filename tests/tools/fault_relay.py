#!/usr/bin/python3
"""A scriptable SMTP relay for fault-injection tests, built on aiosmtpd.

The recipient's local part chooses what happens to a message:
  ok...      250 2.0.0 queued as <id>
  thr...     RCPT answered 421 4.7.28 (receiver throttling) -- then the connection closes
  flakyN-... like thr for the first N attempts of this address, then accepted
  rate...    RCPT answered 450 4.2.1
  tmp...     RCPT answered 451 4.3.0
  bounce...  RCPT answered 550 5.1.1 (no such user)
  latin...   RCPT answered 550 5.1.1 with Latin-1 text (not valid UTF-8)
  long...    RCPT answered 550 5.1.1 with ~600 bytes of Japanese text
  huge...    RCPT answered 550 5.1.1 with 60 continuation lines of 1,500 bytes each
  auth...    end of DATA answered 550 5.7.26 (unauthenticated)
  dtmp...    end of DATA answered 451 4.3.0
  policy...  end of DATA answered 554 5.7.1
  dlatin...  end of DATA answered 250 with Latin-1 text (accepted, logged)
  dlong...   end of DATA answered 250 with ~600 bytes of Japanese over two lines (accepted, logged)
  garbage... end of DATA answered with a line that is not an SMTP reply, then closed (maybe accepted: logged)
  drop...    the connection is dropped after the final dot, with no reply
  stall...   no reply after the final dot until the client gives up
  rstall...  RCPT is never answered (the transaction hangs before DATA)
  cutdata... the connection is dropped when the DATA command arrives, before 354 (nothing accepted)
Anything else is accepted.

Options: --data-delay-ms N (wait N ms before answering the final dot), --port N (0: pick), --max-per-connection N (close the connection
right after the Nth accepted message, like relays with a per-connection cap),
--tls CERT KEY (offer STARTTLS), --auth USER:PASSWORD (require AUTH), --log FILE (one JSON line per accepted
message: rcpt, mail_from, size, data sha256, the DKIM s= selector, ts at the final dot, start at MAIL).
--mode-file FILE: while FILE holds "garbage" or "latin", every message is
answered that way whatever its recipient (chaos runs switch it on and off). Prints "READY <port>" when
listening. Stops on SIGTERM.
"""
import argparse, asyncio, hashlib, itertools, json, re, signal, ssl, sys, time

from aiosmtpd.smtp import SMTP


class FaultSMTP(SMTP):
    """aiosmtpd's server with one fault no handler hook can make: the
    connection dropped on the DATA command itself, before 354."""

    async def smtp_DATA(self, arg):
        if any(r.split("@", 1)[0].lower().startswith("cutdata") for r in self.envelope.rcpt_tos):
            self.transport.abort()
            return
        await super().smtp_DATA(arg)

ids = itertools.count(1)


class Handler:
    def __init__(self, args):
        self.args = args
        self.attempts = {}  # flakyN- addresses: RCPTs seen
        self.log = open(args.log, "a", buffering=1) if args.log else None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # When the transaction began: the log's "start" (concurrency per destination).
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.started = time.time()
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        flaky = re.match(r"flaky(\d+)-", local)
        if flaky:
            seen = self.attempts[address] = self.attempts.get(address, 0) + 1
            if seen <= int(flaky.group(1)):
                local = "thr"
        if local.startswith("thr"):
            server.transport.write(b"421 4.7.28 Our system has detected an unusual rate of mail, try later\r\n")
            server.transport.close()
            return "421 4.7.28 closing"
        if local.startswith("rate"):
            return "450 4.2.1 The user you are trying to contact is receiving mail too quickly"
        if local.startswith("tmp"):
            return "451 4.3.0 Temporary local problem, try later"
        if local.startswith("bounce"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("rstall"):
            await asyncio.sleep(3600)
        if local.startswith("latin"):
            return b"550 5.1.1 <" + address.encode() + b">: utilisateur inconnu, d\xe9sol\xe9"
        if local.startswith("huge"):
            return b"\r\n".join([b"550-5.1.1 " + b"x" * 1500] * 60 + [b"550 5.1.1 no such user (end of a huge reply)"])
        if local.startswith("long"):
            return ("550 5.1.1 " + "\u5b9b\u5148\u30a2\u30c9\u30ec\u30b9\u4e0d\u660e" * 25).encode()
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    def mode(self):
        if not self.args.mode_file:
            return ""
        try:
            with open(self.args.mode_file) as f:
                return f.read().strip()
        except OSError:
            return ""

    def record(self, envelope):
        n = next(ids)
        data = envelope.original_content or b""
        selector = ""
        m = re.search(rb"DKIM-Signature:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*", data)
        if m:
            s = re.search(rb"[; \t]s=([A-Za-z0-9-]+)", m.group(0))
            selector = s.group(1).decode() if s else ""
        if self.log:
            self.log.write(json.dumps({"rcpt": envelope.rcpt_tos[0], "mail_from": envelope.mail_from,
                                       "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                                       "id": "FR%d" % n, "ts": time.time(), "s": selector,
                                       "start": getattr(envelope, "started", 0)}) + "\n")
        return n

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_delay_ms:  # a relay slow to answer the final dot (other sessions go on)
            await asyncio.sleep(self.args.data_delay_ms / 1000)
        local = envelope.rcpt_tos[0].split("@", 1)[0].lower()
        mode = self.mode()
        if mode == "latin" or local.startswith("dlatin"):
            n = self.record(envelope)
            return b"250 2.0.0 Ok: queued as FR%d, merci beaucoup, d\xe9j\xe0 re\xe7u" % n
        if local.startswith("dlong"):
            n = self.record(envelope)
            text = "\u53d7\u4ed8\u5b8c\u4e86\u3057\u307e\u3057\u305f" * 22
            return ("250-2.0.0 " + text + "\r\n250 2.0.0 Ok: queued as FR%d " % n + text).encode()
        if mode == "garbage" or local.startswith("garbage"):
            self.record(envelope)
            server.transport.write(b"\xff\xfeHELLO? this is not SMTP\r\n")
            server.transport.close()
            return "250 never sent"
        if local.startswith("auth"):
            return "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender"
        if local.startswith("dtmp"):
            return "451 4.3.0 Error: queue file write error"
        if local.startswith("policy"):
            return "554 5.7.1 Message content rejected"
        if local.startswith("drop"):
            server.transport.abort()
            return "250 never sent"
        if local.startswith("stall"):
            await asyncio.sleep(3600)
        n = self.record(envelope)
        session.accepted = getattr(session, "accepted", 0) + 1
        if self.args.max_per_connection and session.accepted >= self.args.max_per_connection:
            # Reply, then close: the next MAIL on this connection finds it gone.
            server.transport.write(b"250 2.0.0 Ok: queued as FR%d\r\n" % n)
            server.transport.close()
        return "250 2.0.0 Ok: queued as FR%d" % n


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--max-per-connection", type=int, default=0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--log")
    p.add_argument("--mode-file")
    p.add_argument("--data-delay-ms", type=int, default=0)
    p.add_argument("--auth", help="USER:PASSWORD: require SMTP AUTH (PLAIN/LOGIN) with these credentials")
    args = p.parse_args()
    handler = Handler(args)
    tls_context = None
    if args.tls:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls[0], args.tls[1])
    loop = asyncio.get_running_loop()

    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            from aiosmtpd.smtp import AuthResult, LoginPassword
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok)

    def factory():
        return FaultSMTP(handler, hostname="fault-relay.test", tls_context=tls_context,
                    require_starttls=bool(tls_context), data_size_limit=50 * 1024 * 1024,
                    enable_SMTPUTF8=True, ident="fault-relay", authenticator=authenticator,
                    auth_required=bool(args.auth), auth_require_tls=False)

    server = await loop.create_server(factory, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
