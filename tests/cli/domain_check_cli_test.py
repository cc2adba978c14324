#!/usr/bin/python3
"""`tayori domain check` through the real binary, against the private MariaDB,
PowerDNS (records published through its API) and a running
`tayori serve-unsubscribe` (the one-click probe):

  - a hosted domain whose key is published, with a DMARC record on the
    platform zone (its organizational domain) and SPF for the bounce domain
    naming the relay's egress IP: DKIM, DMARC and SPF pass; JSON per check;
  - the DMARC record removed: dmarc_record fails with the words that fix it,
    in English and in Japanese (--lang ja), exit 1;
  - a campaign of a domain failing a mandatory check is not scheduled (exit
    2, the check's words), `domain list/show` say why; it is once DMARC is back;
  - --all checks every domain, the platform's checks once;
  - a mailbox provider's domain is refused by `domain add` and as a From by
    `campaign create` (exit 2).

    domain_check_cli_test.py TAYORI_BINARY
"""
import base64
import json
import os
import socket
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
DNS_PORT = env("TAYORI_TEST_PDNS_DNS_PORT")
API_PORT = env("TAYORI_TEST_PDNS_API_PORT")
API_KEY = env("TAYORI_TEST_PDNS_API_KEY")
PID = os.getpid()
DB = f"t_domain_check_{PID}"
MARIADB = Mariadb(DB)
ZONE = f"pz-check-{PID}.test"          # the platform zone: hosted domains and the bounce domain
HOSTED = f"shop1.{ZONE}"
OTHER = f"shop2.{ZONE}"
BOUNCE = f"bounce.{ZONE}"
EGRESS = "198.18.7.10"
KEK = base64.b64encode(os.urandom(32)).decode()
UNSUB = base64.b64encode(os.urandom(32)).decode()


def sql(query, db=DB):
    return MARIADB.sql(query, db=db)


