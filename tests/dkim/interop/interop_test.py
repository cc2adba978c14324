#!/usr/bin/python3
"""DKIM interoperability, both ways, over the corpus in corpus.py:

  1. tayori signs (RSA + Ed25519, relaxed/relaxed and simple/simple);
     dkimpy verifies each signature, and so does `tayori dkim verify`.
  2. Tampered copies (body, a signed header, a second From) fail in both.
  3. dkimpy signs (rsa-sha256 and ed25519-sha256, relaxed/relaxed and
     simple/simple); `tayori dkim verify` passes them.
  4. opendkim-testmsg verifies tayori's signatures (RSA and Ed25519-only)
     with the keys served by a private PowerDNS inside its own network and
     mount namespace (opendkim_ns.sh), and rejects a tampered copy.

Usage: interop_test.py PATH/TO/tayori. Run with /usr/bin/python3 (Debian's
python3-dkim). A missing tool is a failure, never a skip."""

import base64
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus  # noqa: E402

try:
    import dkim  # Debian python3-dkim
except ImportError as e:
    print("FAIL: dkimpy is not importable (%s); install python3-dkim, run with /usr/bin/python3" % e)
    sys.exit(1)

DOMAIN = "shop.example"
RSA_SELECTOR = "s1"
ED_SELECTOR = "e1"
CANONS = ["relaxed/relaxed", "simple/simple"]
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL:", what, flush=True)


def run(args, stdin=b""):
    return subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def require_tools():
    missing = [t for t in ("opendkim-testmsg", "pdns_server", "sqlite3", "unshare", "dig", "ip", "mount")
               if shutil.which(t) is None]
    schema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"
    if not os.path.exists(schema):
        missing.append(schema)
    if missing:
        print("FAIL: missing tools:", ", ".join(missing))
        sys.exit(1)
    return schema


