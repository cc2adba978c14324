#include "feedback/returned_message.h"

#include "feedback/diagnostic.h"
#include "feedback/limits.h"

namespace tayori::feedback {
namespace {

bool TokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// key-id "." payload: 1-16 letters or digits, a dot, base64url (the
// shortest token's payload is 26 characters).
bool LooksLikeToken(std::string_view t) {
  size_t dot = t.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 16 || t.size() - dot - 1 < 20 || t.size() > 200) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i == dot) continue;
    char c = t[i];
    if (i < dot ? !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) : !TokenChar(c))
      return false;
  }
  return true;
}

std::string MessageIdOf(std::string_view v) {
  v = TrimSpace(v);
  size_t lt = v.find('<'), gt = v.find('>', lt == std::string_view::npos ? 0 : lt);
  if (lt != std::string_view::npos && gt != std::string_view::npos) v = v.substr(lt, gt - lt + 1);
  if (v.empty() || v.size() > 255 || v.find(' ') != std::string_view::npos) return "";
  std::string id(v);
  if (id.front() != '<') id = "<" + id + ">";
  return id;
}

}  // namespace

std::string UnsubscribeTokenIn(std::string_view value) {
  for (size_t lt = value.find('<'); lt != std::string_view::npos; lt = value.find('<', lt + 1)) {
    size_t gt = value.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string_view uri = TrimSpace(value.substr(lt + 1, gt - lt - 1));
    if (!StartsWithIgnoreCase(uri, "https://")) continue;
    // The token ends the path or is a query parameter's value.
    size_t end = uri.find('#');
    if (end != std::string_view::npos) uri = uri.substr(0, end);
    std::string_view path = uri.substr(0, uri.find('?'));
    size_t slash = path.rfind('/');
    if (slash != std::string_view::npos && LooksLikeToken(path.substr(slash + 1))) return std::string(path.substr(slash + 1));
    size_t q = uri.find('?');
    while (q != std::string_view::npos) {
      size_t amp = uri.find('&', q + 1);
      std::string_view pair = uri.substr(q + 1, amp == std::string_view::npos ? std::string_view::npos : amp - q - 1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && LooksLikeToken(pair.substr(eq + 1))) return std::string(pair.substr(eq + 1));
      q = amp;
    }
    return "";  // only the first https URI is Tayori's (RFC 8058 §3.1)
  }
  return "";
}

ReturnedMessage FromReturnedHeaders(const Fields& headers) {
  ReturnedMessage r;
  r.present = !headers.empty();
  if (const std::string* v = FindField(headers, "Message-ID")) r.message_id = MessageIdOf(*v);
  if (const std::string* v = FindField(headers, "Return-Path")) r.return_path = FindAddress(*v);
  if (const std::string* v = FindField(headers, "List-Unsubscribe")) {
    r.list_unsubscribe = OneLine(*v, kMaxFieldChars);
    r.unsubscribe_token = UnsubscribeTokenIn(r.list_unsubscribe);
  }
  if (const std::string* v = FindField(headers, "Feedback-ID")) r.feedback_id = OneLine(*v, 255);
  if (const std::string* v = FindField(headers, "To")) r.to = OneLine(*v, kMaxFieldChars);
  return r;
}

std::string DeliveryReportSignal(const Fields& headers, std::string_view content_type, std::string_view report_type) {
  if (content_type == "multipart/report" && report_type == "delivery-status") return "it is a multipart/report DSN";
  if (const std::string* rp = FindField(headers, "Return-Path")) {
    std::string_view v = TrimSpace(*rp);
    if (v == "<>") return "its Return-Path is <>";
  }
  if (FindField(headers, "X-Failed-Recipients")) return "it has X-Failed-Recipients";
  if (const std::string* from = FindField(headers, "From")) {
    if (ContainsIgnoreCase(*from, "mailer-daemon@")) return "it is from MAILER-DAEMON";
  }
  return "";
}

}  // namespace tayori::feedback
