"""A deterministic corpus of varied newsletter-like messages for the DKIM
interoperability test: RFC 2047 Japanese headers, folding, tabs, trailing
white space, empty and CRLF-only bodies, a missing final CRLF, a very long
folded List-Unsubscribe, multipart bodies, 8-bit UTF-8, long lines.

messages() returns a list of (name, bytes) with CRLF line ends."""

import base64
import quopri

CRLF = b"\r\n"


def b_word(text):
    """One RFC 2047 B encoded-word (UTF-8)."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def q_word(text):
    raw = quopri.encodestring(text.encode(), header=True).decode().replace("=\n", "")
    return "=?UTF-8?Q?" + raw + "?="


SUBJECTS = [
    "Weekly news",
    b_word("今週のおすすめ商品"),
    b_word("【セール】冬物最大50%オフ") + "\r\n " + b_word("本日限り"),
    q_word("お知らせ: 配送について"),
    "Folded\r\n\tsubject with a tab fold",
    "Trailing spaces   ",
    "  leading and  inner   spaces",
    "",
]

FROMS = [
    b_word("お店") + " <news@shop.example>",
    '"Shop News" <news@shop.example>',
    "news@shop.example",
]


def list_unsubscribe(n):
    urls = ["<https://shop.example/unsubscribe/" + ("t%03d" % i) * 12 + ">" for i in range(n)]
    urls.append("<mailto:unsubscribe@shop.example?subject=unsubscribe>")
    # Folded only at the white space between URIs, never inside <...>.
    return ",\r\n ".join(urls)


def headers(i, subject, sender, extra=()):
    h = [
        ("From", sender),
        ("To", "customer%d@example.net" % i),
        ("Subject", subject),
        ("Date", "Tue, 14 Nov 2023 22:%02d:20 +0900" % (i % 60)),
        ("Message-ID", "<%d.campaign42@shop.example>" % i),
        ("MIME-Version", "1.0"),
    ]
    h.extend(extra)
    return h


def render(hdrs, body, sep=": "):
    out = b""
    for name, value in hdrs:
        out += (name + sep + value).encode() + CRLF
    return out + CRLF + body


TEXT_BODY = "こんにちは。\r\n今週の新商品をご紹介します。\r\n\r\n配信停止: https://shop.example/u/abc\r\n"
HTML_BODY = "<html><body><p>こんにちは。</p>\r\n<p><a href=\"https://shop.example/u/abc\">配信停止</a></p></body></html>\r\n"


def multipart(boundary, transfer):
    if transfer == "base64":
        text = base64.encodebytes(TEXT_BODY.encode()).replace(b"\n", CRLF)
        html = base64.encodebytes(HTML_BODY.encode()).replace(b"\n", CRLF)
    else:
        text = quopri.encodestring(TEXT_BODY.encode()).replace(b"\n", CRLF).replace(b"\r\r", b"\r")
        html = quopri.encodestring(HTML_BODY.encode()).replace(b"\n", CRLF).replace(b"\r\r", b"\r")
    b = boundary.encode()
    return (b"--" + b + CRLF + b"Content-Type: text/plain; charset=UTF-8" + CRLF +
            b"Content-Transfer-Encoding: " + transfer.encode() + CRLF + CRLF + text + CRLF +
            b"--" + b + CRLF + b"Content-Type: text/html; charset=UTF-8" + CRLF +
            b"Content-Transfer-Encoding: " + transfer.encode() + CRLF + CRLF + html + CRLF +
            b"--" + b + b"--" + CRLF)


BODIES = [
    ("plain", b"Hello,\r\nthis is the weekly news.\r\n"),
    ("empty", b""),
    ("only_crlfs", b"\r\n\r\n\r\n\r\n"),
    ("no_final_crlf", b"Last line without CRLF"),
    ("trailing_ws", b"line with trailing spaces   \r\nline with tab\t\r\n   \r\n\t\r\n"),
    ("tabs", b"\tindented\twith\t\ttabs\r\n  two  spaces  \r\n"),
    ("blank_lines", b"\r\n\r\nstarts with blank lines\r\n\r\n\r\nand ends with them\r\n\r\n\r\n"),
    ("utf8", TEXT_BODY.encode()),
    ("long_line", b"x" * 990 + b"\r\n" + b"y " * 400 + b"\r\n"),
    ("dot_lines", b".\r\n..\r\n.leading dot\r\n"),
]


def messages():
    out = []
    i = 0
    # Every subject with every sender style: headers in many shapes.
    for si, subject in enumerate(SUBJECTS):
        for fi, sender in enumerate(FROMS):
            i += 1
            body = BODIES[(si + fi) % len(BODIES)][1]
            extra = [("Content-Type", "text/plain; charset=UTF-8")]
            out.append(("subject%d_from%d" % (si, fi), render(headers(i, subject, sender, extra), body)))
    # Every body shape with list headers.
    for name, body in BODIES:
        i += 1
        extra = [
            ("Content-Type", "text/plain; charset=UTF-8"),
            ("List-Unsubscribe", "<https://shop.example/u/%d>, <mailto:u@shop.example>" % i),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("List-Id", "<weekly.shop.example>"),
            ("Feedback-ID", "c42:shop7:news:TayoriSend"),
        ]
        out.append(("body_" + name, render(headers(i, "Body: " + name, FROMS[i % 3], extra), body)))
    # Multipart alternative, both transfer encodings, long List-Unsubscribe.
    for n_urls in (1, 3, 8):
        for transfer in ("quoted-printable", "base64"):
            i += 1
            boundary = "=_tayori_%d" % i
            extra = [
                ("Content-Type", 'multipart/alternative;\r\n boundary="%s"' % boundary),
                ("List-Unsubscribe", list_unsubscribe(n_urls)),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("List-Id", b_word("週刊ニュース") + " <weekly.shop.example>"),
                ("Feedback-ID", "c%d:shop7:news:TayoriSend" % i),
            ]
            out.append(("multipart_%s_%d" % (transfer, n_urls),
                        render(headers(i, SUBJECTS[1 + i % 3], FROMS[0], extra), multipart(boundary, transfer))))
    # Odd but legal header shapes.
    odd = [
        ("no_space_after_colon", [("From", "news@shop.example"), ("To", "a@example.net"), ("Subject", "x"),
                                  ("Date", "Tue, 14 Nov 2023 22:13:20 +0000")], ":"),
        ("upper_case_names", [("FROM", "news@shop.example"), ("SUBJECT", "Upper"), ("MESSAGE-ID", "<u@shop.example>"),
                              ("DATE", "Tue, 14 Nov 2023 22:13:20 +0000")], ": "),
        ("tab_after_colon", [("From", "news@shop.example"), ("Subject", "tabbed\t value\t"),
                             ("Date", "Tue, 14 Nov 2023 22:13:20 +0000")], ":\t"),
        ("received_and_unsigned", [("Received", "from a by b; Tue, 14 Nov 2023 22:13:20 +0000"),
                                   ("Received", "from c by d; Tue, 14 Nov 2023 22:13:21 +0000"),
                                   ("From", "news@shop.example"), ("X-Campaign", "42"), ("Subject", "hi"),
                                   ("Date", "Tue, 14 Nov 2023 22:13:20 +0000")], ": "),
        ("multi_line_to", [("From", "news@shop.example"),
                           ("To", "a@example.net,\r\n\tb@example.net,\r\n  c@example.net"), ("Subject", "multi"),
                           ("Date", "Tue, 14 Nov 2023 22:13:20 +0000")], ": "),
        ("two_to_fields", [("From", "news@shop.example"), ("To", "a@example.net"), ("To", "b@example.net"),
                           ("Subject", "two To fields")], ": "),
    ]
    for name, hdrs, sep in odd:
        for body_name, body in (BODIES[0], BODIES[4]):
            i += 1
            out.append(("odd_%s_%s" % (name, body_name), render(hdrs, body, sep)))
    # A message that is all header: no empty line, no body.
    out.append(("header_only", b"From: news@shop.example\r\nSubject: no body\r\n"))
    return out


if __name__ == "__main__":
    msgs = messages()
    print(len(msgs), "messages")
