#!/usr/bin/python3
"""The daemon holds sending domains to the sender rules while it sends, through
the real binary against the private MariaDB, PowerDNS and smtp-sink:

  - a shop's own (delegated) domain with its CNAMEs and DMARC passes
    `campaign create --schedule`; `tayori run` sends it slowly;
  - the shop deletes the CNAME of its active selector: within a re-check
    interval the running campaign is paused with the check's words, the
    alert is logged, /metrics counts the failing check, `domain list` and
    `domain show` say why;
  - `campaign resume` refuses (exit 2) while the CNAME is missing, resumes
    once it is back, and the campaign finishes with every reader sent once.

    readiness_test.py TAYORI_BINARY
"""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, env, Mariadb, failures  # noqa: E402

TAYORI = sys.argv[1]


SOCKET = env("TAYORI_TEST_MYSQL_SOCKET")
DNS_PORT = env("TAYORI_TEST_PDNS_DNS_PORT")
API_PORT = env("TAYORI_TEST_PDNS_API_PORT")
API_KEY = env("TAYORI_TEST_PDNS_API_KEY")
SINK_PORT = env("TAYORI_TEST_SINK_PORT")
PID = os.getpid()
DB = f"t_readiness_{PID}"
MARIADB = Mariadb(DB)
ZONE = f"pz-ready-{PID}.test"     # the platform zone: key hosts, the bounce domain
SHOP = f"shop-ready-{PID}.test"   # the shop's own domain, in its own zone
KEY_HOST = SHOP.replace(".", "-") + "." + ZONE
RECIPIENTS = 300
SECRETS = {"TAYORI_TEST_KEK": base64.b64encode(os.urandom(32)).decode(),
           "TAYORI_TEST_UNSUB": base64.b64encode(os.urandom(32)).decode(),
           "TAYORI_TEST_PDNS_API_KEY": API_KEY}


def sql(query, db=DB):
    return MARIADB.sql(query, db=db).strip()


