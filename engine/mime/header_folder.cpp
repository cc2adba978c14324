#include "mime/header_folder.h"

namespace tayori::mime {

HeaderFolder::HeaderFolder(std::string* out, std::string_view name) : out_(out), line_len_(name.size() + 1) {
  out_->append(name);
  out_->push_back(':');
}

void HeaderFolder::Fold() {
  if (!line_has_token_) return;
  // The fold replaces the space Word() would have written: unfolding
  // (removing the CRLF) leaves exactly one space, as before.
  out_->append("\r\n");
  line_len_ = 0;
  line_has_token_ = false;
}

void HeaderFolder::Word(std::string_view token) {
  // Never fold straight after "Name:": an empty first line gains nothing for
  // a token that is too long anyway, and some parsers mishandle it.
  if (line_has_token_ && line_len_ + 1 + token.size() > kLineLimit) Fold();
  out_->push_back(' ');
  out_->append(token);
  line_len_ += 1 + token.size();
  line_has_token_ = true;
}

void HeaderFolder::Glue(std::string_view token) {
  out_->append(token);
  line_len_ += token.size();
}

void HeaderFolder::Finish() { out_->append("\r\n"); }

}  // namespace tayori::mime
