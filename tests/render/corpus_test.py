#!/usr/bin/python3
"""Renders a corpus of messages with `tayori render` and checks each with
Python's email package (policy.default): no defects, and the decoded From,
To, Subject and body parts equal the input. Also checks line ends and
lengths, the golden messages, header-injection rejection and exit codes.

Usage: corpus_test.py PATH/TO/tayori   (run by ctest from the source root)
Fails (never skips) when anything is missing.
"""
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import tempfile

SECRET = "cHJldmlldy1vbmx5LXNlY3JldC1ub3QtZm9yLXJlYWwtbWFpbA=="
failures = []
checks = 0


def fail(case, why):
    failures.append(f"{case}: {why}")


def html_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
             .replace('"', "&quot;").replace("'", "&#39;"))


def base_vars():
    return {
        "from": "Shop <news@shop.example>",
        "shop": {"id": 1, "sender_id": "shop001", "fields": {"name": "Shop"}},
        "list": {"id": 2, "slug": "news", "name": "News"},
        "campaign": {"id": 3, "fields": {}},
        "subscriber": {"id": 4, "email": "taro@example.jp", "name": "Taro", "fields": {}},
        "unsubscribe": {"base_url": "https://u.example/u/", "key_id": "k1", "secret": SECRET},
        "date": "2025-02-13T09:30:00+09:00",
        "random_seed": 7,
    }


