#!/usr/bin/python3
"""The measuring side of `scripts/bench campaign-rows`: what MariaDB spends on
the engine's writes to campaign rows, in the `campaigns` table as migrated and
in a copy shaped as before migration 0007 (DYNAMIC rows, claimed_by VARCHAR).

Each shape gets ROWS scheduled campaigns of the reference template (inline, as
the web app writes them), all pages flushed; then, per 100 campaigns, the
engine's statements in their own transactions: the claim, the expansion's
progress, three counter updates, the finish. After the pages written since
are flushed too: the server's CPU time (every thread, the page cleaner and
purge included), redo bytes and pages written, per campaign.

    bench_campaign_rows.py SOCKET DATABASE MARIADBD_PID TEMPLATE_DIR ROWS ROUNDS
"""
import os
import subprocess
import sys
import time

SOCKET, DB, PID, TEMPLATES, ROWS, ROUNDS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
HZ = os.sysconf("SC_CLK_TCK")
BATCH = 100


def sql(text, db=DB):
    out = subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={SOCKET}", "-N", "-B", db],
                         input=text, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench_campaign_rows: mariadb failed: {out.stderr.strip()}")
    return out.stdout


def quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def status():
    vals = dict(line.split("\t") for line in sql("SHOW GLOBAL STATUS WHERE Variable_name IN "
                                                 "('Innodb_lsn_current','Innodb_pages_written')").splitlines())
    with open(f"/proc/{PID}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / HZ  # utime + stime
    return int(vals["Innodb_lsn_current"]), int(vals["Innodb_pages_written"]), cpu


def settle():
    """Until the buffer pool has (almost) no dirty page, so what a run dirties
    is flushed, and counted, within it."""
    sql("SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0, GLOBAL innodb_max_dirty_pages_pct = 0")
    for _ in range(600):
        dirty = int(sql("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'").split()[1])
        if dirty < 10:
            break
        time.sleep(0.1)
    else:
        sys.exit("bench_campaign_rows: dirty pages were not flushed within 60 s")
    sql("SET GLOBAL innodb_max_dirty_pages_pct = 90")


def fill(table, first_id):
    subject, text, html = (open(f"{TEMPLATES}/{n}.mustache", encoding="utf-8").read()
                           for n in ("subject", "text", "html"))
    content = f"{quote(subject)}, {quote(text)}, {quote(html)}"
    stmts = []
    for b in range(0, ROWS, BATCH):
        values = ",".join(f"({first_id + i}, 1, 1, 1, 'news@shop.example', {content}, 'scheduled', UTC_TIMESTAMP(6))"
                          for i in range(b, min(b + BATCH, ROWS)))
        stmts.append(f"INSERT INTO {table} (id, tenant_id, list_id, sender_domain_id, from_address, subject_template, "
                     f"text_template, html_template, state, scheduled_at) VALUES {values};")
    sql("\n".join(stmts))


def engine_writes(table, first_id):
    """The statements of engine/store/campaigns.cpp and deliveries.cpp that
    touch a campaign row on its way from scheduled to sent."""
    stmts = []
    for b in range(0, ROWS, BATCH):
        ids = ",".join(str(first_id + i) for i in range(b, min(b + BATCH, ROWS)))
        stmts.append(f"BEGIN; UPDATE {table} SET state = 'sending', state_reason = NULL, claimed_by = 'engine-1', "
                     f"claimed_until = UTC_TIMESTAMP(6) + INTERVAL 300 SECOND, "
                     f"started_at = COALESCE(started_at, UTC_TIMESTAMP(6)) WHERE id IN ({ids}); COMMIT;")
        stmts.append(f"BEGIN; UPDATE {table} SET expand_cursor = 10, total_count = total_count + 10, "
                     f"suppressed_count = suppressed_count + 0, expanded = 1, claimed_until = UTC_TIMESTAMP(6) "
                     f"WHERE id IN ({ids}); COMMIT;")
        for _ in range(3):
            stmts.append(f"BEGIN; UPDATE {table} SET sent_count = sent_count + 3 WHERE id IN ({ids}); COMMIT;")
        stmts.append(f"BEGIN; UPDATE {table} SET state = 'sent', finished_at = UTC_TIMESTAMP(6), claimed_by = NULL, "
                     f"claimed_until = NULL WHERE id IN ({ids}); COMMIT;")
    sql("\n".join(stmts))


def main():
    # One shop, list and domain for the foreign keys; the copy has none.
    sql("INSERT INTO tenants (id, slug, name, sender_id) VALUES (1, 'shop', 'Shop', 'shop-1');"
        "INSERT INTO lists (id, tenant_id, slug, name) VALUES (1, 1, 'news', 'News');"
        "INSERT INTO sender_domains (id, tenant_id, domain, mode, key_host, state) "
        "VALUES (1, 1, 'shop.example', 'hosted', 'shop.example', 'verified');"
        "CREATE TABLE campaigns_before_0007 LIKE campaigns;"
        "ALTER TABLE campaigns_before_0007 ROW_FORMAT=DYNAMIC, "
        "MODIFY claimed_by VARCHAR(128) NULL COMMENT 'as in migration 0001';")
    shapes = [("before 0007 (DYNAMIC, claimed_by VARCHAR)", "campaigns_before_0007"),
              ("as migrated (REDUNDANT, claimed_by CHAR ascii)", "campaigns")]
    for r in range(ROUNDS):
        for name, table in shapes:
            first = 1 + r * ROWS
            fill(table, first)
            settle()
            lsn0, pages0, cpu0 = status()
            engine_writes(table, first)
            settle()
            lsn1, pages1, cpu1 = status()
            print(f"{name}: {ROWS} campaigns, per campaign {(cpu1 - cpu0) * 1e6 / ROWS:.0f} us of server CPU, "
                  f"{(lsn1 - lsn0) / 1024 / ROWS:.2f} KB of redo, {(pages1 - pages0) / ROWS:.2f} pages written",
                  flush=True)


main()
