#!/usr/bin/python3
"""A tiny HTTP server that records every request it gets, for provider tests.

  http_capture.py --out FILE [--statuses 503,200] [--body-file F] [--error-body TEXT]
                  [--sigv4-secret S]

Listens on 127.0.0.1 on a free port and prints "READY <port>". Each request
is appended to FILE as one JSON object: method, path, headers, body, and with
--sigv4-secret a "sigv4" object saying whether the AWS4-HMAC-SHA256
Authorization header's signature is correct (recomputed here with hmac and
hashlib from the request as received). Responses follow --statuses in order
(the last one repeats); 2xx answers carry --body-file's content, others
--error-body."""

import argparse
import hashlib
import hmac
import http.server
import json
import sys
import urllib.parse


def sigv4_check(method, raw_path, headers, body, secret):
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return {"valid": False, "why": "no AWS4-HMAC-SHA256 Authorization header"}
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    credential = fields["Credential"].split("/")  # key/date/region/service/aws4_request
    signed = fields["SignedHeaders"].split(";")
    amz_date = headers.get("x-amz-date", "")
    path, _, query = raw_path.partition("?")
    canonical_query = "&".join(sorted(query.split("&"))) if query else ""
    canonical_uri = urllib.parse.quote(path, safe="/-_.~")
    canonical_headers = "".join("%s:%s\n" % (h, " ".join(headers.get(h, "").split())) for h in signed)
    canonical_request = "\n".join([method, canonical_uri, canonical_query, canonical_headers, ";".join(signed),
                                   hashlib.sha256(body).hexdigest()])
    scope = "/".join(credential[1:])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in credential[1:]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"valid": hmac.compare_digest(expected, fields["Signature"]), "expected": expected,
            "got": fields["Signature"], "access_key": credential[0], "date": credential[1],
            "region": credential[2], "service": credential[3], "signed_headers": signed}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--statuses", default="200")
    ap.add_argument("--body-file")
    ap.add_argument("--error-body", default="error")
    ap.add_argument("--sigv4-secret")
    args = ap.parse_args()
    statuses = [int(s) for s in args.statuses.split(",")]
    ok_body = open(args.body_file, "rb").read() if args.body_file else b"ok"
    count = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_any(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            rec = {"method": self.command, "path": self.path, "headers": headers,
                   "body": body.decode("utf-8", "replace")}
            if args.sigv4_secret:
                try:
                    rec["sigv4"] = sigv4_check(self.command, self.path, headers, body, args.sigv4_secret)
                except Exception as e:  # malformed header: record why
                    rec["sigv4"] = {"valid": False, "why": repr(e)}
            with open(args.out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            status = statuses[min(count[0], len(statuses) - 1)]
            count[0] += 1
            out = ok_body if 200 <= status < 300 else args.error_body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_any

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print("READY %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