def run(tayori, tmp, name, templates, vars_):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    for fname, text in templates.items():
        with open(os.path.join(d, fname), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    vpath = os.path.join(d, "vars.json")
    with open(vpath, "w", encoding="utf-8") as f:
        json.dump(vars_, f, ensure_ascii=False)
    p = subprocess.run([tayori, "render", "--template", d, "--vars", vpath], capture_output=True)
    return p, d, vpath


def crlf_lf(s):
    # Text parts go out in canonical form (RFC 2046 §4.1.1): any CR, LF or
    # CRLF is a line break, so compare line breaks, not their bytes.
    return s.replace("\r\n", "\n").replace("\r", "\n")


def rfc2047_phrase(raw):
    """The display name of a raw address field decoded per RFC 2047 §6.2
    (white space between adjacent encoded-words is dropped), with
    email.header.decode_header. Python 3.11's address parser keeps that
    white space, contrary to §6.2, so names long enough to need several
    encoded-words are compared through this instead."""
    import email.header
    value = raw.split(":", 1)[1].replace("\r\n", "")
    phrase = value[:value.rfind("<")].strip()
    return "".join(b.decode(cs or "ascii") if isinstance(b, bytes) else b
                   for b, cs in email.header.decode_header(phrase))


def check_wire(case, data):
    """Line ends, line lengths, 7-bit, headers once, folding rules."""
    global checks
    checks += 1
    if not data.endswith(b"\r\n"):
        fail(case, "message does not end with CRLF")
    lines = data.split(b"\r\n")[:-1]
    for i, line in enumerate(lines):
        if b"\r" in line or b"\n" in line:
            fail(case, f"line {i + 1} has a bare CR or LF")
        if len(line) > 998:
            fail(case, f"line {i + 1} is {len(line)} octets (> 998)")
        if any(b >= 0x80 for b in line):
            fail(case, f"line {i + 1} is not 7-bit")
    head, _, body = data.partition(b"\r\n\r\n")
    hlines = head.split(b"\r\n")
    for line in hlines:
        if len(line) > 78:
            # Only an unbreakable token may make a line long: "<URI>" alone.
            rest = line.split(b": ", 1)[1] if line[:1] not in (b" ", b"\t") else line.strip()
            if not (rest.startswith(b"<") and rest.rstrip(b",").endswith(b">") and b" " not in rest):
                fail(case, f"header line over 78 characters that could fold: {line[:90]!r}")
        if b"=?" in line and len(line) > 76:
            fail(case, f"header line with encoded-words over 76: {line[:90]!r}")
    for word in [w for l in hlines for w in l.split(b" ") if w.startswith(b"=?")]:
        if len(word.rstrip(b",")) > 75:
            fail(case, f"encoded-word over 75 characters: {word!r}")
    names = [l.split(b":", 1)[0].lower() for l in hlines if l[:1] not in (b" ", b"\t")]
    for once in [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
                 b"list-unsubscribe", b"list-unsubscribe-post", b"list-id", b"feedback-id"]:
        if names.count(once) != 1:
            fail(case, f"header {once.decode()} appears {names.count(once)} times")
    if b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" not in head + b"\r\n":
        fail(case, "List-Unsubscribe-Post missing or wrong")
    in_part_headers = False
    for line in body.split(b"\r\n"):
        if line.startswith(b"--=_"):
            in_part_headers = True
            continue
        if in_part_headers:
            if line == b"":
                in_part_headers = False
            continue
        if len(line) > 76:
            fail(case, f"encoded body line over 76: {line[:80]!r}")


def check_parsed(case, data, expect):
    global checks
    checks += 1
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if msg.defects:
        fail(case, f"message defects: {msg.defects}")
    for h in msg.keys():
        d = getattr(msg[h], "defects", ())
        if d:
            fail(case, f"header {h} defects: {d}")
    for part in msg.walk():
        if part.defects:
            fail(case, f"part {part.get_content_type()} defects: {part.defects}")
    if "subject" in expect and str(msg["Subject"]) != expect["subject"]:
        fail(case, f"Subject {str(msg['Subject'])!r} != {expect['subject']!r}")
    for field in ("from", "to"):
        if field in expect:
            addrs = msg[field].addresses
            want_name, want_addr = expect[field]
            if len(addrs) != 1:
                fail(case, f"{field}: {len(addrs)} addresses")
                continue
            got_name = addrs[0].display_name
            unfolded = data.decode("ascii").split("\r\n\r\n")[0].replace("\r\n ", " ")
            raw = [l for l in unfolded.split("\r\n") if l.lower().startswith(field + ":")][0]
            if len(re.findall(r"=\?UTF-8\?[BQ]\?[^?]*\?=", raw)) > 1:
                got_name = rfc2047_phrase(raw)
            if got_name != want_name:
                fail(case, f"{field} display name {got_name!r} != {want_name!r}")
            if addrs[0].addr_spec != want_addr:
                fail(case, f"{field} address {addrs[0].addr_spec!r} != {want_addr!r}")
    domain = msg["From"].addresses[0].domain
    if not str(msg["Message-ID"]).endswith("@" + domain + ">"):
        fail(case, f"Message-ID {msg['Message-ID']} not at the From domain {domain}")
    parts = {p.get_content_type(): p for p in msg.walk() if p.get_content_maintype() == "text"}
    if "text" in expect:
        if "text/plain" not in parts:
            fail(case, "no text/plain part")
        elif crlf_lf(parts["text/plain"].get_content()) != crlf_lf(expect["text"]):
            got = crlf_lf(parts["text/plain"].get_content())
            fail(case, f"text part differs: {got[:120]!r} != {crlf_lf(expect['text'])[:120]!r}")
    if "text_contains" in expect:
        got = crlf_lf(parts.get("text/plain").get_content()) if "text/plain" in parts else ""
        for s in expect["text_contains"]:
            if s not in got:
                fail(case, f"text part lacks {s!r}: {got[:200]!r}")
    if "html" in expect:
        if "text/html" not in parts:
            fail(case, "no text/html part")
        elif crlf_lf(parts["text/html"].get_content()) != crlf_lf(expect["html"]):
            fail(case, f"html part differs: {parts['text/html'].get_content()[:120]!r}")
    if expect.get("single_part") and msg.is_multipart():
        fail(case, "expected a single text/plain part")
    if not expect.get("single_part") and msg.get_content_type() != "multipart/alternative":
        fail(case, f"content type {msg.get_content_type()}")
    return msg


# ---------------------------------------------------------------------------
# The corpus: each case changes the base input and says what must come back.
# Templates put the values where the checks can see them: the subject is
# {{subscriber.s}}, the text part {{{subscriber.t}}}, the HTML part
# <p>{{subscriber.h}}</p>.
JP = "いつもご利用いただきありがとうございます。春の新作が入荷しました。"
CASES = [
    ("ascii", dict(s="Spring sale", t="Hello\nworld\n", h="Hi & bye")),
    ("japanese", dict(s="【春の新作】山田様へ特別なお知らせ", name="山田 太郎", t=JP + "\n" + JP + "\n", h=JP)),
    ("emoji", dict(s="🎉 Sale 🎉 今だけ 👍🏽", name="🌸 Hanako 🌸", t="😀\n👨‍👩‍👧 family\n", h="🎉")),
    ("subject_300_mixed", dict(s=("日本語とEnglish混在の件名 🎉 " * 20)[:300])),
    ("subject_300_ascii_words", dict(s=" ".join(["word%03d" % i for i in range(40)])[:300].strip())),
    ("subject_long_unbroken_ascii", dict(s="x" * 250)),
    ("subject_long_unbroken_japanese", dict(s="あ" * 300)),
    ("body_long_unbroken_word", dict(t="A" * 5000 + "\n", h="B" * 5000)),
    ("body_2000_char_line_ascii", dict(t=("lorem ipsum " * 170)[:2000] + "\nnext\n")),
    ("body_2000_char_line_japanese", dict(t=("長い行" * 700)[:2000] + "\n", h=("長い行" * 700)[:2000])),
    ("empty_text_part", dict(t="")),
    ("quotes_in_name", dict(name='Taro "The Boss" Yamada')),
    ("commas_in_name", dict(name="Yamada, Taro")),
    ("backslashes_in_name", dict(name="C:\\Users\\taro \\ \"x\"")),
    ("parens_and_brackets_in_name", dict(name="Taro (shop) <VIP> [1]")),
    ("colon_semicolon_at_in_name", dict(name="Re: Taro; x@y")),
    ("empty_name", dict(name="")),
    ("idn_from_domain", dict(from_=("ニュース", "news@日本.example"), from_expect=("ニュース", "news@xn--wgv71a.example"))),
    ("idn_to_domain", dict(email="hans@bücher.example", email_expect="hans@xn--bcher-kva.example")),
    ("cp1252_looking_utf8_name", dict(name="Ã©Ã¨â€™ Ren\u00e9 â€œquotedâ€\u009d")),
    ("latin_accents_q", dict(s="Café crème brûlée — ce week-end", name="René Müller")),
    ("encoded_word_lookalike_name", dict(name="=?UTF-8?B?SGk=?= literally")),
    ("encoded_word_lookalike_subject", dict(s="use =?x?= in templates")),
    ("percent_and_entity_newlines_inert", dict(s="a %0D%0A b &#13;&#10; c", name="x%0d%0aBcc: y")),
    ("double_spaces_subject", dict(s="a  b   c")),
    ("tab_in_subject", dict(s="tab\there")),
    ("subject_trimmed", dict(s="  padded  ", s_expect="padded")),
    ("korean_chinese_arabic", dict(s="안녕하세요 你好 مرحبا", name="محمد 王")),
    ("combining_and_zwj", dict(s="e\u0301 👩‍💻 \u200d", name="Zoe\u0308")),
    ("long_display_name", dict(name="長い名前の店長より愛をこめて" * 10)),
    ("long_local_part", dict(email="a" * 64 + "@example.jp")),
    ("quoted_local_part", dict(email='"john smith"@example.jp')),
    ("body_from_lines", dict(t="From the shop\nFrom here on\n>From quoted\n")),
    ("body_trailing_whitespace", dict(t="line with space \nline with tab\t\n \n")),
    ("body_boundary_lookalikes", dict(t="--=_\n--=_abc--\n=_=_\n", h="--=_ --")),
    ("html_special_chars", dict(h="<script>alert('x')</script> & \"q\"")),
    ("mixed_line_breaks", dict(t="a\r\nb\nc\rd\n")),
    ("only_emoji_subject", dict(s="🌸🌸🌸")),
    ("reply_to_quoted", dict(reply_to='"Support, Shop" <support@shop.example>')),
    ("html_only_derived_text", dict(no_text=True, h="Hello <b>you</b> &amp; <a href=\"https://x.example/\">me</a>",
                                    raw_html=True, text_contains=["Hello you & me <https://x.example/>"])),
    ("text_only_single_part", dict(no_html=True, t="Plain only\n")),
    ("shop_name_with_ampersand_in_subject", dict(subject_template="{{shop.name}} news", shop_name="Tom & Jerry's",
                                                 s_expect="Tom & Jerry's news")),
]


def build(case, spec):
    v = base_vars()
    sub = v["subscriber"]
    s = spec.get("s", "Subject")
    t = spec.get("t", "text\n")
    h = spec.get("h", "html")
    sub["fields"] = {"s": s, "t": t, "h": h}
    if "name" in spec:
        sub["name"] = spec["name"]
    if "email" in spec:
        sub["email"] = spec["email"]
    if "from_" in spec:
        v["from"] = spec["from_"][0] + " <" + spec["from_"][1] + ">"
    if "reply_to" in spec:
        v["reply_to"] = spec["reply_to"]
    if "shop_name" in spec:
        v["shop"]["fields"]["name"] = spec["shop_name"]
    templates = {"subject.mustache": spec.get("subject_template", "{{subscriber.s}}\n")}
    if not spec.get("no_text"):
        templates["text.mustache"] = "{{{subscriber.t}}}"
    if not spec.get("no_html"):
        templates["html.mustache"] = "<p>{{{subscriber.h}}}</p>" if spec.get("raw_html") else "<p>{{subscriber.h}}</p>"
    expect = {
        "subject": spec.get("s_expect", s),
        "from": spec.get("from_expect", ("Shop", "news@shop.example")) if "from_" not in spec else spec["from_expect"],
        "to": (sub["name"], spec.get("email_expect", sub["email"]).replace('"john smith"', '"john smith"')),
    }
    if not spec.get("no_text"):
        expect["text"] = t
    if "text_contains" in spec:
        expect["text_contains"] = spec["text_contains"]
    if not spec.get("no_html"):
        expect["html"] = "<p>" + (h if spec.get("raw_html") else html_escape(h)) + "</p>"
    if spec.get("no_html"):
        expect["single_part"] = True
    return templates, v, expect


# ---------------------------------------------------------------------------
# Injection: every way a variable reaches a header, every way to smuggle a
# line break. Each must exit 2 naming the variable; nothing is printed.
PAYLOADS = ["x\ry", "x\ny", "x\r\nBcc: evil@attacker.example", "x\u0000y", "x\r\n\r\nbody",
            "=?UTF-8?Q?x=0D=0ABcc:_evil@attacker.example?=", "=?utf-8?b?eA0KQmNjOiBldmls?=",
            "x\u2028y", "x\u0085y"]
INJECTION_TARGETS = [
    # (description, how to apply payload to vars/templates, text the error must contain)
    ("subscriber.name", lambda v, t, p: v["subscriber"].__setitem__("name", p), "subscriber.name (in To)"),
    ("subscriber.email", lambda v, t, p: v["subscriber"].__setitem__("email", "a" + p + "@example.jp"),
     "subscriber.email (in To)"),
    ("subscriber field in Subject", lambda v, t, p: v["subscriber"]["fields"].__setitem__("s", p),
     "subscriber.s (in Subject)"),
    ("shop field in Subject", lambda v, t, p: (v["shop"]["fields"].__setitem__("name", p),
                                               t.__setitem__("subject.mustache", "{{shop.name}}")),
     "shop.name (in Subject)"),
    ("campaign field in Subject", lambda v, t, p: (v["campaign"]["fields"].__setitem__("title", p),
                                                   t.__setitem__("subject.mustache", "{{campaign.title}}")),
     "campaign.title (in Subject)"),
    ("from display name", lambda v, t, p: v.__setitem__("from", "Shop" + p + " <news@shop.example>"), "From: "),
    ("reply_to", lambda v, t, p: v.__setitem__("reply_to", "Help" + p + " <help@shop.example>"), "Reply-To: "),
    ("list name", lambda v, t, p: v["list"].__setitem__("name", p), "List-Id: list name"),
]


def main():
    if len(sys.argv) != 2:
        print("usage: corpus_test.py PATH/TO/tayori", file=sys.stderr)
        return 1
    tayori = sys.argv[1]
    if not os.access(tayori, os.X_OK):
        print(f"FAIL: {tayori} is missing or not executable", file=sys.stderr)
        return 1
    if len(CASES) < 30:
        fail("corpus", f"only {len(CASES)} cases")
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in CASES:
            templates, v, expect = build(name, spec)
            p, _, _ = run(tayori, tmp, name, templates, v)
            if p.returncode != 0:
                fail(name, f"exit {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
                continue
            check_wire(name, p.stdout)
            check_parsed(name, p.stdout, expect)

        # Golden messages of the shipped templates parse cleanly too.
        for g in ("newsletter-ja", "newsletter-en"):
            path = os.path.join("tests/render/golden", g + ".eml")
            if not os.path.exists(path):
                fail(g, f"{path} missing")
                continue
            data = open(path, "rb").read()
            check_wire(g, data)
            check_parsed(g, data, {})
            p = subprocess.run([tayori, "render", "--template", "templates/" + g, "--vars",
                                "templates/" + g + "/preview.json"], capture_output=True)
            if p.returncode != 0 or p.stdout != data:
                fail(g, "CLI output differs from the golden message")

        # Header injection through every variable that reaches a header.
        for desc, apply, must in INJECTION_TARGETS:
            for i, payload in enumerate(PAYLOADS):
                v = base_vars()
                v["subscriber"]["fields"] = {"s": "Subject", "t": "t", "h": "h"}
                templates = {"subject.mustache": "{{subscriber.s}}", "text.mustache": "{{{subscriber.t}}}"}
                apply(v, templates, payload)
                p, _, vpath = run(tayori, tmp, f"inject{i}", templates, v)
                err = p.stderr.decode(errors="replace")
                case = f"injection via {desc} ({payload!r})"
                global checks
                checks += 1
                if p.returncode != 2:
                    fail(case, f"exit {p.returncode}, expected 2; stdout {p.stdout[:200]!r}")
                if p.stdout:
                    fail(case, "printed a message")
                if not err.startswith(f"tayori: render: {vpath}: ") or must not in err:
                    fail(case, f"error does not name the field ({must!r}): {err.strip()!r}")
                if b"Bcc:" in p.stdout:
                    fail(case, "injected header in output")

        # Exit codes and messages for other bad input.
        v = base_vars()
        v["subscriber"]["fields"] = {"s": "S", "t": "t", "h": "h"}
        bad = [
            ("broken template", {"subject.mustache": "x", "html.mustache": "<p>\n{{#subscriber.s}}\n"}, v,
             2, "html.mustache:2: mustache syntax error: unclosed section"),
            ("unknown variable", {"subject.mustache": "x", "text.mustache": "a\nb\n{{subscriber.nope}}"}, v,
             2, "text.mustache:3: unknown variable 'subscriber.nope'"),
            ("invalid From", {"subject.mustache": "x", "text.mustache": "t"}, dict(v, **{"from": "a@b@c.example"}),
             2, "From: address 'a@b@c.example' has more than one '@'"),
            ("two From addresses", {"subject.mustache": "x", "text.mustache": "t"},
             dict(v, **{"from": "a@shop.example, b@shop.example"}), 2, "exactly one address, found 2"),
            ("invalid To", {"subject.mustache": "x", "text.mustache": "t"},
             dict(v, subscriber=dict(v["subscriber"], email="taro@localhost")), 2, "subscriber.email (in To)"),
            ("unknown JSON key", {"subject.mustache": "x", "text.mustache": "t"}, dict(v, colour="red"),
             2, "colour: unknown key"),
            ("missing subject", {"text.mustache": "t"}, v, 2, "subject.mustache: missing"),
        ]
        for desc, templates, vars_, code, must in bad:
            p, d, vpath = run(tayori, tmp, "bad_" + desc.replace(" ", "_"), templates, vars_)
            err = p.stderr.decode(errors="replace")
            checks += 1
            if p.returncode != code or must not in err or not err.startswith("tayori: render: "):
                fail(desc, f"exit {p.returncode} (want {code}), stderr {err.strip()!r} lacks {must!r}")
        d = os.path.join(tmp, "badjson")
        os.makedirs(d)
        open(os.path.join(d, "subject.mustache"), "w").write("x")
        open(os.path.join(d, "text.mustache"), "w").write("t")
        open(os.path.join(d, "vars.json"), "w").write('{"from": "x" ,,}')
        p = subprocess.run([tayori, "render", "--template", d, "--vars", os.path.join(d, "vars.json")],
                           capture_output=True)
        checks += 1
        if p.returncode != 2 or b"invalid JSON" not in p.stderr:
            fail("bad JSON", f"exit {p.returncode}, stderr {p.stderr!r}")
        # A string left open around the unsubscribe secret: the error says
        # where, never what it read.
        open(os.path.join(d, "vars.json"), "w").write('{"unsubscribe": {"secret": "S3CRETS3CRET}}\n')
        p = subprocess.run([tayori, "render", "--template", d, "--vars", os.path.join(d, "vars.json")],
                           capture_output=True)
        checks += 1
        if p.returncode != 2 or b"invalid JSON" not in p.stderr or b"parse error at line" not in p.stderr or b"S3CRET" in p.stderr:
            fail("bad JSON around the secret", f"exit {p.returncode}, stderr {p.stderr!r}")

    for f in failures:
        print("FAIL:", f)
    print(f"corpus_test: {len(CASES)} corpus cases, {checks} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
