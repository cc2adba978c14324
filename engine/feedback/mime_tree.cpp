#include "feedback/mime_tree.h"

#include <gmime/gmime.h>

#include <mutex>

#include "base/utf8_text.h"
#include "feedback/limits.h"

namespace tayori::feedback {
namespace {

// GObject references released at scope exit: every object this file
// creates is unreferenced before the call that made it returns.
template <typename T>
class Ref {
 public:
  explicit Ref(T* p) : p_(p) {}
  ~Ref() {
    if (p_) g_object_unref(p_);
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  T* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_;
};

void InitOnce() {
  static std::once_flag once;
  // g_mime_init sets up GMime's charset tables and type registry for the
  // process; it is never undone (g_mime_shutdown would race other threads).
  std::call_once(once, [] { g_mime_init(); });
}

std::string Lower(const char* s) {
  std::string out = s ? s : "";
  for (char& c : out) c = static_cast<char>(g_ascii_tolower(c));
  return out;
}

std::string TypeOf(GMimeObject* o) {
  GMimeContentType* ct = g_mime_object_get_content_type(o);
  if (!ct) return "";
  return Lower(g_mime_content_type_get_media_type(ct)) + "/" + Lower(g_mime_content_type_get_media_subtype(ct));
}

std::string ParamOf(GMimeObject* o, const char* name) {
  GMimeContentType* ct = g_mime_object_get_content_type(o);
  return ct ? Lower(g_mime_content_type_get_parameter(ct, name)) : "";
}

Fields HeadersOf(GMimeObject* o) {
  Fields out;
  GMimeHeaderList* list = g_mime_object_get_header_list(o);
  if (!list) return out;
  int n = g_mime_header_list_get_count(list);
  for (int i = 0; i < n && out.size() < kMaxHeaderFields; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    const char* name = h ? g_mime_header_get_name(h) : nullptr;
    if (!name) continue;
    // The decoded value: RFC 2047 words in their charsets, folds undone.
    const char* value = g_mime_header_get_value(h);
    out.push_back({ScrubUtf8(name, 200), ScrubUtf8(TrimSpace(value ? value : ""), kMaxFieldChars)});
  }
  return out;
}

bool IsUtf8Name(const std::string& cs) {
  return cs.empty() || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii";
}

// `bytes` in `charset` as UTF-8. A wrong or unknown charset, or bytes
// invalid in it, fall back to the bytes with every invalid sequence
// replaced (base/utf8_text.h): text is never dropped for its encoding.
std::string ToUtf8(const std::string& bytes, std::string charset) {
  if (charset.empty() && bytes.find("\x1b$") != std::string::npos) charset = "iso-2022-jp";
  if (!IsUtf8Name(charset)) {
    iconv_t cd = g_mime_iconv_open("UTF-8", charset.c_str());
    if (cd != reinterpret_cast<iconv_t>(-1)) {
      char* out = g_mime_iconv_strndup(cd, bytes.data(), bytes.size());
      g_mime_iconv_close(cd);
      if (out) {
        std::string s = ScrubUtf8(out, std::string::npos);
        g_free(out);
        return s;
      }
    }
  }
  return ScrubUtf8(bytes, std::string::npos);
}

std::string ContentOf(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return "";
  Ref<GMimeStream> mem(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(content, mem.get()) < 0) return "";
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  if (!bytes || bytes->len == 0) return "";
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

bool WantsText(const std::string& type) {
  if (type.rfind("text/", 0) == 0) return type != "text/html";
  return type == "message/delivery-status" || type == "message/global-delivery-status" ||
         type == "message/feedback-report" || type == "message/global-headers";
}

void Flatten(GMimeObject* o, size_t depth, std::vector<MimePart>& parts) {
  if (!o || parts.size() >= kMaxMimeParts) return;
  if (GMIME_IS_MULTIPART(o)) {
    if (depth >= kMaxMimeDepth) return;
    GMimeMultipart* mp = GMIME_MULTIPART(o);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n && parts.size() < kMaxMimeParts; ++i) Flatten(g_mime_multipart_get_part(mp, i), depth + 1, parts);
    return;
  }
  MimePart p;
  p.type = TypeOf(o);
  if (GMIME_IS_MESSAGE_PART(o)) {
    GMimeMessage* m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
    if (m) {
      p.headers = HeadersOf(GMIME_OBJECT(m));
      if (GMimeObject* body = g_mime_message_get_mime_part(m)) {
        p.embedded_type = TypeOf(body);
        p.embedded_report_type = ParamOf(body, "report-type");
      }
    }
  } else if (GMIME_IS_PART(o)) {
    p.charset = ParamOf(o, "charset");
    if (WantsText(p.type)) p.text = ToUtf8(ContentOf(GMIME_PART(o)), p.charset);
    if (p.type == "text/rfc822-headers" || p.type == "message/global-headers") p.headers = ReadHeaderBlock(p.text);
  }
  parts.push_back(std::move(p));
}

GMimeMessage* Construct(std::string_view raw) {
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  return g_mime_parser_construct_message(parser.get(), nullptr);
}

}  // namespace

std::optional<MimeMessage> ReadMime(std::string_view raw) {
  InitOnce();
  Ref<GMimeMessage> message(Construct(raw));
  if (!message) return std::nullopt;
  MimeMessage out;
  out.headers = HeadersOf(GMIME_OBJECT(message.get()));
  if (GMimeObject* body = g_mime_message_get_mime_part(message.get())) {
    out.type = TypeOf(body);
    out.report_type = ParamOf(body, "report-type");
    Flatten(body, 0, out.parts);
  }
  return out;
}

Fields ReadHeaderBlock(std::string_view text) {
  InitOnce();
  while (!text.empty() && (text.front() == '\n' || text.front() == '\r' || text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  // Only the header is wanted: the body of a returned newsletter is cut off
  // here rather than parsed.
  for (std::string_view end : {"\n\n", "\r\n\r\n"}) {
    size_t p = text.find(end);
    if (p != std::string_view::npos) text = text.substr(0, p + 1);
  }
  if (text.empty()) return {};
  Ref<GMimeMessage> message(Construct(text));
  return message ? HeadersOf(GMIME_OBJECT(message.get())) : Fields{};
}

}  // namespace tayori::feedback
