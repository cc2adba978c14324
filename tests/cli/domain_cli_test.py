#!/usr/bin/python3
"""Integration: `tayori domain add|verify|list|show` and `tayori dkim
rotate|export-opendkim` through the real binary, against the private MariaDB
and PowerDNS of scripts/services; Route 53 against tests/tools/http_capture.py.
A missing service fails the test.

  - dns.provider = "none": domain add prints the TXT records, stores pending keys;
  - Route 53: domain add sends one signed ChangeResourceRecordSets request
    (method, path, XML body, AWS4-HMAC-SHA256 signature recomputed by the
    capture server);
  - PowerDNS: a delegated domain, its CNAMEs, verify, then `dkim rotate
    --step` run as separate processes (each one resuming the persisted state)
    until the rotation ends, with list/show along the way and the export.

usage: domain_cli_test.py /path/to/tayori
"""
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, env, Mariadb, failures  # noqa: E402

TAYORI = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))


SOCKET = env("TAYORI_TEST_MYSQL_SOCKET")
MYSQL_PORT = env("TAYORI_TEST_MYSQL_PORT")
DNS_PORT = env("TAYORI_TEST_PDNS_DNS_PORT")
API_PORT = env("TAYORI_TEST_PDNS_API_PORT")
API_KEY = env("TAYORI_TEST_PDNS_API_KEY")
PID = os.getpid()
DB = f"t_domain_cli_{PID}"
MARIADB = Mariadb(DB)
ZONE = f"pz-cli-{PID}.test"
SHOP = f"shop-cli-{PID}.test"
KEK = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


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


def zone(name):
    api("DELETE", f"/zones/{name}.")
    check(api("POST", "/zones", {"name": name + ".", "kind": "Native", "nameservers": ["ns1." + name + "."]}) == 201,
          f"create zone {name}")


def dig(name):
    return subprocess.run(["dig", "@127.0.0.1", "-p", DNS_PORT, "+short", "TXT", name], capture_output=True,
                          text=True).stdout


