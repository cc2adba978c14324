#!/usr/bin/python3
"""Integration: `tayori subscribers import` and `tayori suppress import` read
CSV the same way (engine/csv/reader.h, engine/cli/csv_import.h): a byte order
mark is skipped, quoted fields may span lines, every refused row is reported
as FILE:LINE: reason while the good rows are imported, and any refusal makes
the exit code 2. Runs the real binary against the private MariaDB of
scripts/services (root over its socket); a missing service fails the test.

usage: import_cli_test.py /path/to/tayori
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from clitest import check, env, Mariadb, failures  # noqa: E402

TAYORI = sys.argv[1]


SOCKET = env("TAYORI_TEST_MYSQL_SOCKET")
DB = f"t_csv_import_cli_{os.getpid()}"
MARIADB = Mariadb(DB)


def sql(query, db=DB):
    return MARIADB.sql(query, db=db)


def run(*args):
    p = subprocess.run([TAYORI, *args], capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def subscribers(tmp):
    csv = os.path.join(tmp, "excel.csv")
    name_255 = "名" * 255
    rows = [
        b"\xef\xbb\xbfemail,name,city",                     # 1 header behind Excel's BOM
        "alice@example.com,Alice,東京".encode(),             # 2
        f"bob@example.com,{name_255}x,Osaka".encode(),       # 3 256 characters: too long for display_name
        b"carol@example.com,Bad \xff name,Kyoto",            # 4 invalid UTF-8
        b"dave@example.com,Dave",                            # 5 a column missing
        b"not-an-address,Nobody,Nara",                       # 6 invalid address
        b"erin@example.com,\"Erin\r\nSmith\",Kobe",          # 7-8 a line break in a name
        b"x" * 70000,                                         # 9 longer than the record limit
        b",,",                                                # 10 an empty spreadsheet row: nothing to report
        f"frank@example.com,{name_255},\"Sapporo, Hokkaido\"".encode(),  # 11 exactly 255 characters
        b"",                                                  # 12 empty line
        b"grace@example.com,\"Grace",                         # 13 unclosed quote...
        b"heidi@example.com,Heidi,Sendai",                    # 14 ...swallows the rest
    ]
    write(csv, b"\r\n".join(rows) + b"\r\n")
    rc, out, err = run("subscribers", "import", "--tenant", "shop", "--list", "news", csv)
    check(rc == 2, f"subscribers import exit code {rc}: {err}")
    check("imported 2 rows (2 new list members)" in out and "7 rows rejected" in out, f"summary: {out}")
    expect = {
        3: "name: 256 characters, longer than the 255 of subscribers.display_name",
        4: "name: contains invalid UTF-8",
        5: "2 fields where the header has 3",
        6: "not-an-address",
        7: "(the record spans lines 7 to 8)",
        9: "record longer than 65536 bytes",
        13: "unclosed quote",
    }
    lines = [l for l in err.splitlines() if l.startswith(f"tayori: subscribers import: {csv}:")]
    check(len(lines) == len(expect), f"one line per refused row: {err}")
    for line_no, text in expect.items():
        check(any(l.startswith(f"tayori: subscribers import: {csv}:{line_no}: ") and text in l for l in lines),
              f"line {line_no} reported with '{text}': {err}")
    check(f"7 rows of {csv} were rejected" in err, f"final error: {err}")
    got = sql("SELECT email, CHAR_LENGTH(display_name), JSON_VALUE(fields, '$.city') FROM subscribers ORDER BY email")
    check(got == "alice@example.com\t5\t東京\nfrank@example.com\t255\tSapporo, Hokkaido\n", f"stored rows: {got!r}")

    # Header problems refuse the file before anything is imported.
    bad = os.path.join(tmp, "bad-header.csv")
    write(bad, b"name,email\r\nx,a@example.com\r\n")
    rc, _, err = run("subscribers", "import", "--tenant", "shop", "--list", "news", bad)
    check(rc == 2 and f"{bad}:1: header: the first column must be 'email'" in err, f"bad header: {rc} {err}")
    write(bad, b'"email,name\r\n')
    rc, _, err = run("subscribers", "import", "--tenant", "shop", "--list", "news", bad)
    check(rc == 2 and f"{bad}:1: header: unclosed quote" in err, f"unclosed header: {rc} {err}")

    # More than 100 refusals: the first 100 are shown, then a count; still exit 2.
    many = os.path.join(tmp, "many.csv")
    write(many, b"email\n" + b"".join(b"bad%d\n" % i for i in range(105)) + b"ok@example.com\n")
    rc, out, err = run("subscribers", "import", "--tenant", "shop", "--list", "news", many)
    check(rc == 2 and "imported 1 rows" in out and "105 rows rejected" in out, f"many: {rc} {out}")
    check(err.count(f"{many}:") == 100 and "5 more rejected rows not shown" in err, f"many errors: {err}")

    # A clean file: exit 0.
    ok = os.path.join(tmp, "ok.csv")
    write(ok, "\ufeffemail,name\nivan@example.com,\"Ivan, the \"\"Terrible\"\"\"\n".encode())
    rc, out, err = run("subscribers", "import", "--tenant", "shop", "--list", "news", ok)
    check(rc == 0 and "imported 1 rows" in out and err == "", f"clean import: {rc} {out} {err}")
    got = sql("SELECT display_name FROM subscribers WHERE email = 'ivan@example.com'")
    check(got == 'Ivan, the "Terrible"\n', f"quoted name: {got!r}")


def suppressions(tmp):
    csv = os.path.join(tmp, "suppress.csv")
    write(csv, b"\xef\xbb\xbfemail,reason\r\n"           # 1 header behind a BOM
               b"judy@example.com,bounced\r\n"            # 2
               b"# exported 2024-05-01\r\n"               # 3 comment
               b"\"kim@example.com\"\r\n"                 # 4 quoted
               b"\"two\r\nlines@example.com\",x\r\n"      # 5-6 refused, spanning lines
               b"bad \xff@example.com\r\n"                # 7 invalid UTF-8
               b"leo@example.com,\"unclosed\r\n"          # 8 unclosed quote to the end
               b"mallory@example.com\r\n")
    rc, out, err = run("suppress", "import", "--tenant", "shop", csv)
    check(rc == 2, f"suppress import exit code {rc}: {err}")
    check("imported 2 addresses (2 new suppressions)" in out and "3 rows rejected" in out, f"summary: {out}")
    check(f"{csv}:5: " in err and "(the record spans lines 5 to 6)" in err, f"spanning row: {err}")
    check(f"{csv}:7: " in err and "UTF-8" in err, f"invalid UTF-8: {err}")
    check(f"{csv}:8: unclosed quote" in err, f"unclosed quote: {err}")
    check(err.count("tayori: suppress import: ") == 4, f"three rows and the final line: {err}")
    got = sql("SELECT email FROM suppressions WHERE source = 'csv import' ORDER BY email")
    check(got == "judy@example.com\nkim@example.com\n", f"suppressed: {got!r}")


def main():
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "tayori.toml")
    with open(config, "w") as f:
        f.write(f'[database]\nsocket = "{SOCKET}"\nuser = "root"\nname = "{DB}"\n\n[logging]\nlevel = "warn"\n')
    os.environ["TAYORI_CONFIG"] = config
    sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        db="")
    try:
        for args in (["db", "migrate"], ["tenant", "add", "shop", "--name", "Shop", "--sender-id", "shop01"],
                     ["list", "add", "news", "--tenant", "shop", "--name", "News"]):
            rc, _, err = run(*args)
            assert rc == 0, f"{args}: {err}"
        subscribers(tmp)
        suppressions(tmp)
    finally:
        sql(f"DROP DATABASE IF EXISTS {DB}", db="")
    if failures:
        sys.exit(f"{len(failures)} checks failed")
    print("import_cli_test: ok")


main()
