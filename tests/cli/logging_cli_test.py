#!/usr/bin/python3
"""Logs under systemd: with stderr being the journal stream ($JOURNAL_STREAM
names its device:inode, as systemd sets it) every line starts with its syslog
priority ("<6>" info, "<3>" error …) and leaves the timestamp to journald;
with stderr elsewhere (the variable inherited, the stream not) lines are
plain; `logging.priority_prefix` forces either; JSON lines stay JSON after
the prefix. Runs `tayori serve-unsubscribe` against the private MariaDB of
scripts/services (a missing service fails the test).

usage: logging_cli_test.py /path/to/tayori
"""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, failures  # noqa: E402

TAYORI = sys.argv[1]


SOCKET = os.environ.get("TAYORI_TEST_MYSQL_SOCKET")
if not SOCKET:
    sys.exit("FAIL: TAYORI_TEST_MYSQL_SOCKET is not set: start the private MariaDB (scripts/services) first")

TMP = tempfile.mkdtemp()


def config(name, logging):
    path = os.path.join(TMP, name + ".toml")
    with open(path, "w") as f:
        f.write(f"""[database]
socket = "{SOCKET}"
user = "root"
name = "mysql"
[unsubscribe]
base_url = "http://127.0.0.1/u/"
active_key_id = "k1"
[[unsubscribe.keys]]
id = "k1"
secret_env = "TAYORI_TEST_LOG_UNSUB"
[http]
port = 0
[admin]
port = 0
[logging]
{logging}
""")
    return path


def serve(cfg, journal):
    """stderr of a short serve-unsubscribe run; `journal`: JOURNAL_STREAM names
    the file stderr goes to (True), another inode (False), or is unset (None)."""
    err_path = os.path.join(TMP, "stderr-%d" % time.monotonic_ns())
    with open(err_path, "w") as err:
        env = dict(os.environ, TAYORI_TEST_LOG_UNSUB=base64.b64encode(b"k" * 32).decode())
        env.pop("JOURNAL_STREAM", None)
        st = os.fstat(err.fileno())
        if journal is True:
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        elif journal is False:
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino + 1}"
        p = subprocess.Popen([TAYORI, "-c", cfg, "serve-unsubscribe"], stdout=subprocess.PIPE, stderr=err,
                             env=env, text=True)
        p.stdout.readline()
        p.stdout.readline()
        p.send_signal(signal.SIGTERM)
        check(p.wait(10) == 0, f"serve-unsubscribe exit {p.returncode}")
    with open(err_path) as f:
        return [l for l in f.read().splitlines() if l]


def main():
    text = config("text", 'level = "info"')
    lines = serve(text, journal=True)
    check(lines and all(re.match(r"^<[3467]>(debug|info|warn|error) ", l) for l in lines),
          f"under journald every line starts with its priority: {lines}")
    check(any(l.startswith("<6>info http: listening") for l in lines), f"info is <6>: {lines}")
    check(not any(re.search(r"\d{4}-\d\d-\d\dT", l) for l in lines), f"journald keeps the time: {lines}")

    lines = serve(text, journal=False)
    check(lines and all(re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z info ", l) for l in lines),
          f"stderr not the journal (variable inherited): plain timestamped lines: {lines}")
    lines = serve(text, journal=None)
    check(lines and not any(l.startswith("<") for l in lines), f"no journal: no prefix: {lines}")

    lines = serve(config("on", 'priority_prefix = "on"'), journal=None)
    check(lines and all(l.startswith("<6>") for l in lines), f"priority_prefix = on: {lines}")
    lines = serve(config("off", 'priority_prefix = "off"'), journal=True)
    check(lines and not any(l.startswith("<") for l in lines), f"priority_prefix = off: {lines}")

    lines = serve(config("json", 'format = "json"'), journal=True)
    ok = bool(lines)
    for l in lines:
        m = re.match(r"^<(\d)>(\{.*\})$", l)
        ok = ok and bool(m) and json.loads(m.group(2))["level"] in ("info", "warn", "error", "debug")
    check(ok, f"JSON lines after the prefix: {lines}")

    # A failure before any [logging] is read is an error to journald too.
    bad = os.path.join(TMP, "bad.toml")
    with open(bad, "w") as f:
        f.write("[engine]\npoll_interval_ms = -5\n")
    with open(os.path.join(TMP, "bad.err"), "w") as err:
        st = os.fstat(err.fileno())
        rc = subprocess.run([TAYORI, "-c", bad, "db", "status"], stderr=err, stdout=subprocess.DEVNULL,
                            env=dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")).returncode
    with open(os.path.join(TMP, "bad.err")) as f:
        out = f.read()
    check(rc == 2 and out.startswith("<3>tayori: db status: ") and "poll_interval_ms" in out,
          f"config error under journald: {rc} {out!r}")
    rc = subprocess.run([TAYORI, "config", "check", config("badprefix", 'priority_prefix = "sometimes"')],
                        capture_output=True, text=True)
    check(rc.returncode == 2 and "logging.priority_prefix: 'sometimes' is not one of: auto, on, off" in rc.stderr,
          f"bad priority_prefix named: {rc.stderr!r}")

    if failures:
        sys.exit(f"{len(failures)} checks failed")
    print("logging_cli_test: ok")


if __name__ == "__main__":
    main()