def api(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{API_PORT}/api/v1/servers/localhost{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def rrset(name, rtype, *contents):
    return api("PATCH", f"/zones/{ZONE}.", {"rrsets": [{
        "name": name + ".", "type": rtype, "ttl": 1, "changetype": "REPLACE" if contents else "DELETE",
        "records": [{"content": c, "disabled": False} for c in contents]}]})


def txt(name, *values):
    return rrset(name, "TXT", *('"' + v + '"' for v in values))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(config, *args, lang=None):
    e = dict(os.environ, TAYORI_TEST_KEK=KEK, TAYORI_TEST_PDNS_API_KEY=API_KEY, TAYORI_TEST_UNSUB=UNSUB)
    if lang:
        e["LANG"] = lang
    p = subprocess.run([TAYORI, "-c", config, *args], capture_output=True, text=True, env=e)
    return p.returncode, p.stdout, p.stderr


def probe_token():
    """A valid token for shop 0 (the endpoint probe's shape: scope 2, all ids 0)."""
    return unsubscribe_token(base64.b64decode(UNSUB), "k1", 0, 0, 0, 0, scope=2)


def states(out):
    report = json.loads(out.splitlines()[0])
    return {(c["id"], c.get("subject", "")): c["state"] for c in report["checks"]}, report


def main():
    tmp = tempfile.mkdtemp(prefix="tayori-domain-check-")
    http_port = free_port()
    admin_port = free_port()
    cfg = os.path.join(tmp, "tayori.toml")
    with open(cfg, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
user = "root"
name = "{DB}"
[[relays]]
name = "relay"
host = "127.0.0.1"
port = 25
tls = "none"
egress_ips = ["{EGRESS}"]
[envelope]
return_path = "bounces+{{delivery_id}}@{BOUNCE}"
[dkim]
kek_env = "TAYORI_TEST_KEK"
platform_zone = "{ZONE}"
record_ttl_s = 1
[dns]
provider = "powerdns"
resolver = "127.0.0.1:{DNS_PORT}"
[dns.powerdns]
api_url = "http://127.0.0.1:{API_PORT}"
api_key_env = "TAYORI_TEST_PDNS_API_KEY"
[unsubscribe]
base_url = "http://127.0.0.1:{http_port}/u/"
active_key_id = "k1"
[[unsubscribe.keys]]
id = "k1"
secret_env = "TAYORI_TEST_UNSUB"
[http]
port = {http_port}
[admin]
port = {admin_port}
[readiness]
bounce_mx_hosts = ["MX1.{ZONE}."]
""")
    sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB}", db="")
    api("DELETE", f"/zones/{ZONE}.")
    check(api("POST", "/zones", {"name": ZONE + ".", "kind": "Native", "nameservers": ["ns1." + ZONE + "."]}) == 201,
          "create the platform zone")
    serve = None
    try:
        for args in (("db", "migrate"), ("tenant", "add", "shop1", "--name", "Shop", "--sender-id", "shop00001"),
                     ("list", "add", "news", "--tenant", "shop1", "--name", "News"),
                     ("domain", "add", HOSTED, "--tenant", "shop1"), ("domain", "verify", HOSTED),
                     ("domain", "add", OTHER, "--tenant", "shop1")):
            rc, out, err = run(cfg, *args)
            check(rc == 0, f"{' '.join(args)}: {out} {err}")
        # DMARC on the organizational domain (the platform zone), SPF for the bounce domain.
        check(txt(f"_dmarc.{ZONE}", "v=DMARC1; p=quarantine; rua=mailto:dmarc@" + ZONE) == 204, "publish DMARC")
        check(txt(BOUNCE, f"v=spf1 ip4:{EGRESS} -all") == 204, "publish SPF")
        serve = subprocess.Popen([TAYORI, "-c", cfg, "serve-unsubscribe"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True,
                                 env=dict(os.environ, TAYORI_TEST_UNSUB=UNSUB, TAYORI_TEST_KEK=KEK))
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)

        rc, out, err = run(cfg, "domain", "check", HOSTED, "--json")
        got, report = states(out)
        check(report["domain"] == HOSTED, f"report domain: {report.get('domain')}")
        check(got.get(("dkim_key", "s1")) == "pass", f"dkim_key s1: {got}")
        check(got.get(("dmarc_record", "")) == "pass", f"dmarc_record on the organizational domain: {got}")
        check(got.get(("dkim_alignment", "")) == "pass", f"dkim_alignment: {got}")
        check(got.get(("from_domain", "")) == "pass", f"from_domain: {got}")
        check(got.get(("spf", EGRESS)) == "pass", f"spf for the egress IP: {got}")
        # http:// fails the rule (RFC 8058 links must be https); the probe
        # token itself is checked against the endpoint below.
        check(got.get(("unsubscribe", f"http://127.0.0.1:{http_port}/u/")) == "fail", f"unsubscribe over http: {got}")
        check(got.get(("reverse_dns", EGRESS)) in ("warn", "fail"), f"no PTR for the egress IP: {got}")
        check(got.get(("relay_tls", "relay")) == "fail", f"a relay without TLS: {got}")
        check(rc == 1, f"a failing check exits 1: {rc} {err}")
        # The bounce domain has no MX yet; readiness.bounce_mx_hosts says where it
        # must point (written in capitals with a final dot: compared as DNS names).
        check(got.get(("bounce_mx", "")) == "fail", f"bounce_mx without an MX: {got}")
        for host, want, what in ((f"elsewhere.{ZONE}", "fail", "pointing elsewhere"),
                                 (f"mx1.{ZONE}", "pass", "at the configured host")):
            check(rrset(BOUNCE, "MX", f"10 {host}.") == 204, f"point the MX at {host}")
            time.sleep(1.1)
            got, report = states(run(cfg, "domain", "check", HOSTED, "--json")[1])
            check(got.get(("bounce_mx", "")) == want, f"bounce_mx {what}: {got}")
        # The probe token (shop 0, signed with the active key) is answered 200
        # on a one-click POST and writes nothing.
        token = probe_token()
        req = urllib.request.Request(f"http://127.0.0.1:{http_port}/u/{token}", data=b"List-Unsubscribe=One-Click",
                                     method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=5) as r:
            check(r.status == 200 and b"probe" in r.read(), "the endpoint answers the probe token")
        check(sql("SELECT COUNT(*) FROM suppressions").strip() == "0", "the probe wrote no suppression")

        # DMARC removed: the check fails with the words that fix it, in both languages.
        check(txt(f"_dmarc.{ZONE}") == 204, "remove DMARC")
        time.sleep(1.1)
        rc, out, err = run(cfg, "domain", "check", HOSTED, "--lang", "en")
        check(rc == 1 and "dmarc_record" in out and f"_dmarc.{HOSTED}" in out, f"DMARC missing (en): {out} {err}")
        rc, out_ja, err = run(cfg, "domain", "check", HOSTED, "--lang", "ja")
        check(rc == 1 and "DMARC レコードがありません" in out_ja, f"DMARC missing (ja): {out_ja}")
        rc, out_env, err = run(cfg, "domain", "check", HOSTED, lang="ja_JP.UTF-8")
        check("DMARC レコードがありません" in out_env, "the language follows $LANG")

        # A domain failing a mandatory check cannot be scheduled: the campaign
        # stays a draft, the error names the check and what fixes it (exit 2).
        body = os.path.join(tmp, "body.txt")
        with open(body, "w") as f:
            f.write("hello\n")
        rc, out, err = run(cfg, "campaign", "create", "--tenant", "shop1", "--list", "news", "--from",
                           f"news@{HOSTED}", "--subject", "Hi", "--text", body, "--schedule")
        check(rc == 2 and "created (draft)" in out and "domain check dmarc_record failed" in err and
              f"_dmarc.{HOSTED}" in err and "not scheduled" in err, f"create --schedule refused: {rc} {out} {err}")
        cid = out.split()[1] if out.startswith("campaign ") else "0"
        check(sql(f"SELECT state FROM campaigns WHERE id = {cid}").strip() == "draft", "the campaign stays a draft")
        rc, out, err = run(cfg, "campaign", "schedule", cid)
        check(rc == 2 and "dmarc_record" in err, f"schedule refused: {rc} {err}")
        # The results are kept per domain: domain list and show say why.
        rc, out, err = run(cfg, "domain", "list")
        row = [l for l in out.splitlines() if l.startswith(HOSTED + " ")]
        check(row and "fail STOP:dmarc_record" in row[0], f"domain list READINESS: {out}")
        rc, out, err = run(cfg, "domain", "show", HOSTED, "--lang", "ja")
        check(rc == 0 and "readiness fail" in out and "campaigns stop: domain check dmarc_record failed" in out and
              "DMARC レコードがありません" in out, f"domain show: {out} {err}")
        # --domain-only: the author domain's checks only, for the shop owner.
        rc, out, err = run(cfg, "domain", "check", HOSTED, "--domain-only", "--json")
        got, _ = states(out)
        check(("dmarc_record", "") in got and not any(k[0] in ("spf", "relay_tls", "unsubscribe") for k in got),
              f"--domain-only leaves the platform's checks out: {got}")
        # DMARC back: scheduled.
        check(txt(f"_dmarc.{ZONE}", "v=DMARC1; p=quarantine; rua=mailto:dmarc@" + ZONE) == 204, "publish DMARC again")
        time.sleep(1.1)
        rc, out, err = run(cfg, "campaign", "schedule", cid)
        check(rc == 0 and "scheduled" in out, f"scheduled once DMARC is back: {rc} {out} {err}")
        rc, out, err = run(cfg, "domain", "list")
        row = [l for l in out.splitlines() if l.startswith(HOSTED + " ")]
        check(row and "pass,platform:fail " in row[0] and "STOP" not in row[0],
              f"passing its own checks, the platform's failing (relay TLS, http unsubscribe): {out}")
        check(txt(f"_dmarc.{ZONE}") == 204, "remove DMARC again")
        time.sleep(1.1)

        # --all: both domains, the platform's checks once.
        rc, out, err = run(cfg, "domain", "check", "--all", "--json")
        lines = out.splitlines()
        check(len(lines) == 2, f"--all: one report per domain: {out[:300]} {err}")
        if len(lines) == 2:
            first, second = json.loads(lines[0]), json.loads(lines[1])
            check(any(c["id"] == "spf" for c in first["checks"]), "platform checks with the first domain")
            check(not any(c["id"] == "spf" for c in second["checks"]), "platform checks not repeated")
        rc, out, err = run(cfg, "domain", "check")
        check(rc == 2, f"no domain and no --all: exit 2 ({rc})")

        # A mailbox provider's domain can never be a shop's author domain.
        rc, out, err = run(cfg, "domain", "add", "gmail.com", "--tenant", "shop1", "--mode", "delegated")
        check(rc == 2 and "mailbox provider" in err, f"domain add gmail.com: {rc} {err}")
        body = os.path.join(tmp, "body.txt")
        with open(body, "w") as f:
            f.write("hello\n")
        rc, out, err = run(cfg, "campaign", "create", "--tenant", "shop1", "--list", "news", "--from",
                           "shop@yahoo.co.jp", "--subject", "Hi", "--text", body)
        check(rc == 2 and "mailbox provider" in err, f"campaign create From yahoo.co.jp: {rc} {err}")
    finally:
        if serve:
            serve.terminate()
            serve.wait(20)
        sql(f"DROP DATABASE IF EXISTS {DB}", db="")
        api("DELETE", f"/zones/{ZONE}.")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("domain_check_cli_test: ok")


if __name__ == "__main__":
    main()
