#!/usr/bin/python3
"""Integration: `tayori suppress add|remove|list|import` and `tayori
serve-unsubscribe` through the real binary, against the private MariaDB of
scripts/services (root over its socket). A missing service fails the test.

usage: suppress_cli_test.py /path/to/tayori
"""
import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, env, Mariadb, failures, unsubscribe_token  # noqa: E402

TAYORI = sys.argv[1]


SOCKET = env("TAYORI_TEST_MYSQL_SOCKET")
DB = f"t_suppress_cli_{os.getpid()}"
MARIADB = Mariadb(DB)


def sql(query, db=""):
    return MARIADB.sql(query, db=db)


def run(*args, stdin=None):
    p = subprocess.run([TAYORI, *args], capture_output=True, text=True, input=stdin)
    return p.returncode, p.stdout, p.stderr


def token(secret, tenant, lst, sub, scope=1, campaign=7, key_id=b"k1"):
    return unsubscribe_token(secret, key_id.decode(), tenant, lst, sub, campaign, scope)


def main():
    tmp = tempfile.mkdtemp()
    secret = b"cli-test-secret-0123456789abcdef0123456789"
    os.environ["TAYORI_TEST_UNSUB_K1"] = base64.b64encode(secret).decode()  # configured as base64; the key is `secret`
    secret2 = b"cli-test-second-key-after-a-reload-0123456"
    os.environ["TAYORI_TEST_UNSUB_K2"] = base64.b64encode(secret2).decode()
    config = os.path.join(tmp, "tayori.toml")
    with open(config, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
user = "root"
name = "{DB}"

[unsubscribe]
base_url = "http://127.0.0.1/u/"
active_key_id = "k1"
[[unsubscribe.keys]]
id = "k1"
secret_env = "TAYORI_TEST_UNSUB_K1"

[http]
listen_address = "127.0.0.1"
port = 0

[admin]
port = 0

[logging]
level = "warn"
""")
    os.environ["TAYORI_CONFIG"] = config
    sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        for args in (["db", "migrate"],
                     ["tenant", "add", "shop-a", "--name", "Shop A", "--sender-id", "shopa1"],
                     ["tenant", "add", "shop-b", "--name", "Shop B", "--sender-id", "shopb1"],
                     ["list", "add", "news", "--tenant", "shop-a", "--name", "News"],
                     ["list", "add", "news", "--tenant", "shop-b", "--name", "B News"]):
            rc, out, err = run(*args)
            assert rc == 0, f"{args}: {err}"
        subs = os.path.join(tmp, "subs.csv")
        with open(subs, "w") as f:
            f.write("email,name\nalice@example.com,Alice\n")
        for shop in ("shop-a", "shop-b"):
            rc, _, err = run("subscribers", "import", "--tenant", shop, "--list", "news", subs)
            assert rc == 0, err

        # add: normalized address, idempotent, per shop / per list.
        rc, out, err = run("suppress", "add", "--tenant", "shop-a", "carol@Example.COM")
        check(rc == 0 and "suppressed carol@example.com at shop shop-a" in out, f"add: {rc} {out} {err}")
        rc, out, _ = run("suppress", "add", "--tenant", "shop-a", "carol@example.com")
        check(rc == 0 and "already suppressed" in out, f"add again: {out}")
        rc, out, _ = run("suppress", "add", "--tenant", "shop-a", "--list", "news", "dave@example.com")
        check(rc == 0, "add to a list")
        rc, _, err = run("suppress", "add", "--tenant", "shop-a", "not an address")
        check(rc == 2 and err.startswith("tayori: suppress add: "), f"bad address: {rc} {err}")
        rc, _, err = run("suppress", "add", "--tenant", "no-such-shop", "x@example.com")
        check(rc in (1, 2) and err.startswith("tayori: suppress add: "), f"unknown shop: {rc} {err}")
        rc, _, err = run("suppress", "add", "--tenant", "shop-a", "--list", "nope", "x@example.com")
        check(rc in (1, 2) and err.startswith("tayori: suppress add: "), f"unknown list: {rc} {err}")

        # list: the shop's rows only, filters by list and address.
        rc, out, _ = run("suppress", "list", "--tenant", "shop-a", "--json")
        check(rc == 0 and out.count("\n") == 2, f"list: {out}")
        rc, out, _ = run("suppress", "list", "--tenant", "shop-a", "--list", "news", "--json")
        check(rc == 0 and out.count("\n") == 1 and "dave@example.com" in out, f"list --list: {out}")
        rc, out, _ = run("suppress", "list", "--tenant", "shop-b", "--json")
        check(rc == 0 and out == "", f"shop-b untouched: {out}")

        # remove
        rc, out, _ = run("suppress", "remove", "--tenant", "shop-a", "carol@example.com")
        check(rc == 0 and "removed" in out, f"remove: {out}")
        rc, _, err = run("suppress", "remove", "--tenant", "shop-a", "carol@example.com")
        check(rc == 1 and err.startswith("tayori: suppress remove: "), f"remove again: {rc} {err}")

        # import: bad rows by line number, good rows written with audit events.
        csv = os.path.join(tmp, "old-list.csv")
        with open(csv, "w") as f:
            f.write("email,reason\n"               # 1 header
                    "erin@example.com,bounced\n"   # 2
                    "not-an-address\n"             # 3 bad
                    "# a comment\n"                # 4
                    "frank@example.com\n"          # 5
                    "\"grace@example.com\",x\n"    # 6
                    "erin@example.com\n"           # 7 duplicate
                    "bad@@example.com\n"           # 8 bad
                    "dave@example.com\n")          # 9 (suppressed for a list only: new at shop level)
        before = int(sql("SELECT COUNT(*) FROM events WHERE subject_type = 'suppression'", DB))
        rc, out, err = run("suppress", "import", "--tenant", "shop-a", csv)
        check(rc == 2, f"import exit code {rc}")
        check(f"{csv}:3:" in err and f"{csv}:8:" in err and err.count("tayori: suppress import: ") == 3,
              f"import errors: {err}")
        check("imported 5 addresses (4 new suppressions)" in out, f"import summary: {out}")
        after = int(sql("SELECT COUNT(*) FROM events WHERE subject_type = 'suppression'", DB))
        check(after - before == 4, f"import audit events: {after - before}")
        rows = sql("SELECT email, list_id, reason FROM suppressions WHERE source = 'csv import' ORDER BY email", DB)
        check(rows.split("\n")[:4] == ["dave@example.com\t0\timport", "erin@example.com\t0\timport",
                                       "frank@example.com\t0\timport", "grace@example.com\t0\timport"],
              f"imported rows: {rows}")

        # serve-unsubscribe: the endpoint of the running binary.
        tenant_a = int(sql("SELECT id FROM tenants WHERE slug = 'shop-a'", DB))
        list_a = int(sql(f"SELECT id FROM lists WHERE tenant_id = {tenant_a}", DB))
        alice = int(sql(f"SELECT id FROM subscribers WHERE tenant_id = {tenant_a} AND email = 'alice@example.com'", DB))
        server = subprocess.Popen([TAYORI, "serve-unsubscribe"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            line = server.stdout.readline().strip()
            check(line.startswith("listening on 127.0.0.1:"), f"serve-unsubscribe said: {line!r}")
            base = "http://" + line.split("listening on ", 1)[1]
            url = base + "/u/" + token(secret, tenant_a, list_a, alice)
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Language": "en"})) as r:
                check(r.status == 200 and "Unsubscribe?" in r.read().decode(), "GET page")
            req = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            with urllib.request.urlopen(req) as r:
                check(r.status == 200, "one-click POST")
            rc, out, _ = run("suppress", "list", "--tenant", "shop-a", "alice@example.com", "--json")
            check('"source":"one-click"' in out and '"campaign_id":7' in out and f'"list_id":{list_a}' in out,
                  f"one-click suppression: {out}")
            try:
                urllib.request.urlopen(base + "/u/" + token(b"x" * 40, tenant_a, list_a, alice))
                check(False, "forged token accepted")
            except urllib.error.HTTPError as e:
                check(e.code == 404, f"forged token: {e.code}")
            # SIGHUP: a file that retires k1 for k2 takes effect without a
            # restart; a broken file afterwards changes nothing.
            with open(config) as f:
                original = f.read()
            with open(config, "w") as f:
                f.write(original.replace('active_key_id = "k1"', 'active_key_id = "k2"')
                        .replace('id = "k1"\nsecret_env = "TAYORI_TEST_UNSUB_K1"',
                                 'id = "k2"\nsecret_env = "TAYORI_TEST_UNSUB_K2"'))
            server.send_signal(signal.SIGHUP)

            def get_status(tok):
                try:
                    with urllib.request.urlopen(base + "/u/" + tok) as r:
                        return r.status
                except urllib.error.HTTPError as e:
                    return e.code
            old_tok = token(secret, tenant_a, list_a, alice)
            new_tok = token(secret2, tenant_a, list_a, alice, key_id=b"k2")
            deadline = time.time() + 10
            while time.time() < deadline and get_status(old_tok) != 404:
                time.sleep(0.1)
            check(get_status(old_tok) == 404, "after SIGHUP a k1 link is no longer honoured")
            check(get_status(new_tok) == 200, "after SIGHUP a k2 link is")
            with open(config, "w") as f:
                f.write("[unsubscribe\nbroken")
            server.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            check(server.poll() is None, "serve-unsubscribe survived a broken file on SIGHUP")
            check(get_status(new_tok) == 200, "the k2 key stayed in force after the broken file")
            with open(config, "w") as f:
                f.write(original)
            admin = server.stdout.readline().strip()
            check(admin.startswith("admin listening on 127.0.0.1:"), f"serve-unsubscribe said: {admin!r}")
            admin_base = "http://" + admin.split("admin listening on ", 1)[1]
            with urllib.request.urlopen(admin_base + "/healthz") as r:
                check(r.status == 200, "healthz")
            with urllib.request.urlopen(admin_base + "/readyz") as r:
                check(r.status == 200 and r.read() == b"ready\n", "readyz")
            try:
                urllib.request.urlopen(base + "/metrics")
                check(False, "/metrics answered on the public listener")
            except urllib.error.HTTPError as e:
                check(e.code == 404, f"/metrics on the public listener: {e.code}")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=10)
                check(code == 0, f"serve-unsubscribe exit code {code}")
                err = server.stderr.read()
                check("reload refused" in err and "tayori.toml:1:" in err,
                      f"serve-unsubscribe logged the refused reload with its place: {err[-2000:]}")
            except subprocess.TimeoutExpired:
                server.kill()
                check(False, "serve-unsubscribe did not stop on SIGTERM")
    finally:
        sql(f"DROP DATABASE IF EXISTS {DB}")
    if failures:
        sys.exit(f"{len(failures)} checks failed")
    print("suppress_cli_test: ok")


main()
