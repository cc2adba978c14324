#!/usr/bin/python3
"""Independent DKIM check of delivered messages with dkimpy (python3-dkim).

Usage: dkim_check.py KEYS.tsv [--sample N] MESSAGE_FILE_OR_DIR...
With --sample N, checks N messages per signing domain (d=) found in the files.
KEYS.tsv: lines "selector<TAB>domain<TAB>TXT value" (the public key records,
as the DNS would serve them). smtp-sink stores messages with LF line ends and
its own X-*/Received headers on top; LF is turned back into CRLF (what was
sent) and the extra unsigned headers stay, as a receiver would see them.
Prints one line per message and a summary; exits 1 if any fails.
"""
import os
import re
import sys

import dkim

records = {}
with open(sys.argv[1], encoding="ascii") as f:
    for line in f:
        selector, domain, txt = line.rstrip("\n").split("\t", 2)
        records[f"{selector}._domainkey.{domain}.".encode()] = txt.encode()


def dnsfunc(name, timeout=5):
    return records.get(name if name.endswith(b".") else name + b".")


args = sys.argv[2:]
sample = 0
if args[:1] == ["--sample"]:
    sample = int(args[1]); args = args[2:]
paths = []
for a in args:
    if os.path.isdir(a):
        paths += sorted(os.path.join(a, n) for n in os.listdir(a))
    else:
        paths.append(a)
if sample:
    per_domain = {}
    for p in paths:
        head = open(p, "rb").read(4096)
        m = re.search(rb"\bd=([A-Za-z0-9.-]+);", head)
        key = m.group(1) if m else b"(unsigned)"
        per_domain.setdefault(key, [])
        if len(per_domain[key]) < sample:
            per_domain[key].append(p)
    paths = [p for group in per_domain.values() for p in group]
if not paths:
    print("dkimpy: no messages to check"); sys.exit(1)

passed = failed = 0
for path in paths:
    raw = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    d = dkim.DKIM(raw)
    ok = d.verify(dnsfunc=dnsfunc)
    sig = dkim.util.parse_tag_value(raw.split(b"DKIM-Signature:", 1)[1].split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"")) if b"DKIM-Signature:" in raw else {}
    domain = sig.get(b"d", b"?").decode()
    print(f"  {'PASS' if ok else 'FAIL'}  d={domain:32s} {path.rsplit('/', 1)[-1]}")
    passed += ok
    failed += not ok
print(f"dkimpy: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
