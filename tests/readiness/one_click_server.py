#!/usr/bin/python3
"""A tiny HTTPS server standing in for Tayori's unsubscribe endpoint in the
readiness probe tests. POST /u/<token>:
  token "redirect"  301 to https://elsewhere.invalid/u/x (must not be followed)
  token "missing"   404
  anything else     200 when the body is exactly List-Unsubscribe=One-Click
                    and the type application/x-www-form-urlencoded, else 400
GET answers 405. Options: --cert CERT --key KEY (omit both for plain HTTP).
Prints "READY <port>" when listening; stops on SIGTERM.
"""
import argparse, http.server, signal, ssl, sys


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(405, b"use POST\n", [("Allow", "POST")])

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        token = self.path.rsplit("/", 1)[-1]
        if not self.path.startswith("/u/"):
            return self.reply(404, b"not found\n")
        if token == "redirect":
            return self.reply(301, b"", [("Location", "https://elsewhere.invalid/u/x")])
        if token == "missing":
            return self.reply(404, b"no such link\n")
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self.reply(400, b"bad content type\n")
        if body != b"List-Unsubscribe=One-Click":
            return self.reply(400, b"bad body\n")
        if self.headers.get("Cookie"):
            return self.reply(400, b"cookies are not sent by mailbox providers\n")
        self.reply(200, b"unsubscribed\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
