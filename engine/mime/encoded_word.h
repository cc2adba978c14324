// Header text that may hold any UTF-8: RFC 2047 encoded-words, plain atoms
// and quoted-strings, written through a HeaderFolder.
//
// Encoded-words are "=?UTF-8?B?...?=" or "=?UTF-8?Q?...?=" (whichever is
// shorter for the whole value), each at most 75 characters (RFC 2047 §2),
// never splitting a UTF-8 sequence (§5: each word must decode on its own),
// separated by folding white space, which readers drop between adjacent
// encoded-words (§6.2), so the decoded text is exactly the input.
//
// Inputs must already have passed CheckHeaderText (header_safety.h).
#pragma once

#include <string_view>

#include "mime/header_folder.h"

namespace tayori::mime {

enum class WordContext {
  kText,    // unstructured text (Subject), RFC 2047 §5(1)
  kPhrase,  // a display name, RFC 2047 §5(3)
};

// Appends `text` as encoded-words only.
void AppendEncodedWords(HeaderFolder& f, std::string_view text, WordContext ctx);

// Appends an unstructured field body (RFC 5322 §3.2.5): as is when it is
// printable ASCII that folds at its spaces and cannot be mistaken for an
// encoded-word; otherwise as encoded-words. Nothing is appended for "".
void AppendUnstructured(HeaderFolder& f, std::string_view text);

// Appends a display name (RFC 5322 §3.2.5 phrase): atoms when possible, else
// a quoted-string (with '"' and '\' escaped) when it is printable ASCII and
// fits a line, else encoded-words.
void AppendPhrase(HeaderFolder& f, std::string_view name);

}  // namespace tayori::mime
