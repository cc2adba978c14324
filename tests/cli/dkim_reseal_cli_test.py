#!/usr/bin/python3
"""Integration: `tayori dkim reseal` through the real binary, against the
private MariaDB of scripts/services. A missing service fails the test.

  - keys made under the older single-KEK config (kek_env / kek_id) are moved
    by `dkim reseal` to the active KEK of a [[dkim.keks]] config; a second
    run changes nothing;
  - with only the new KEK configured the keys still export and sign, and the
    signatures verify against the stored p=;
  - a sealed key copied from another domain's row is refused (exit 1, the
    row named, nothing changed);
  - an unset KEK variable is a configuration error (exit 2);
  - no KEK and no private key ever appears in the output.

usage: dkim_reseal_cli_test.py /path/to/tayori
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, env, Mariadb, failures  # noqa: E402

TAYORI = sys.argv[1]


SOCKET = env("TAYORI_TEST_MYSQL_SOCKET")
PID = os.getpid()
DB = f"t_dkim_reseal_{PID}"
MARIADB = Mariadb(DB)
ZONE = f"pz-reseal-{PID}.test"
KEK1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
KEK2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
outputs = []


def sql(query, db=DB):
    return MARIADB.sql(query, db=db)


def write_config(path, dkim):
    with open(path, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
user = "root"
name = "{DB}"

[dkim]
platform_zone = "{ZONE}"
{dkim}

[dns]
provider = "none"

[logging]
level = "warn"
""")


