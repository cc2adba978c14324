#!/usr/bin/python3
"""Integration: the listing commands an operator reaches for first —
`tenant list`, `list list [--tenant]`, `campaign list [--tenant] [--state]` —
and every `--json` output through a real JSON parser (names with quotes,
backslashes, tabs and Japanese must round-trip), against the private MariaDB
of scripts/services (root over its socket). A missing service fails the test.

usage: listing_cli_test.py /path/to/tayori
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, env, Mariadb, failures  # noqa: E402

TAYORI = sys.argv[1]


SOCKET = env("TAYORI_TEST_MYSQL_SOCKET")
DB = f"t_listing_cli_{os.getpid()}"
MARIADB = Mariadb(DB)


def sql(query):
    return MARIADB.sql(query, raw=True)


def run(*args):
    p = subprocess.run([TAYORI, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def json_lines(out, what):
    try:
        return [json.loads(line) for line in out.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        check(False, f"{what}: not JSON lines ({e}): {out!r}")
        return []


def main():
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "tayori.toml")
    with open(config, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
user = "root"
name = "{DB}"

[logging]
level = "warn"
""")
    os.environ["TAYORI_CONFIG"] = config
    subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={SOCKET}", "-e",
                    f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB} CHARACTER SET utf8mb4 "
                    "COLLATE utf8mb4_unicode_ci"], check=True)
    awkward = 'Shop "A" \\ 便り\tshop'
    try:
        for args in (["db", "migrate"],
                     ["tenant", "add", "shop-a", "--name", awkward, "--sender-id", "shopa1"],
                     ["tenant", "add", "shop-b", "--name", "Shop B", "--sender-id", "shopb1"],
                     ["list", "add", "news", "--tenant", "shop-a", "--name", 'News "weekly"'],
                     ["list", "add", "sale", "--tenant", "shop-a", "--name", "Sale"],
                     ["list", "add", "news", "--tenant", "shop-b", "--name", "B News"]):
            rc, out, err = run(*args)
            assert rc == 0, f"{args}: {err}"
        subs = os.path.join(tmp, "subs.csv")
        with open(subs, "w") as f:
            f.write('email,name,"co""lour"\nalice@example.com,Alice,"red\\\\"\nbob@example.com,Bob,blue\n')
        rc, _, err = run("subscribers", "import", "--tenant", "shop-a", "--list", "news", subs)
        assert rc == 0, err
        check(json.loads(sql("SELECT fields FROM subscribers WHERE email = 'alice@example.com'")) ==
              {'co"lour': 'red\\\\'}, "subscriber fields stored as JSON built with nlohmann")
        sql("UPDATE list_members SET state = 'unsubscribed' WHERE subscriber_id = "
            "(SELECT id FROM subscribers WHERE email = 'bob@example.com')")
        sql("INSERT INTO sender_domains (tenant_id, domain, mode, key_host) VALUES "
            "((SELECT id FROM tenants WHERE slug = 'shop-a'), 'a.example', 'hosted', 'a.example'), "
            "((SELECT id FROM tenants WHERE slug = 'shop-b'), 'b.example', 'hosted', 'b.example')")
        for shop, domain, state, reason in (("shop-a", "a.example", "draft", None),
                                            ("shop-a", "a.example", "sent", None),
                                            ("shop-a", "a.example", "paused", 'readiness: "dmarc" failed'),
                                            ("shop-b", "b.example", "sent", None)):
            sql("INSERT INTO campaigns (tenant_id, list_id, sender_domain_id, from_address, subject_template, state, "
                "state_reason, total_count, sent_count) SELECT t.id, l.id, d.id, 'news@" + domain + "', 'Hi', '" +
                state + "', " + ("NULL" if reason is None else "'" + reason.replace("'", "''") + "'") +
                ", 10, 7 FROM tenants t JOIN lists l ON l.tenant_id = t.id AND l.slug = 'news' "
                "JOIN sender_domains d ON d.tenant_id = t.id WHERE t.slug = '" + shop + "'")

        # tenant list
        rc, out, err = run("tenant", "list")
        check(rc == 0 and out.splitlines()[0].split()[:2] == ["ID", "SLUG"] and len(out.splitlines()) == 3,
              f"tenant list: header and two shops: {rc} {out!r} {err}")
        rc, out, err = run("tenant", "list", "--json")
        shops = json_lines(out, "tenant list --json")
        check(rc == 0 and [s["slug"] for s in shops] == ["shop-a", "shop-b"], f"tenant list --json: {out!r} {err}")
        if shops:
            a = shops[0]
            check(a["name"] == awkward, f"shop name round-trips through JSON: {a['name']!r}")
            check((a["lists"], a["sender_domains"], a["campaigns"]) == (2, 1, 3), f"shop-a counts: {a}")
        rc, out, err = run("tenant", "list", "--limit", "1")
        check(rc == 0 and len(out.splitlines()) == 2 and "--limit" in err, f"tenant list --limit 1: {out!r} {err!r}")

        # list list
        rc, out, err = run("list", "list", "--json")
        lists = json_lines(out, "list list --json")
        check(rc == 0 and [(l["tenant"], l["slug"]) for l in lists] ==
              [("shop-a", "news"), ("shop-a", "sale"), ("shop-b", "news")], f"list list --json: {out!r} {err}")
        rc, out, err = run("list", "list", "--tenant", "shop-a", "--json")
        lists = json_lines(out, "list list --tenant --json")
        check(rc == 0 and [l["slug"] for l in lists] == ["news", "sale"], f"list list --tenant shop-a: {out!r}")
        if lists:
            check(lists[0]["name"] == 'News "weekly"' and lists[0]["subscribed"] == 1 and
                  lists[0]["unsubscribed"] == 1, f"list news counts: {lists[0]}")
        rc, out, err = run("list", "list", "--tenant", "shop-a")
        check(rc == 0 and "SUBSCRIBED" in out and len(out.splitlines()) == 3, f"list list text: {out!r}")
        rc, out, err = run("list", "list", "--tenant", "nosuch")
        check(rc != 0 and "nosuch" in err, f"list list --tenant nosuch fails naming it: {rc} {err!r}")

        # campaign list
        rc, out, err = run("campaign", "list", "--json")
        camps = json_lines(out, "campaign list --json")
        check(rc == 0 and len(camps) == 4 and [c["id"] for c in camps] == sorted(c["id"] for c in camps),
              f"campaign list --json: four, oldest first: {out!r} {err}")
        rc, out, err = run("campaign", "list", "--tenant", "shop-a", "--state", "paused", "--json")
        camps = json_lines(out, "campaign list --state paused --json")
        check(rc == 0 and len(camps) == 1 and camps[0]["state"] == "paused" and
              camps[0]["reason"] == 'readiness: "dmarc" failed' and camps[0]["total"] == 10 and camps[0]["sent"] == 7,
              f"campaign list --tenant shop-a --state paused: {out!r} {err}")
        rc, out, err = run("campaign", "list", "--state", "sent")
        check(rc == 0 and len(out.splitlines()) == 3 and "shop-b" in out, f"campaign list --state sent: {out!r}")
        rc, out, err = run("campaign", "list", "--limit", "2", "--json")
        camps = json_lines(out, "campaign list --limit 2")
        check(rc == 0 and len(camps) == 2 and camps[-1]["tenant"] == "shop-b", f"--limit 2: the newest two: {out!r}")
        rc, out, err = run("campaign", "list", "--state", "bogus")
        check(rc == 2 and "--state 'bogus'" in err and "draft" in err, f"bad --state is a usage error: {rc} {err!r}")

        # the other --json outputs parse too
        cid = sql("SELECT id FROM campaigns WHERE state = 'paused'").strip()
        rc, out, err = run("campaign", "status", cid, "--json")
        st = json_lines(out, "campaign status --json")
        check(rc == 0 and len(st) == 1 and st[0]["reason"] == 'readiness: "dmarc" failed' and
              isinstance(st[0]["deliveries"], dict), f"campaign status --json: {out!r} {err}")
        rc, out, err = run("db", "status", "--json")
        st = json_lines(out, "db status --json")
        check(rc == 0 and len(st) == 1 and st[0]["pending"] == 0 and len(st[0]["migrations"]) == st[0]["latest_version"],
              f"db status --json: {out!r} {err}")
        rc, _, err = run("suppress", "add", "--tenant", "shop-a", "x\\y@example.com")
        rc, out, err = run("suppress", "list", "--tenant", "shop-a", "--json")
        sup = json_lines(out, "suppress list --json")
        check(rc == 0 and all("email" in s for s in sup), f"suppress list --json: {out!r} {err}")
    finally:
        subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={SOCKET}", "-e", f"DROP DATABASE IF EXISTS {DB}"])
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("listing_cli_test: all passed")


if __name__ == "__main__":
    main()
