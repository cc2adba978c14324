#include "render/html_to_text.h"

#include <algorithm>
#include <string>
#include <vector>

#include "render/html_entities.h"

namespace tayori::render {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Whether `needle` occurs in `haystack`, in O(n + m) time whatever the
// input (Knuth-Morris-Pratt): std::string::find may compare O(n * m) bytes,
// and a link's label and target are both page content.
bool Contains(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  std::vector<size_t> fail(needle.size(), 0);
  for (size_t i = 1, k = 0; i < needle.size(); ++i) {
    while (k > 0 && needle[i] != needle[k]) k = fail[k - 1];
    if (needle[i] == needle[k]) ++k;
    fail[i] = k;
  }
  for (size_t i = 0, k = 0; i < haystack.size(); ++i) {
    while (k > 0 && haystack[i] != needle[k]) k = fail[k - 1];
    if (haystack[i] == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// A no-break space from "&nbsp;" (U+00A0, C2 A0 in UTF-8): written as a
// plain space, so it collapses like one in the text part (spacer cells
// hold nothing but "&nbsp;").
constexpr std::string_view kNoBreakSpace = "\xC2\xA0";

class Converter {
 public:
  explicit Converter(std::string_view html) : html_(html) { out_.reserve(html.size() / 2); }

  std::string Run() {
    size_t i = 0;
    while (i < html_.size()) {
      char c = html_[i];
      if (c == '<') {
        i = Tag(i);
      } else if (c == '&') {
        ref_.clear();
        size_t used = DecodeCharacterReference(html_, i, ReferenceContext::kText, ref_);
        if (used == 0) {
          Text("&");
          ++i;
        } else {
          Text(ref_ == kNoBreakSpace ? std::string_view(" ") : std::string_view(ref_));
          i += used;
        }
      } else {
        size_t end = i;
        while (end < html_.size() && html_[end] != '<' && html_[end] != '&') ++end;
        Text(html_.substr(i, end - i));
        i = end;
      }
    }
    // Trailing blank lines and spaces are noise; one final newline.
    while (!out_.empty() && (out_.back() == '\n' || out_.back() == ' ')) out_.pop_back();
    if (!out_.empty()) out_ += '\n';
    return std::move(out_);
  }

 private:
  void Text(std::string_view t) {
    if (skip_depth_ > 0) return;
    for (char c : t) {
      if (pre_ > 0) {
        if (c == '\r') continue;
        FlushBreaks();
        out_ += c;
        continue;
      }
      if (IsSpace(c)) {
        pending_space_ = true;
        continue;
      }
      FlushBreaks();
      if (pending_space_ && !out_.empty() && out_.back() != '\n') out_ += ' ';
      pending_space_ = false;
      out_ += c;
      if (in_link_) link_text_ += c;
    }
  }

  // Asks for at least `n` line breaks before the next text.
  void Break(int n) {
    if (out_.empty()) return;
    breaks_ = std::max(breaks_, n);
    pending_space_ = false;
  }

  void FlushBreaks() {
    if (breaks_ == 0) return;
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    // Counting stops at breaks_: a <pre> may leave a long run of newlines
    // behind, and a <br> after each of them must not recount it.
    int have = 0;
    for (size_t k = out_.size(); k > 0 && out_[k - 1] == '\n' && have < breaks_; --k) ++have;
    for (int k = have; k < breaks_; ++k) out_ += '\n';
    breaks_ = 0;
    pending_space_ = false;
  }

  std::string Attr(std::string_view tag, std::string_view name) const {
    size_t i = 0;
    while (i < tag.size()) {
      while (i < tag.size() && !IsSpace(tag[i])) ++i;
      while (i < tag.size() && IsSpace(tag[i])) ++i;
      size_t start = i;
      while (i < tag.size() && tag[i] != '=' && !IsSpace(tag[i]) && tag[i] != '>') ++i;
      std::string key(tag.substr(start, i - start));
      std::transform(key.begin(), key.end(), key.begin(), Lower);
      if (i >= tag.size() || tag[i] != '=') continue;
      ++i;
      std::string value;
      if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
        char q = tag[i++];
        size_t end = tag.find(q, i);
        if (end == std::string_view::npos) end = tag.size();
        value = std::string(tag.substr(i, end - i));
        i = end + 1;
      } else {
        size_t end = i;
        while (end < tag.size() && !IsSpace(tag[end]) && tag[end] != '>') ++end;
        value = std::string(tag.substr(i, end - i));
        i = end;
      }
      if (key == name) {
        std::string decoded;
        for (size_t k = 0; k < value.size();) {
          size_t used = value[k] == '&' ? DecodeCharacterReference(value, k, ReferenceContext::kAttribute, decoded) : 0;
          if (used == 0) decoded += value[k++];
          else k += used;
        }
        return decoded;
      }
    }
    return {};
  }

  // Handles the tag at html_[i] == '<' and returns the index after it.
  size_t Tag(size_t i) {
    if (html_.compare(i, 4, "<!--") == 0) {
      size_t end = html_.find("-->", i + 4);
      return end == std::string_view::npos ? html_.size() : end + 3;
    }
    size_t end = html_.find('>', i);
    if (end == std::string_view::npos) {
      Text(html_.substr(i));
      return html_.size();
    }
    std::string_view tag = html_.substr(i + 1, end - i - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    size_t n0 = closing ? 1 : 0, n1 = n0;
    while (n1 < tag.size() && !IsSpace(tag[n1]) && tag[n1] != '/' && tag[n1] != '>') ++n1;
    std::string name(tag.substr(n0, n1 - n0));
    std::transform(name.begin(), name.end(), name.begin(), Lower);

    if (name == "head" || name == "style" || name == "script" || name == "title") {
      skip_depth_ += closing ? -1 : 1;
      skip_depth_ = std::max(skip_depth_, 0);
    } else if (skip_depth_ > 0) {
      // inside head/style/script: ignore everything
    } else if (name == "br") {
      Break(1);
      FlushBreaks();
      if (out_.empty()) out_ += '\n';
    } else if (name == "p" || name == "h1" || name == "h2" || name == "h3" || name == "h4" || name == "h5" ||
               name == "h6" || name == "table" || name == "ul" || name == "ol" || name == "blockquote") {
      Break(2);
    } else if (name == "div" || name == "tr" || name == "section" || name == "article" || name == "header" ||
               name == "footer" || name == "center" || name == "dl" || name == "dt" || name == "dd") {
      Break(1);
    } else if (name == "pre") {
      Break(2);
      pre_ += closing ? -1 : 1;
      pre_ = std::max(pre_, 0);
    } else if (name == "li") {
      if (!closing) {
        Break(1);
        FlushBreaks();
        out_ += "- ";
        pending_space_ = false;
      }
    } else if (name == "td" || name == "th") {
      if (!closing) pending_space_ = true;
    } else if (name == "hr") {
      Break(1);
      FlushBreaks();
      out_ += "----------------------------------------";
      Break(1);
    } else if (name == "img" && !closing) {
      std::string alt = Attr(tag, "alt");
      if (!alt.empty()) Text(alt);
    } else if (name == "a") {
      if (!closing) {
        href_ = Attr(tag, "href");
        in_link_ = true;
        link_text_.clear();
      } else if (in_link_) {
        in_link_ = false;
        std::string shown = href_;
        if (shown.rfind("mailto:", 0) == 0) shown = shown.substr(7);
        // Write the target unless the label already shows it.
        if (!href_.empty() && href_[0] != '#' && !Contains(link_text_, shown)) {
          std::string target = "<" + shown + ">";
          bool had_text = !link_text_.empty();
          in_link_ = false;
          if (had_text) pending_space_ = true;
          Text(target);
        }
      }
    }
    return end + 1;
  }

  std::string_view html_;
  std::string out_;
  int breaks_ = 0;
  bool pending_space_ = false;
  int skip_depth_ = 0;
  int pre_ = 0;
  bool in_link_ = false;
  std::string href_;
  std::string link_text_;
  std::string ref_;  // the decoded character reference, reused
};

}  // namespace

std::string HtmlToText(std::string_view html) { return Converter(html).Run(); }

}  // namespace tayori::render