def run(config, *args, stdin=None, extra_env=None):
    e = dict(os.environ, TAYORI_TEST_KEK1=KEK1, TAYORI_TEST_KEK2=KEK2)
    for k, v in (extra_env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    p = subprocess.run([TAYORI, "-c", config, *args], capture_output=True, text=True, input=stdin, env=e)
    outputs.append(p.stdout + p.stderr)
    return p.returncode, p.stdout, p.stderr


def keys():
    """(domain, selector, kek_id, blob magic) of every key row."""
    rows = sql("SELECT d.domain, dk.selector, k.kek_id, LEFT(k.private_key_enc, 3) FROM domain_keys dk "
               "JOIN dkim_keys k ON k.id = dk.dkim_key_id JOIN sender_domains d ON d.id = dk.sender_domain_id "
               "ORDER BY d.domain")
    return [tuple(l.split("\t")) for l in rows.splitlines()]


def main():
    tmp = tempfile.mkdtemp(prefix="tayori-reseal-cli-")
    sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB}", db="")
    one, two = "one." + ZONE, "two." + ZONE
    try:
        old_cfg, both_cfg, new_cfg = (os.path.join(tmp, n + ".toml") for n in ("old", "both", "new"))
        write_config(old_cfg, 'kek_env = "TAYORI_TEST_KEK1"\nkek_id = "kek1"')
        write_config(both_cfg, 'active_kek_id = "kek2"\n\n[[dkim.keks]]\nid = "kek1"\nsecret_env = "TAYORI_TEST_KEK1"\n'
                               '\n[[dkim.keks]]\nid = "kek2"\nsecret_env = "TAYORI_TEST_KEK2"')
        write_config(new_cfg, 'active_kek_id = "kek2"\n\n[[dkim.keks]]\nid = "kek2"\nsecret_env = "TAYORI_TEST_KEK2"')
        for args in (["db", "migrate"], ["tenant", "add", "shop1", "--name", "Shop", "--sender-id", "shop00001"],
                     ["domain", "add", one, "--tenant", "shop1"], ["domain", "add", two, "--tenant", "shop1"],
                     ["domain", "verify", one, "--manual"], ["domain", "verify", two, "--manual"]):
            rc, out, err = run(old_cfg, *args)
            check(rc == 0, f"{args}: {out} {err}")
        check(keys() == [(one, "s1", "kek1", "TK2"), (two, "s1", "kek1", "TK2")], f"keys before: {keys()}")

        rc, out, err = run(both_cfg, "config", "check")
        check(rc == 0 and 'secret_env = "TAYORI_TEST_KEK2"  # set (value redacted)' in out, f"config check: {out}")

        # The old KEK's keys move to the active one; a second run is a no-op.
        rc, out, err = run(both_cfg, "dkim", "reseal")
        check(rc == 0, f"reseal: {rc} {out} {err}")
        for d in (one, two):
            check(f"{d} selector s1 (active): resealed (kek1/TK2 -> kek2/TK2)" in out, f"reseal of {d}: {out}")
        check("2 key(s): 2 resealed under KEK 'kek2', 0 already current, 0 failed" in out, f"summary: {out}")
        check(keys() == [(one, "s1", "kek2", "TK2"), (two, "s1", "kek2", "TK2")], f"keys after: {keys()}")
        check(sql("SELECT COUNT(*) FROM events WHERE kind = 'resealed'").strip() == "2", "one event per key")
        rc, out, err = run(both_cfg, "dkim", "reseal")
        check(rc == 0 and "2 key(s): 0 resealed under KEK 'kek2', 2 already current, 0 failed" in out,
              f"second reseal: {rc} {out} {err}")

        # Only the new KEK configured: the keys export, sign and verify.
        exp = os.path.join(tmp, "opendkim")
        rc, out, err = run(new_cfg, "dkim", "export-opendkim", exp)
        check(rc == 0, f"export with the new KEK only: {out} {err}")
        key_file = os.path.join(exp, "keys", f"{one}.s1.private")
        message = f"From: News <news@{one}>\nTo: reader@example.net\nSubject: after reseal\n\nHello.\n"
        rc, signed, err = run(new_cfg, "dkim", "sign", "--key", key_file, "--domain", one, "--selector", "s1",
                              stdin=message)
        check(rc == 0 and signed.startswith("DKIM-Signature:"), f"dkim sign: {rc} {err}")
        p = sql(f"SELECT k.public_key FROM dkim_keys k JOIN domain_keys dk ON dk.dkim_key_id = k.id "
                f"JOIN sender_domains d ON d.id = dk.sender_domain_id WHERE d.domain = '{one}'").strip()
        rc, out, err = run(new_cfg, "dkim", "verify", "--txt", f"v=DKIM1; k=rsa; p={p}", stdin=signed)
        check(rc == 0 and out.startswith("pass"), f"dkim verify: {rc} {out} {err}")

        # A sealed key copied from one's row into two's is refused.
        sql("UPDATE dkim_keys dst JOIN domain_keys ddk ON ddk.dkim_key_id = dst.id "
            "JOIN sender_domains dd ON dd.id = ddk.sender_domain_id "
            "JOIN dkim_keys src JOIN domain_keys sdk ON sdk.dkim_key_id = src.id "
            "JOIN sender_domains sd ON sd.id = sdk.sender_domain_id "
            f"SET dst.private_key_enc = src.private_key_enc WHERE dd.domain = '{two}' AND sd.domain = '{one}'")
        before = sql("SELECT HEX(private_key_enc) FROM dkim_keys ORDER BY id")
        rc, out, err = run(new_cfg, "dkim", "reseal")
        check(rc == 1, f"reseal with a moved key: exit {rc}")
        check(f"{two} selector s1 (active): FAILED: sealed key of {two} selector s1 does not open" in out,
              f"moved key named: {out}")
        check("1 failed" in out and err.strip().endswith("1 key(s) were not resealed; they are unchanged"),
              f"failure summary: {out} {err}")
        check(sql("SELECT HEX(private_key_enc) FROM dkim_keys ORDER BY id") == before, "nothing changed")
        rc, out, err = run(new_cfg, "dkim", "export-opendkim", os.path.join(tmp, "exp2"))
        check(rc == 1 and f"{two} selector s1" in err, f"export refuses the moved key: {rc} {err}")

        # A KEK whose variable is unset: a configuration error.
        rc, out, err = run(both_cfg, "dkim", "reseal", extra_env={"TAYORI_TEST_KEK2": None})
        check(rc == 2 and "dkim.keks[kek2].secret_env" in err, f"unset KEK: {rc} {err}")

        everything = "\n".join(outputs)
        for secret in (KEK1, KEK2, "PRIVATE KEY"):
            check(secret not in everything, f"{secret[:12]}... appears in the output")
    finally:
        sql(f"DROP DATABASE IF EXISTS {DB}", db="")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("dkim_reseal_cli_test: ok")


if __name__ == "__main__":
    main()