def main():
    tayori = os.path.abspath(sys.argv[1])
    schema = require_tools()
    work = tempfile.mkdtemp(prefix="tayori-dkim-interop-")
    try:
        interop(tayori, schema, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d checks, %d failures" % (checks, len(failures)))
    sys.exit(1 if failures else 0)


def keygen(tayori, work, algorithm):
    path = os.path.join(work, algorithm + ".pem")
    r = run([tayori, "dkim", "keygen", "--algorithm", algorithm, "--out", path])
    if r.returncode != 0:
        print("FAIL: keygen %s: %s" % (algorithm, r.stderr.decode()))
        sys.exit(1)
    return path, r.stdout.decode().strip()


def ed25519_seed_b64(pem_path):
    """dkimpy takes an Ed25519 private key as the base64 of its 32-byte seed:
    the last 32 bytes of the PKCS#8 DER (RFC 8410 §7)."""
    lines = open(pem_path).read().strip().splitlines()
    der = base64.b64decode("".join(lines[1:-1]))
    return base64.b64encode(der[-32:])


def interop(tayori, schema, work):
    rsa_pem, rsa_txt = keygen(tayori, work, "rsa")
    ed_pem, ed_txt = keygen(tayori, work, "ed25519")
    records = {
        ("%s._domainkey.%s." % (RSA_SELECTOR, DOMAIN)).encode(): rsa_txt.encode(),
        ("%s._domainkey.%s." % (ED_SELECTOR, DOMAIN)).encode(): ed_txt.encode(),
    }

    def dnsfunc(name, timeout=5):
        return records.get(name if name.endswith(b".") else name + b".")

    def dkimpy_verdicts(msg):
        try:
            d = dkim.DKIM(msg)
        except Exception as e:
            print("  dkimpy cannot parse the message:", e)
            return []
        sigs = [h for h in d.headers if h[0].lower() == b"dkim-signature"]
        out = []
        for i in range(len(sigs)):
            try:
                out.append(bool(d.verify(idx=i, dnsfunc=dnsfunc)))
            except dkim.ValidationError:  # e.g. "body hash mismatch": a failed verification
                out.append(False)
        return out

    def tayori_verify(msg):
        return run([tayori, "dkim", "verify", "--txt", rsa_txt, "--txt", ed_txt], msg)

    messages = corpus.messages()
    check(len(messages) >= 50, "corpus has at least 50 messages (%d)" % len(messages))
    opendkim_inputs = []  # (path, expect_pass)
    signed_dir = os.path.join(work, "signed")
    os.mkdir(signed_dir)

    # 1. tayori signs, dkimpy and tayori verify.
    for n, (name, msg) in enumerate(messages):
        canon = CANONS[n % 2]
        r = run([tayori, "dkim", "sign", "--key", rsa_pem, "--domain", DOMAIN, "--selector", RSA_SELECTOR,
                 "--ed25519-key", ed_pem, "--ed25519-selector", ED_SELECTOR, "--canonicalization", canon], msg)
        check(r.returncode == 0 and r.stderr == b"", "tayori signs %s: %s" % (name, r.stderr.decode()))
        if r.returncode != 0:
            continue
        signed = r.stdout
        check(signed.endswith(msg), "%s: the signed message ends with the original" % name)
        verdicts = dkimpy_verdicts(signed)
        check(verdicts == [True, True], "dkimpy verifies tayori's Ed25519+RSA signatures of %s (%s): %s"
              % (name, canon, verdicts))
        v = tayori_verify(signed)
        check(v.returncode == 0 and v.stdout.count(b"pass ") == 2,
              "tayori verifies its own %s: %s %s" % (name, v.stdout.decode(), v.stderr.decode()))
        if strict_rfc5322(msg):
            path = os.path.join(signed_dir, "%02d_%s.eml" % (n, name))
            open(path, "wb").write(signed)
            opendkim_inputs.append((path, True))
            # The same with only the Ed25519 signature (the first field), so
            # OpenDKIM checks Ed25519 on its own too.
            ed_only = signed[:signed.index(b"\r\nDKIM-Signature: v=1; a=rsa-sha256") + 2] + msg
            path = os.path.join(signed_dir, "%02d_%s.ed25519.eml" % (n, name))
            open(path, "wb").write(ed_only)
            opendkim_inputs.append((path, True))

        # 2. Tampering fails everywhere.
        if n % 5 == 0:
            for what, tampered in tamperings(signed, msg):
                verdicts = dkimpy_verdicts(tampered)
                check(verdicts and not any(verdicts), "dkimpy rejects %s of %s: %s" % (what, name, verdicts))
                v = tayori_verify(tampered)
                check(v.returncode == 1, "tayori rejects %s of %s: exit %d %s" % (what, name, v.returncode,
                                                                                 v.stdout.decode()))
                if what == "changed body" and strict_rfc5322(msg):
                    path = os.path.join(signed_dir, "%02d_%s.tampered.eml" % (n, name))
                    open(path, "wb").write(tampered)
                    opendkim_inputs.append((path, False))

    # 3. dkimpy signs, tayori verifies.
    rsa_key = open(rsa_pem, "rb").read()
    ed_key = ed25519_seed_b64(ed_pem)
    for name, msg in messages:
        for canon in CANONS:
            c = tuple(x.encode() for x in canon.split("/"))
            for algorithm, selector, key in ((b"rsa-sha256", RSA_SELECTOR, rsa_key),
                                             (b"ed25519-sha256", ED_SELECTOR, ed_key)):
                try:
                    sig = dkim.sign(msg, selector.encode(), DOMAIN.encode(), key, canonicalize=c,
                                    signature_algorithm=algorithm)
                except Exception as e:
                    check(False, "dkimpy signs %s (%s %s): %s" % (name, canon, algorithm.decode(), e))
                    continue
                v = tayori_verify(sig + msg)
                check(v.returncode == 0, "tayori verifies dkimpy's %s %s signature of %s: %s %s"
                      % (algorithm.decode(), canon, name, v.stdout.decode(), v.stderr.decode()))

    # 4. OpenDKIM verifies tayori's signatures.
    check(len(opendkim_inputs) >= 50, "enough messages for OpenDKIM (%d)" % len(opendkim_inputs))
    opendkim(schema, work, rsa_txt, ed_txt, opendkim_inputs)


def strict_rfc5322(msg):
    """OpenDKIM (STRICTHDRS) refuses messages without Date or with a field
    RFC 5322 §3.6 allows once appearing twice; those are checked by dkimpy
    and tayori only."""
    head = msg.split(b"\r\n\r\n", 1)[0].lower()
    names = [line.split(b":", 1)[0].strip() for line in head.split(b"\r\n") if line and line[:1] not in b" \t"]
    once = [b"from", b"date", b"to", b"subject", b"message-id", b"cc", b"sender", b"reply-to"]
    return b"date" in names and b"from" in names and all(names.count(h) <= 1 for h in once)


def tamperings(signed, msg):
    head, body = signed.split(b"\r\n\r\n", 1)
    yield "changed body", head + b"\r\n\r\n" + body + b"appended line\r\n"
    lines = head.split(b"\r\n")
    for i, line in enumerate(lines):
        if line.lower().startswith(b"to:"):
            changed = lines[:i] + [line + b"x"] + lines[i + 1:]
            yield "changed To", b"\r\n".join(changed) + b"\r\n\r\n" + body
            break
    yield "second From", head + b"\r\nFrom: attacker@evil.example\r\n\r\n" + body


def opendkim(schema, work, rsa_txt, ed_txt, inputs):
    def quoted(txt):  # zone-file TXT content in explicit <=255-byte strings
        return " ".join('"%s"' % txt[i:i + 255] for i in range(0, len(txt), 255))

    db = os.path.join(work, "pdns.sqlite3")
    sql = open(schema).read() + "\n".join([
        "INSERT INTO domains (name, type) VALUES ('%s', 'NATIVE');" % DOMAIN,
        "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth) VALUES "
        "(1, '%s', 'SOA', 'ns1.%s. hostmaster.%s. 1 10800 3600 604800 3600', 300, 0, 0, 1);" % (DOMAIN, DOMAIN, DOMAIN),
        "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth) VALUES "
        "(1, '%s._domainkey.%s', 'TXT', '%s', 300, 0, 0, 1);" % (RSA_SELECTOR, DOMAIN, quoted(rsa_txt)),
        "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth) VALUES "
        "(1, '%s._domainkey.%s', 'TXT', '%s', 300, 0, 0, 1);" % (ED_SELECTOR, DOMAIN, quoted(ed_txt)),
    ]) + "\n"
    r = run(["sqlite3", db], sql.encode())
    check(r.returncode == 0, "sqlite3 fills the pdns database: %s" % r.stderr.decode())
    ns_dir = os.path.join(work, "ns")
    os.mkdir(ns_dir)
    r = run(["unshare", "--net", "--mount", os.path.join(HERE, "opendkim_ns.sh"), ns_dir, db,
             "%s._domainkey.%s" % (RSA_SELECTOR, DOMAIN)] + [p for p, _ in inputs])
    check(r.returncode == 0, "opendkim_ns.sh ran: exit %d %s" % (r.returncode, r.stderr.decode()))
    results = {}
    for line in r.stdout.decode().splitlines():
        path, _, verdict = line.partition("\t")
        results[path] = verdict.strip()
    for path, expect_pass in inputs:
        verdict = results.get(path)
        name = os.path.basename(path)
        if expect_pass:
            check(verdict == "PASS", "opendkim-testmsg passes %s (stderr must be empty): %s" % (name, verdict))
        else:
            check(verdict not in (None, "PASS"), "opendkim-testmsg rejects %s: %s" % (name, verdict))
    passed = sum(1 for p, _ in inputs if results.get(p) == "PASS")
    print("opendkim-testmsg: %d messages, %d passed, %d expected to pass" %
          (len(inputs), passed, sum(1 for _, e in inputs if e)))


if __name__ == "__main__":
    main()
