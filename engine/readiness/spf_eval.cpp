#include "readiness/spf_eval.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/types.h>

// libspf2's headers have no extern "C" of their own.
extern "C" {
#include <spf2/spf.h>
}

#include <mutex>

#include "base/log.h"
#include "readiness/spf_dns_layer.h"

namespace tayori::readiness {
namespace {

// libspf2 reports warnings and debug text through global handlers that
// print to stderr by default; route them to our log at debug level. The
// error handler (a broken invariant inside libspf2, noreturn) stays.
void LogHandler(const char* /*file*/, int /*line*/, const char* message) {
  log::Debug("readiness", "libspf2", {{"message", message ? message : ""}});
}

void InstallHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    SPF_warning_handler = &LogHandler;
    SPF_info_handler = &LogHandler;
    SPF_debug_handler = &LogHandler;
  });
}

SpfResult Map(SPF_result_t r) {
  switch (r) {
    case SPF_RESULT_PASS: return SpfResult::kPass;
    case SPF_RESULT_FAIL: return SpfResult::kFail;
    case SPF_RESULT_SOFTFAIL: return SpfResult::kSoftFail;
    case SPF_RESULT_NEUTRAL: return SpfResult::kNeutral;
    case SPF_RESULT_NONE: return SpfResult::kNone;
    case SPF_RESULT_TEMPERROR: return SpfResult::kTempError;
    case SPF_RESULT_PERMERROR: return SpfResult::kPermError;
    case SPF_RESULT_INVALID: break;
  }
  return SpfResult::kPermError;
}

// The first error libspf2 recorded other than `except`, if any.
std::string FirstError(SPF_response_t* resp, SPF_errcode_t except, SPF_errcode_t* code) {
  for (int i = 0; i < SPF_response_messages(resp); ++i) {
    SPF_error_t* e = SPF_response_message(resp, i);
    if (!SPF_error_errorp(e) || SPF_error_code(e) == except) continue;
    if (code) *code = SPF_error_code(e);
    const char* m = SPF_error_message(e);
    return m ? m : SPF_strerror(SPF_error_code(e));
  }
  return "";
}

}  // namespace

std::string_view SpfResultName(SpfResult r) {
  switch (r) {
    case SpfResult::kPass: return "pass";
    case SpfResult::kFail: return "fail";
    case SpfResult::kSoftFail: return "softfail";
    case SpfResult::kNeutral: return "neutral";
    case SpfResult::kNone: return "none";
    case SpfResult::kTempError: return "temperror";
    case SpfResult::kPermError: return "permerror";
  }
  return "?";
}

SpfEvaluation EvaluateSpf(const std::string& domain, const std::string& ip, Lookups& lookups) {
  InstallHandlers();
  SpfEvaluation out;
  SPF_dns_server_t* layer = NewLookupsDnsLayer(lookups);
  SPF_server_t* server = SPF_server_new_dns(layer, 0);
  // The server frees a custom layer (through its destroy callback) only
  // when told it owns it; libspf2 1.2.10 leaves destroy_resolver at 0.
  server->destroy_resolver = 1;
  SPF_request_t* req = SPF_request_new(server);
  const bool v6 = ip.find(':') != std::string::npos;
  SPF_errcode_t rc = v6 ? SPF_request_set_ipv6_str(req, ip.c_str()) : SPF_request_set_ipv4_str(req, ip.c_str());
  if (rc != SPF_E_SUCCESS) {
    out.result = SpfResult::kPermError;
    out.error = "not an IP address: " + ip;
  } else {
    SPF_request_set_helo_dom(req, domain.c_str());
    SPF_request_set_env_from(req, ("postmaster@" + domain).c_str());
    SPF_response_t* resp = nullptr;
    rc = SPF_request_query_mailfrom(req, &resp);
    const SPF_errcode_t code = resp ? SPF_response_errcode(resp) : rc;
    if (resp && SPF_response_result(resp) != SPF_RESULT_INVALID) {
      out.result = Map(SPF_response_result(resp));
    } else if (rc == SPF_E_DNS_ERROR) {
      out.result = SpfResult::kTempError;
    } else if (rc == SPF_E_NOT_SPF) {
      // No record, or (with a compile error recorded first) a record that
      // does not parse, which RFC 7208 §4.6 makes a permerror.
      SPF_errcode_t compile = SPF_E_SUCCESS;
      std::string why = resp ? FirstError(resp, SPF_E_NOT_SPF, &compile) : "";
      out.result = why.empty() ? SpfResult::kNone : SpfResult::kPermError;
      out.error = why;
    } else {
      out.result = SpfResult::kPermError;
    }
    out.too_many_lookups = code == SPF_E_BIG_DNS || rc == SPF_E_BIG_DNS;
    if (out.too_many_lookups) out.result = SpfResult::kPermError;
    if (out.error.empty() && (out.result == SpfResult::kPermError || out.result == SpfResult::kTempError)) {
      out.error = resp ? FirstError(resp, SPF_E_SUCCESS, nullptr) : "";
      if (out.error.empty()) out.error = SPF_strerror(code != SPF_E_SUCCESS ? code : rc);
    }
    if (resp) SPF_response_free(resp);
  }
  out.dns_queries = LookupsDnsLayerQueries(layer);
  SPF_request_free(req);
  SPF_server_free(server);  // and the layer
  return out;
}

}  // namespace tayori::readiness
