"""Scaffolding shared by the Python integration tests that drive the tayori
binary against the private services of scripts/services: collected checks
(every failure is printed and the test exits 1 at the end, never at the
first), required environment (a missing service is a failure, never a
skip), and the MariaDB client as root over the private socket.

Each test adds this directory to sys.path and imports it:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from clitest import check, env, finish, Mariadb
"""
import base64
import hashlib
import hmac
import os
import subprocess
import sys

failures = []


def check(cond, what):
    """Records a failed expectation and goes on, so one run shows them all."""
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr, flush=True)
    return bool(cond)


def env(name):
    """A variable scripts/services exports; without it the test fails."""
    v = os.environ.get(name)
    if not v:
        sys.exit(f"FAIL: {name} is not set: start the private services (scripts/services) first")
    return v


def finish(name):
    """Exits 1 when any check failed, else prints that `name` passed."""
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: all passed")


class Mariadb:
    """The private MariaDB as root over its socket; `db` is the test's own
    database (created by the tayori commands under test, dropped by drop())."""

    def __init__(self, db):
        self.socket = env("TAYORI_TEST_MYSQL_SOCKET")
        self.db = db

    def sql(self, query, db=None, raw=False):
        """Tab-separated rows without column names; db="" runs outside any
        database; raw=True leaves backslashes and tabs in values unescaped."""
        db = self.db if db is None else db
        args = ["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-N", "-B"]
        if raw:
            args.append("-r")
        out = subprocess.run(args + ["-e", query] + ([db] if db else []), check=True, capture_output=True, text=True)
        return out.stdout

    def drop(self):
        subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-e",
                        f"DROP DATABASE IF EXISTS {self.db}"])


def unsubscribe_token(secret, key_id, tenant, lst, subscriber, campaign, scope=1):
    """The token format of engine/unsubscribe/token.h, written independently
    of it (so a test checks the engine against the format, not against
    itself): version 1, scope, varint ids, an HMAC-SHA256 cut to 16 bytes
    over "tayori-unsubscribe\\0KEYID\\0" + body, base64url without padding."""
    def varint(n):
        out = bytearray()
        while True:
            b, n = n & 0x7F, n >> 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)
    body = bytes([1, scope]) + varint(tenant) + varint(lst) + varint(subscriber) + varint(campaign)
    mac = hmac.new(secret, b"tayori-unsubscribe\0" + key_id.encode() + b"\0" + body, hashlib.sha256).digest()[:16]
    return key_id + "." + base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode()