def write_config(path, dns):
    with open(path, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
port = {MYSQL_PORT}
user = "root"
name = "{DB}"

[dkim]
kek_env = "TAYORI_TEST_KEK"
platform_zone = "{ZONE}"
record_ttl_s = 1
grace_days = 1

{dns}
""")


def run(config, *args):
    p = subprocess.run([TAYORI, "-c", config, *args], capture_output=True, text=True,
                       env=dict(os.environ, TAYORI_TEST_KEK=KEK, AWS_ACCESS_KEY_ID="AKIDTEST",
                                AWS_SECRET_ACCESS_KEY="r53-test-secret"))
    return p.returncode, p.stdout, p.stderr


def main():
    tmp = tempfile.mkdtemp(prefix="tayori-domain-cli-")
    sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB}", db="")
    zone(ZONE)
    zone(SHOP)
    capture = None
    try:
        none_cfg, r53_cfg, pdns_cfg = (os.path.join(tmp, n + ".toml") for n in ("none", "r53", "pdns"))
        write_config(none_cfg, f'[dns]\nprovider = "none"\nresolver = "127.0.0.1:{DNS_PORT}"')
        rc, out, err = run(none_cfg, "db", "migrate")
        check(rc == 0, f"db migrate: {err}")
        rc, out, err = run(none_cfg, "tenant", "add", "shop1", "--name", "Shop", "--sender-id", "shop00001")
        check(rc == 0, f"tenant add: {err}")

        # provider none: the records are printed, keys stay pending.
        rc, out, err = run(none_cfg, "domain", "add", "manual." + ZONE, "--tenant", "shop1")
        check(rc == 0, f"domain add (none): {err}")
        check(f"s1._domainkey.manual.{ZONE}. IN TXT \"v=DKIM1; k=rsa; p=" in out, f"TXT printed: {out}")
        check(sql(f"SELECT state FROM domain_keys").split() == ["pending"], "key pending without a provider")
        rc, out, err = run(none_cfg, "domain", "verify", "manual." + ZONE)
        check(rc == 1 and "NOT OK" in out and "no such name" in out, f"verify of unpublished key: {out} {err}")
        rc, out, err = run(none_cfg, "domain", "verify", "manual." + ZONE, "--manual")
        check(rc == 0 and "verified (manually)" in out, f"verify --manual: {out} {err}")
        check("operator-asserted" in sql("SELECT GROUP_CONCAT(detail) FROM events"), "manual verify recorded in events")

        # Route 53: one signed ChangeResourceRecordSets request.
        reqs = os.path.join(tmp, "r53.jsonl")
        ok_body = os.path.join(tmp, "ok.xml")
        with open(ok_body, "w") as f:
            f.write("<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status>"
                    "</ChangeInfo></ChangeResourceRecordSetsResponse>")
        capture = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "..", "tools", "http_capture.py"), "--out",
                                    reqs, "--body-file", ok_body, "--sigv4-secret", "r53-test-secret"],
                                   stdout=subprocess.PIPE, text=True)
        port = int(capture.stdout.readline().split()[1])
        write_config(r53_cfg, f'[dns]\nprovider = "route53"\nresolver = "127.0.0.1:{DNS_PORT}"\n\n[dns.route53]\n'
                              f'endpoint = "http://127.0.0.1:{port}"\nhosted_zone_id = "ZTEST123"\nregion = "us-east-1"')
        rc, out, err = run(r53_cfg, "domain", "add", "r53shop.example", "--tenant", "shop1", "--mode", "delegated")
        check(rc == 0, f"domain add (route53): {out} {err}")
        got = [json.loads(l) for l in open(reqs)]
        check(len(got) == 1, f"one Route 53 request, got {len(got)}")
        if got:
            r = got[0]
            check(r["method"] == "POST" and r["path"] == "/2013-04-01/hostedzone/ZTEST123/rrset", f"request line {r}")
            body = r["body"]
            for sel in ("s1", "s2"):
                check(f"<Action>UPSERT</Action><ResourceRecordSet><Name>{sel}._domainkey.r53shop-example.{ZONE}.</Name>"
                      "<Type>TXT</Type><TTL>1</TTL>" in body, f"UPSERT of {sel} in {body[:300]}")
            check(body.count('" "') == 2, "each 2048-bit record split in two quoted strings")
            check(r["sigv4"]["valid"] is True, f"SigV4 signature: {r['sigv4']}")
            check(r["sigv4"]["service"] == "route53" and r["sigv4"]["access_key"] == "AKIDTEST", "credential scope")
            check("r53-test-secret" not in json.dumps(r), "secret not sent")
        check(sql("SELECT GROUP_CONCAT(dk.state) FROM domain_keys dk JOIN sender_domains d ON d.id = dk.sender_domain_id "
                  "WHERE d.domain = 'r53shop.example'").strip() == "published,published", "published after Route 53")

        # PowerDNS: delegated domain, CNAMEs, verify, rotation step by step.
        write_config(pdns_cfg, f'[dns]\nprovider = "powerdns"\nresolver = "127.0.0.1:{DNS_PORT}"\n\n[dns.powerdns]\n'
                               f'api_url = "http://127.0.0.1:{API_PORT}"\napi_key_env = "TAYORI_TEST_PDNS_API_KEY"')
        rc, out, err = run(pdns_cfg, "domain", "add", SHOP, "--tenant", "shop1", "--mode", "delegated")
        check(rc == 0, f"domain add (pdns): {err}")
        key_host = SHOP.replace(".", "-") + "." + ZONE
        for sel in ("s1", "s2"):
            check(f"{sel}._domainkey.{SHOP}. IN CNAME {sel}._domainkey.{key_host}." in out, f"CNAME {sel} printed")
            check("v=DKIM1; k=rsa; p=" in dig(f"{sel}._domainkey.{key_host}"), f"{sel} TXT in DNS")
        rc, out, err = run(pdns_cfg, "domain", "verify", SHOP)
        check(rc == 1 and out.count("the shop must create") == 2, f"verify before CNAMEs: {out}")
        for sel in ("s1", "s2"):
            api("PATCH", f"/zones/{SHOP}.", {"rrsets": [{"name": f"{sel}._domainkey.{SHOP}.", "type": "CNAME", "ttl": 60,
                                                         "changetype": "REPLACE", "records": [
                                                             {"content": f"{sel}._domainkey.{key_host}.",
                                                              "disabled": False}]}]})
        rc, out, err = run(pdns_cfg, "domain", "verify", SHOP)
        check(rc == 0 and "selector s1: active" in out, f"verify after CNAMEs: {out} {err}")
        rc, out, err = run(pdns_cfg, "domain", "list")
        check(any(SHOP in l and "verified" in l and "s1:active" in l and "s2:published" in l for l in out.splitlines()),
              f"domain list: {out}")

        # OpenDKIM export before the rotation, into a directory given relative
        # to the working directory: KeyTable still names absolute key files.
        exp = os.path.join(tmp, "opendkim")
        rc, out, err = run(pdns_cfg, "dkim", "export-opendkim", os.path.relpath(exp))
        check(rc == 0 and f"to {exp} " in out, f"export (relative dir): {out} {err}")
        kt = open(os.path.join(exp, "KeyTable")).read().splitlines()
        check(f"s1._domainkey.{SHOP} {SHOP}:s1:{exp}/keys/{SHOP}.s1.private" in kt, f"absolute key path: {kt}")
        check(all(l.split(":", 2)[2].startswith("/") for l in kt), f"every key path absolute: {kt}")
        with open(os.path.join(exp, "keys", "README"), "w") as f:
            f.write("the operator's, not the export's")

        # Each --step is a new process resuming the persisted state (a
        # rotation that finished lets the next `dkim rotate` start another).
        seen = []
        for _ in range(12):
            rc, out, err = run(pdns_cfg, "dkim", "rotate", SHOP, "--step")
            check(rc == 0, f"dkim rotate --step: {out} {err}")
            seen += [l.strip() for l in out.splitlines() if "->" in l]
            if "active -> retiring" in out:
                # The grace period is at least a day: let it pass in the database.
                sql("UPDATE domain_keys SET retire_after = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                    "WHERE state = 'retiring'")
            if "revoked -> revoked" in out:
                break
            if "->" not in out:
                time.sleep(1.1)  # waiting for record_ttl_s = 1
        want = ["s2: published -> revoked", "s2: new -> pending", "s2: pending -> published", "s2: published -> active",
                "s1: active -> retiring", "s1: retiring -> revoked", "s1: revoked -> revoked"]
        got_t = [l.split("selector ", 1)[1].split(" (")[0] for l in seen]
        check(got_t == want, f"transitions {got_t}")
        rc, out, err = run(pdns_cfg, "domain", "show", SHOP)
        check(rc == 0 and "rotation  none" in out and "selector s2     active" in out, f"domain show: {out}")
        check(dig(f"s1._domainkey.{SHOP}").strip() in ("", f"s1._domainkey.{key_host}."), "s1 record deleted")
        check("v=DKIM1; k=rsa" in dig(f"s2._domainkey.{SHOP}"), "s2 resolves through the CNAME")
        # A second `dkim rotate` runs the next rotation to its first wait.
        rc, out, err = run(pdns_cfg, "dkim", "rotate", SHOP)
        check(rc == 0 and "s1: new -> pending" in out.replace("selector ", "") and "caches may hold" in out,
              f"dkim rotate (to the wait): {out} {err}")

        # OpenDKIM export after the rotation, into the same directory: tables
        # and 0600 keys in a 0700 directory; the retired s1 key file removed.
        rc, out, err = run(pdns_cfg, "dkim", "export-opendkim", exp)
        check(rc == 0, f"export: {err}")
        check(f"removed {exp}/keys/{SHOP}.s1.private" in out, f"export reports the removed key file: {out}")
        check(not os.path.exists(os.path.join(exp, "keys", f"{SHOP}.s1.private")), "retired s1 key file removed")
        check(os.path.exists(os.path.join(exp, "keys", "README")), "other files in keys/ left alone")
        check(stat.S_IMODE(os.stat(exp).st_mode) == 0o700, "export dir 0700")
        kt = open(os.path.join(exp, "KeyTable")).read().splitlines()
        check(len(kt) == 2, f"KeyTable has the active keys of the 2 verified domains: {kt}")
        for line in kt:
            path = line.split(":", 2)[2]
            check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, f"{path} 0600")
            check(open(path).read().startswith("-----BEGIN PRIVATE KEY-----"), f"{path} is a PEM key")
        check(f"*@{SHOP} s2._domainkey.{SHOP}" in open(os.path.join(exp, "SigningTable")).read(), "SigningTable")
    finally:
        if capture:
            capture.terminate()
            capture.wait()
        sql(f"DROP DATABASE IF EXISTS {DB}", db="")
        api("DELETE", f"/zones/{ZONE}.")
        api("DELETE", f"/zones/{SHOP}.")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("domain_cli_test: ok")


if __name__ == "__main__":
    main()