def api(method, path, body=None):
    for _ in range(10):  # the SQLite backend is shared with other tests: retry while locked
        req = urllib.request.Request(f"http://127.0.0.1:{API_PORT}/api/v1/servers/localhost{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            if e.code != 500:
                return e.code
        time.sleep(0.2)
    return 500


def rrset(zone, name, rtype, *contents):
    return api("PATCH", f"/zones/{zone}.", {"rrsets": [{
        "name": name + ".", "type": rtype, "ttl": 1, "changetype": "REPLACE" if contents else "DELETE",
        "records": [{"content": c, "disabled": False} for c in contents]}]})


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(config, *args):
    p = subprocess.run([TAYORI, "-c", config, *args], capture_output=True, text=True,
                       env=dict(os.environ, **SECRETS))
    return p.returncode, p.stdout, p.stderr


def campaign(cid):
    return sql(f"SELECT state, COALESCE(state_reason, ''), sent_count FROM campaigns WHERE id = {cid}").split("\t")


def wait_for(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def main():
    tmp = tempfile.mkdtemp(prefix="tayori-readiness-")
    http_port = free_port()
    admin_port = free_port()
    cfg = os.path.join(tmp, "tayori.toml")
    with open(cfg, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
user = "root"
name = "{DB}"
[[relays]]
name = "sink"
host = "127.0.0.1"
port = {SINK_PORT}
tls = "none"
[envelope]
return_path = "bounces+{{delivery_id}}@bounce.{ZONE}"
[rate_limits]
global_per_second = 20.0
global_burst = 5.0
[engine]
poll_interval_ms = 200
lease_s = 10
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
interval_s = 10                    # re-checked every 9-11 s
dns_cache_max_s = 1
""")
    sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB}", db="")
    for zone in (ZONE, SHOP):
        api("DELETE", f"/zones/{zone}.")
        check(api("POST", "/zones", {"name": zone + ".", "kind": "Native", "nameservers": ["ns1." + zone + "."]}) == 201,
              f"create zone {zone}")
    engine = None
    log_path = os.path.join(tmp, "engine.log")
    try:
        csv = os.path.join(tmp, "list.csv")
        with open(csv, "w") as f:
            f.write("email,name\n" + "".join(f"reader{i}@dest{i % 7}.example,Reader\n" for i in range(RECIPIENTS)))
        body = os.path.join(tmp, "body.txt")
        with open(body, "w") as f:
            f.write("Hello {{subscriber.name}}\n")
        for args in (("db", "migrate"), ("tenant", "add", "shop1", "--name", "Shop", "--sender-id", "shop00001"),
                     ("list", "add", "news", "--tenant", "shop1", "--name", "News"),
                     ("domain", "add", SHOP, "--tenant", "shop1", "--mode", "delegated")):
            rc, out, err = run(cfg, *args)
            check(rc == 0, f"{' '.join(args)}: {out} {err}")
        # The shop owner's part, once: two CNAMEs and a DMARC record.
        for sel in ("s1", "s2"):
            check(rrset(SHOP, f"{sel}._domainkey.{SHOP}", "CNAME", f"{sel}._domainkey.{KEY_HOST}.") == 204,
                  f"CNAME {sel}")
        check(rrset(SHOP, f"_dmarc.{SHOP}", "TXT", f'"v=DMARC1; p=quarantine; rua=mailto:dmarc@{SHOP}"') == 204,
              "DMARC")
        for args in (("domain", "verify", SHOP), ("subscribers", "import", "--tenant", "shop1", "--list", "news", csv)):
            rc, out, err = run(cfg, *args)
            check(rc == 0, f"{' '.join(args)}: {out} {err}")
        rc, out, err = run(cfg, "campaign", "create", "--tenant", "shop1", "--list", "news", "--from",
                           f"news@{SHOP}", "--subject", "Hi", "--text", body, "--schedule")
        check(rc == 0 and "scheduled" in out, f"a ready domain is scheduled: {rc} {out} {err}")
        cid = int(out.split()[1]) if out.startswith("campaign ") else 0
        rc, out, err = run(cfg, "domain", "list")
        check(rc == 0 and f"{SHOP}" in out and "unchecked" not in out, f"domain list after the check: {out}")

        engine = subprocess.Popen([TAYORI, "-c", cfg, "run", "--instance", "ready-a"], stdout=open(log_path, "w"),
                                  stderr=subprocess.STDOUT, env=dict(os.environ, **SECRETS))
        check(wait_for(lambda: int(campaign(cid)[2] or 0) >= 20, 30), f"sending started: {campaign(cid)}")

        # The shop deletes the CNAME of its active selector.
        check(rrset(SHOP, f"s1._domainkey.{SHOP}", "CNAME") == 204, "delete CNAME s1")
        removed_at = time.time()
        check(wait_for(lambda: campaign(cid)[0] == "paused", 30), f"the campaign is paused: {campaign(cid)}")
        state, reason, sent = campaign(cid)
        print(f"paused {time.time() - removed_at:.1f} s after the CNAME was removed, {sent} of {RECIPIENTS} sent")
        check(int(sent) < RECIPIENTS, f"paused while still sending: {sent}")
        check("dkim_cname failed" in reason and f"s1._domainkey.{SHOP}" in reason, f"the reason names the check: {reason}")
        alerts = sql(f"SELECT COUNT(*) FROM events WHERE subject_type = 'campaign' AND subject_id = {cid} "
                     "AND kind = 'alert' AND actor = 'ready-a'")
        check(alerts == "1", f"one alert event: {alerts}")
        with open(log_path) as f:
            log = f.read()
        check("ALERT domain fails a mandatory check" in log, "the engine logs the alert")

        def metrics():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5) as r:
                    return r.read().decode()
            except OSError:
                return ""
        check(wait_for(lambda: 'tayori_domain_checks{check="dkim_cname",state="fail"} 1' in metrics(), 15),
              "/metrics counts the failing check")
        m = metrics()
        check('tayori_domains{state="fail"} 1' in m, "/metrics: one failing domain")
        check("tayori_readiness_paused_campaigns_total 1" in m, "/metrics: one campaign paused")
        rc, out, err = run(cfg, "domain", "list")
        check("fail STOP:dkim_cname,dkim_key" in out, f"domain list shows why: {out}")
        rc, out, err = run(cfg, "domain", "show", SHOP, "--lang", "en")
        check(rc == 0 and "campaigns stop:" in out and "[FAIL] dkim_cname (s1)" in out, f"domain show: {out} {err}")

        # Resume refused while the CNAME is missing; accepted once it is back.
        rc, out, err = run(cfg, "campaign", "resume", str(cid))
        check(rc == 2 and "dkim_cname" in err and campaign(cid)[0] == "paused", f"resume refused: {rc} {err}")
        check(rrset(SHOP, f"s1._domainkey.{SHOP}", "CNAME", f"s1._domainkey.{KEY_HOST}.") == 204, "CNAME s1 back")
        time.sleep(1.1)  # its negative answer's TTL
        rc, out, err = run(cfg, "campaign", "resume", str(cid))
        check(rc == 0, f"resume once ready: {rc} {out} {err}")
        check(wait_for(lambda: campaign(cid)[0] == "sent", 60), f"the campaign finishes: {campaign(cid)}")
        dup = sql(f"SELECT COUNT(*) FROM deliveries WHERE campaign_id = {cid} AND state = 'sent'")
        check(dup == str(RECIPIENTS), f"every reader sent exactly once: {dup}")
    finally:
        if engine:
            engine.send_signal(signal.SIGTERM)
            try:
                engine.wait(30)
            except subprocess.TimeoutExpired:
                engine.kill()
        if failures and os.path.exists(log_path):
            print(open(log_path).read()[-4000:])
        sql(f"DROP DATABASE IF EXISTS {DB}", db="")
        for zone in (ZONE, SHOP):
            api("DELETE", f"/zones/{zone}.")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("readiness_test: ok")


if __name__ == "__main__":
    main()
