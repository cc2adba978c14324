#!/usr/bin/python3
"""Verifies the DKIM signatures of a message file with dkimpy, looking keys up
in a private DNS server (dnspython pointed at 127.0.0.1:PORT).

  dkimpy_verify.py --port PORT MESSAGE_FILE

Exit 0 when dkimpy verifies the message, 1 when it does not (the reason is on
stdout), 2 when dkimpy or dnspython is missing (run with /usr/bin/python3)."""

import argparse
import sys

try:
    import dkim
    import dns.resolver
except ImportError as e:
    print("dkimpy/dnspython missing (%s); use /usr/bin/python3 with python3-dkim" % e)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("message")
    args = ap.parse_args()
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = args.port
    r.lifetime = 3

    def dnsfunc(name, timeout=5):
        try:
            ans = r.resolve(name.decode(), "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        return b"".join(ans[0].strings)

    msg = open(args.message, "rb").read()
    try:
        ok = dkim.DKIM(msg).verify(dnsfunc=dnsfunc)
        why = "" if ok else "signature does not verify"
    except dkim.DKIMException as e:
        ok, why = False, str(e)
    print("pass" if ok else "fail: " + why, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
