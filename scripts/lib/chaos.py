#!/usr/bin/python3
"""The chaos run behind scripts/chaos: one private MariaDB, the fault relay,
several `tayori run` instances and one large campaign; faults injected at
random moments while it sends; at the end every delivery must be in exactly
one terminal state, none lost, and duplicates within the documented bound
(docs/engine.md, "Crash safety and the duplicate bound").

Faults: kill -9 an engine and restart it (same name), SIGTERM one and restart
it, SIGSTOP the database for a while then SIGCONT, restart the database, kill
the relay and restart it on the same port, make the relay answer garbage
(a line that is not SMTP, then close) or Latin-1 text for a while.

Usage (scripts/chaos sets the environment up):
    chaos.py TAYORI_BINARY --recipients N --faults K [--instances 3] [--seed S]
Environment: TAYORI_RUN_DIR (the private services), TAYORI_TEST_MYSQL_SOCKET.
Prints the figures and exits 0 when every check holds, 1 otherwise.
"""
import argparse
import base64
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TERMINAL = {"sent", "failed", "bounced", "suppressed", "expired", "unknown", "cancelled"}
CONNECTIONS = 4          # relays.max_connections below
FLUSH_BATCH = 500        # outcomes flushed every 100 ms or every 500


class Chaos:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.tayori = args.binary
        self.run_dir = os.environ["TAYORI_RUN_DIR"]
        self.socket = os.environ["TAYORI_TEST_MYSQL_SOCKET"]
        self.dir = tempfile.mkdtemp(prefix="tayori-chaos-")
        self.db = f"chaos_{os.getpid()}"
        self.env = dict(os.environ, TAYORI_KEK=base64.b64encode(os.urandom(32)).decode(),
                        TAYORI_UNSUB_KEY_K1=base64.b64encode(os.urandom(32)).decode(),
                        TAYORI_VERP_KEY="chaos-verp-key")
        self.relay_log = os.path.join(self.dir, "relay.jsonl")
        self.mode_file = os.path.join(self.dir, "relay-mode")
        self.relay_proc = None
        self.relay_port = 0
        self.engines = {}     # name -> Popen
        self.faults = collections.Counter()
        self.kills = 0        # crashes (kill -9) of engines: each allows its duplicate bound

    # ---- plumbing -----------------------------------------------------------

    def log(self, text):
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def mysql(self, sql, db=None):
        for attempt in range(60):
            out = subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-N", "-B",
                                  db if db is not None else self.db, "-e", sql], capture_output=True, text=True)
            if out.returncode == 0:
                return [line.split("\t") for line in out.stdout.splitlines()]
            time.sleep(1)  # the database may be restarting or frozen by a fault
        raise RuntimeError(f"mariadb: {out.stderr}")

    def cli(self, *args):
        out = subprocess.run([self.tayori, "-c", self.config, *args], capture_output=True, text=True, env=self.env)
        if out.returncode != 0:
            raise RuntimeError(f"tayori {' '.join(args)}: {out.stderr}")
        return out.stdout

    def start_relay(self):
        cmd = ["/usr/bin/python3", os.path.join(ROOT, "tests/tools/fault_relay.py"), "--log", self.relay_log,
               "--mode-file", self.mode_file, "--port", str(self.relay_port)]
        self.relay_proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.relay_proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"fault relay did not start: {line!r}")
        self.relay_port = int(line.split()[1])

    def stop_relay(self, hard=False):
        if self.relay_proc and self.relay_proc.poll() is None:
            if hard:
                self.relay_proc.kill()
            else:
                self.relay_proc.terminate()
            self.relay_proc.wait(20)

    def start_engine(self, name):
        log = open(os.path.join(self.dir, f"engine-{name}.log"), "a")
        p = subprocess.Popen([self.tayori, "-c", self.config, "run", "--instance", name], stdout=log,
                             stderr=subprocess.STDOUT, env=self.env)
        self.engines[name] = p
        return p

    def services(self, action, service):
        subprocess.run([os.path.join(ROOT, "scripts/services"), action, service], check=True, capture_output=True,
                       env=dict(os.environ, TAYORI_RUN_DIR=self.run_dir))

    def mariadbd_pid(self):
        with open(os.path.join(self.run_dir, "mariadb", "pid")) as f:
            return int(f.read().strip())

    def accepted(self):
        if not os.path.exists(self.relay_log):
            return []
        with open(self.relay_log) as f:
            return [json.loads(l) for l in f if l.strip()]

    # ---- the run --------------------------------------------------------------

    def setup(self):
        self.mysql(f"DROP DATABASE IF EXISTS {self.db}; CREATE DATABASE {self.db}", db="")
        with open(self.mode_file, "w") as f:
            f.write("")
        self.start_relay()
        self.config = os.path.join(self.dir, "tayori.toml")
        with open(self.config, "w") as f:
            f.write(f"""
[database]
socket = "{self.socket}"
user = "root"
password_env = ""
name = "{self.db}"
[[relays]]
name = "fault"
host = "127.0.0.1"
port = {self.relay_port}
tls = "none"
max_connections = {CONNECTIONS}
connect_timeout_s = 2
command_timeout_s = 5
[envelope]
return_path = "bounces+{{delivery_id}}.{{mac}}@bounce.platform.example"
mac_key_env = "TAYORI_VERP_KEY"
[rate_limits]
global_per_second = {self.args.rate}
global_burst = 50
default_per_second = 1000
default_burst = 100
default_max_connections = 8
[retry]
initial_backoff_s = 1
max_backoff_s = 3
[engine]
poll_interval_ms = 200
lease_s = 6
batch_size = 200
drain_timeout_s = 5
[unsubscribe]
base_url = "https://unsubscribe.platform.example/u/"
active_key_id = "k1"
[[unsubscribe.keys]]
id = "k1"
secret_env = "TAYORI_UNSUB_KEY_K1"
# The readiness checks need DNS for the shop domains; none here.
[readiness]
interval_s = 0
mandatory = []
[http]
port = 0
[admin]
port = 0
""")
        self.cli("db", "migrate")
        self.cli("tenant", "add", "chaos", "--name", "Chaos Shop", "--sender-id", "chaos-id")
        self.cli("list", "add", "news", "--tenant", "chaos", "--name", "News")
        self.cli("domain", "add", "chaos.platform.example", "--tenant", "chaos", "--mode", "hosted")
        self.cli("domain", "verify", "chaos.platform.example", "--manual")
        csv = os.path.join(self.dir, "list.csv")
        with open(csv, "w") as f:
            f.write("email,name\n")
            for i in range(self.args.recipients):
                f.write(f"reader{i}@d{i % 17}.example,Reader {i}\n")
        self.cli("subscribers", "import", "--tenant", "chaos", "--list", "news", csv)
        out = self.cli("campaign", "create", "--tenant", "chaos", "--list", "news", "--from",
                       "news@chaos.platform.example", "--subject", "Chaos {{subscriber.name}}", "--text",
                       os.path.join(ROOT, "tests/daemon/body.txt"))
        self.campaign = int(out.split()[1])
        self.cli("campaign", "schedule", str(self.campaign))

    def states(self):
        return dict((s, int(n)) for s, n in self.mysql(
            f"SELECT state, COUNT(*) FROM deliveries WHERE campaign_id = {self.campaign} GROUP BY state"))

    def finished(self):
        s = self.states()
        return sum(s.values()) == self.args.recipients and not (set(s) - TERMINAL)

    def inject(self):
        kinds = ["kill9", "sigterm", "db_freeze", "db_restart", "relay_kill", "relay_garbage", "relay_latin"]
        kind = self.rng.choice(kinds)
        name = self.rng.choice(sorted(self.engines))
        self.faults[kind] += 1
        if kind == "kill9":
            self.log(f"fault: kill -9 {name}, restart it")
            self.engines[name].kill()
            self.engines[name].wait()
            self.kills += 1
            time.sleep(self.rng.uniform(0, 2))
            self.start_engine(name)
        elif kind == "sigterm":
            self.log(f"fault: SIGTERM {name} (drain), restart it")
            self.engines[name].send_signal(signal.SIGTERM)
            self.engines[name].wait(60)
            self.start_engine(name)
        elif kind == "db_freeze":
            secs = self.rng.uniform(3, 12)
            self.log(f"fault: SIGSTOP mariadbd for {secs:.1f} s")
            pid = self.mariadbd_pid()
            os.kill(pid, signal.SIGSTOP)
            try:
                time.sleep(secs)
            finally:
                os.kill(pid, signal.SIGCONT)
        elif kind == "db_restart":
            self.log("fault: restart MariaDB")
            self.services("stop", "mariadb")
            time.sleep(self.rng.uniform(0.5, 3))
            self.services("start", "mariadb")
        elif kind == "relay_kill":
            self.log("fault: kill the relay mid-transaction, restart it on the same port")
            self.stop_relay(hard=True)
            time.sleep(self.rng.uniform(0.5, 3))
            self.start_relay()
        else:
            mode = "garbage" if kind == "relay_garbage" else "latin"
            secs = self.rng.uniform(1, 4)
            self.log(f"fault: the relay answers {mode} for {secs:.1f} s")
            with open(self.mode_file, "w") as f:
                f.write(mode)
            time.sleep(secs)
            with open(self.mode_file, "w") as f:
                f.write("")

    def run(self):
        t0 = time.time()
        self.setup()
        self.log(f"campaign {self.campaign}: {self.args.recipients} recipients, {self.args.instances} engines, "
                 f"{self.args.faults} faults (seed {self.args.seed}); work in {self.dir}")
        for i in range(self.args.instances):
            self.start_engine(f"chaos{i}")
        # Faults spread over the sending time the rate allows.
        expected = self.args.recipients / self.args.rate
        for k in range(self.args.faults):
            time.sleep(self.rng.uniform(0.3, 1.0) * expected / max(1, self.args.faults))
            if self.finished():
                self.log("campaign finished before every fault was injected")
                break
            self.inject()
        deadline = time.time() + max(300, 4 * expected)
        while not self.finished():
            if time.time() > deadline:
                break
            for name, p in list(self.engines.items()):
                if p.poll() is not None:
                    self.log(f"engine {name} exited with {p.returncode}; restarting it")
                    self.start_engine(name)
            time.sleep(1)
        for p in self.engines.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.engines.values():
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
        self.stop_relay()
        return self.check(time.time() - t0)

    def check(self, elapsed):
        failures = []
        states = self.states()
        rows = self.mysql(f"SELECT email, state FROM deliveries WHERE campaign_id = {self.campaign}")
        state_of = {e: s for e, s in rows}
        total = sum(states.values())
        if total != self.args.recipients:
            failures.append(f"{total} deliveries for {self.args.recipients} recipients (lost or extra rows)")
        open_states = set(states) - TERMINAL
        if open_states:
            failures.append(f"deliveries not in a terminal state: {({s: states[s] for s in open_states})}")
        got = collections.Counter(m["rcpt"] for m in self.accepted())
        phantom = [e for e, s in state_of.items() if s == "sent" and got[e] == 0]
        if phantom:
            failures.append(f"{len(phantom)} deliveries 'sent' the relay never accepted, e.g. {phantom[:3]}")
        accepted_but = [e for e in got if state_of.get(e) not in ("sent", "unknown")]
        if accepted_but:
            failures.append(f"{len(accepted_but)} accepted by the relay but recorded otherwise, e.g. "
                            f"{[(e, state_of.get(e)) for e in accepted_but[:3]]}")
        duplicates = sum(c - 1 for c in got.values())
        # Per crash: the messages with the relay (2 x connections per instance)
        # plus outcomes not yet flushed (at most one batch) plus the flush being
        # written. Faults other than kill -9 allow none.
        bound = self.kills * (2 * CONNECTIONS + 2 * FLUSH_BATCH)
        if duplicates > bound:
            failures.append(f"{duplicates} duplicates exceed the bound {bound} for {self.kills} crashes")
        print()
        print(f"chaos: {self.args.recipients} recipients, {self.args.instances} engines, {elapsed:.0f} s")
        print(f"chaos: faults injected: {sum(self.faults.values())} ({', '.join(f'{k} {v}' for k, v in sorted(self.faults.items()))})")
        print(f"chaos: deliveries by state: {dict(sorted(states.items()))}")
        print(f"chaos: accepted by the relay: {sum(got.values())} messages to {len(got)} recipients; "
              f"duplicates {duplicates} (bound {bound} for {self.kills} crashes)")
        for f in failures:
            print(f"chaos: FAIL: {f}")
        if failures:
            print(f"chaos: logs kept in {self.dir}")
            return 1
        self.mysql(f"DROP DATABASE IF EXISTS {self.db}", db="")
        subprocess.run(["rm", "-rf", self.dir])
        print("chaos: every delivery in exactly one terminal state, none lost, duplicates within the bound")
        return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--recipients", type=int, default=20000)
    p.add_argument("--faults", type=int, default=12)
    p.add_argument("--instances", type=int, default=3)
    p.add_argument("--rate", type=float, default=250.0)
    p.add_argument("--seed", type=int, default=int(time.time()))
    args = p.parse_args()
    chaos = Chaos(args)
    try:
        sys.exit(chaos.run())
    finally:
        for p in chaos.engines.values():
            if p.poll() is None:
                p.kill()
        chaos.stop_relay(hard=True)
        try:
            os.kill(chaos.mariadbd_pid(), signal.SIGCONT)  # never leave it frozen
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    main()
