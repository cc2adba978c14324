#!/usr/bin/python3
"""`tayori inbound parse` through the real binary: every message of the
feedback corpus (tests/feedback/corpus) gives, as JSON lines, exactly the
records in its .expected.json (file names as given on the command line);
the text output names each file; a missing file exits 2 and is named; the
VERP key comes from the configuration (without it no delivery id is claimed).

    inbound_parse_test.py TAYORI_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(SRC, "tests/feedback/corpus")
FIELDS = ["file", "type", "recipient", "status", "reply_code", "action", "hard", "category", "feedback_type",
          "delivery_id", "diagnostic"]


def main():
    tayori = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "tayori.toml")
        with open(cfg, "w") as f:
            f.write('[envelope]\nreturn_path = "bounces+{delivery_id}.{mac}@bounce.tayori.example"\n'
                    'mac_key_env = "TAYORI_TEST_VERP_KEY"\n')
        env = dict(os.environ, TAYORI_TEST_VERP_KEY="corpus-verp-key-not-a-secret")
        names = sorted(n[:-4] for n in os.listdir(CORPUS) if n.endswith(".eml"))
        if len(names) < 30:
            failures.append(f"only {len(names)} corpus messages")
        paths = [os.path.join(CORPUS, n + ".eml") for n in names]
        out = subprocess.run([tayori, "-c", cfg, "inbound", "parse", "--json", *paths], capture_output=True,
                             text=True, env=env)
        if out.returncode != 0:
            failures.append(f"exit {out.returncode}: {out.stderr}")
        got = {}
        for line in out.stdout.splitlines():
            rec = json.loads(line)
            missing = [k for k in FIELDS if k not in rec]
            if missing:
                failures.append(f"{rec.get('file')}: fields missing {missing}")
            got.setdefault(os.path.basename(rec["file"]), []).append({k: rec.get(k) for k in FIELDS})
        for n in names:
            with open(os.path.join(CORPUS, n + ".expected.json")) as f:
                want = [{k: r.get(k) for k in FIELDS} for r in json.load(f)]
            have = got.get(n + ".eml", [])
            for r in have:
                r["file"] = os.path.basename(r["file"])
            if have != want:
                failures.append(f"{n}: got {have} want {want}")
        # Text output and a file that cannot be read.
        bounce = os.path.join(CORPUS, "postfix-user-unknown.eml")
        out = subprocess.run([tayori, "-c", cfg, "inbound", "parse", bounce, os.path.join(tmp, "missing.eml")],
                             capture_output=True, text=True, env=env)
        if out.returncode != 2 or "missing.eml" not in out.stderr:
            failures.append(f"missing file: exit {out.returncode}, stderr {out.stderr!r}")
        if f"{bounce}: bounce reader@example.com 5.1.1 (550) unknown_user hard delivery=1001" not in out.stdout:
            failures.append(f"text output: {out.stdout!r}")
        # Without the key, no delivery is claimed.
        out = subprocess.run([tayori, "-c", os.path.join(tmp, "none.toml"), "inbound", "parse", "--json", bounce],
                             capture_output=True, text=True)
        if out.returncode != 0 or json.loads(out.stdout.splitlines()[0])["delivery_id"] is not None:
            failures.append(f"no key: exit {out.returncode}: {out.stdout} {out.stderr}")
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print(f"inbound_parse_test: ok ({len(names)} corpus messages)")


if __name__ == "__main__":
    main()
