#include "readiness/spf_dns_layer.h"

// libspf2's headers use these types without including them.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/types.h>

// libspf2's headers have no extern "C" of their own.
extern "C" {
#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>
}

#include <cstring>

namespace tayori::readiness {
namespace {

// SPF_dns_server_t first, so the struct libspf2 holds is the whole layer.
struct Layer {
  SPF_dns_server_t server;
  Lookups* lookups;
  int queries;
};

SPF_dns_rr_t* Lookup(SPF_dns_server_t* server, const char* domain, ns_type type, int /*should_cache*/) {
  auto* layer = reinterpret_cast<Layer*>(server);
  RrType t;
  switch (type) {
    case ns_t_a: t = RrType::kA; break;
    case ns_t_aaaa: t = RrType::kAaaa; break;
    case ns_t_mx: t = RrType::kMx; break;
    case ns_t_ptr: t = RrType::kPtr; break;
    case ns_t_txt: t = RrType::kTxt; break;
    default:
      // libspf2 asks for the SPF RR type (99) before TXT; RFC 7208 §3.1
      // retired it, so the answer is "no data" without a query, and
      // libspf2 goes on with TXT.
      return SPF_dns_rr_new_init(server, domain, type, 0, NO_DATA);
  }
  ++layer->queries;
  DnsAnswer answer = layer->lookups->Resolve(domain, t);
  SPF_dns_stat_t herrno = NETDB_SUCCESS;
  switch (answer.status) {
    case DnsStatus::kOk: herrno = NETDB_SUCCESS; break;
    case DnsStatus::kNoData: herrno = NO_DATA; break;
    case DnsStatus::kNxDomain: herrno = HOST_NOT_FOUND; break;
    case DnsStatus::kFailed: herrno = TRY_AGAIN; break;  // libspf2: temperror
  }
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(server, domain, type, 0, herrno);
  if (!rr || answer.status != DnsStatus::kOk) return rr;
  int n = 0;
  for (const DnsRecord& rec : answer.records) {
    if (t == RrType::kA || t == RrType::kAaaa) {
      if (SPF_dns_rr_buf_realloc(rr, n, sizeof(SPF_dns_rr_data_t)) != SPF_E_SUCCESS) break;
      void* dst = t == RrType::kA ? static_cast<void*>(&rr->rr[n]->a) : static_cast<void*>(&rr->rr[n]->aaaa);
      if (inet_pton(t == RrType::kA ? AF_INET : AF_INET6, rec.value.c_str(), dst) != 1) continue;
    } else {
      // MX, PTR and TXT are NUL-terminated strings in the union's storage.
      if (SPF_dns_rr_buf_realloc(rr, n, rec.value.size() + 1) != SPF_E_SUCCESS) break;
      std::memcpy(rr->rr[n]->txt, rec.value.c_str(), rec.value.size() + 1);
    }
    ++n;
  }
  rr->num_rr = n;
  if (n == 0) rr->herrno = NO_DATA;
  return rr;
}

void Destroy(SPF_dns_server_t* server) { delete reinterpret_cast<Layer*>(server); }

}  // namespace

SPF_dns_server_struct* NewLookupsDnsLayer(Lookups& lookups) {
  auto* layer = new Layer{};
  layer->server.destroy = &Destroy;
  layer->server.lookup = &Lookup;
  layer->server.get_spf = nullptr;   // libspf2 fetches and compiles the TXT record itself
  layer->server.get_exp = nullptr;
  layer->server.add_cache = nullptr;
  layer->server.layer_below = nullptr;
  layer->server.name = "tayori";
  layer->server.debug = 0;
  layer->server.hook = nullptr;
  layer->lookups = &lookups;
  layer->queries = 0;
  return &layer->server;
}

int LookupsDnsLayerQueries(const SPF_dns_server_struct* layer) {
  return reinterpret_cast<const Layer*>(layer)->queries;
}

}  // namespace tayori::readiness
