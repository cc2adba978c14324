#include "readiness/dns_client.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <poll.h>
#include <resolv.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

namespace tayori::readiness {
namespace {

void EnsureAresLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

struct Pending {
  bool done = false;
  int status = ARES_SUCCESS;
  std::string message;  // the raw DNS answer
};

void OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* p = static_cast<Pending*>(arg);
  p->done = true;
  p->status = status;
  if (abuf && alen > 0) p->message.assign(reinterpret_cast<const char*>(abuf), static_cast<size_t>(alen));
}

std::string LowerName(const char* name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

struct Parsed {
  bool ok = true;
  std::vector<DnsRecord> records;
  std::string cname;  // the last CNAME target in the answer section
  uint32_t ttl = 0;   // the smallest TTL of `records`
};

// RFC 2308 §5: a negative answer is cached for the smaller of the SOA
// record's own TTL and its MINIMUM field (the authority section). 0 when the
// message carries no SOA.
uint32_t NegativeTtl(const std::string& message) {
  ns_msg handle;
  if (ns_initparse(reinterpret_cast<const unsigned char*>(message.data()), static_cast<int>(message.size()),
                   &handle) < 0)
    return 0;
  const int count = ns_msg_count(handle, ns_s_ns);
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&handle, ns_s_ns, i, &rr) < 0) return 0;
    if (ns_rr_type(rr) != ns_t_soa) continue;
    // RDATA: MNAME, RNAME (compressed names), then SERIAL REFRESH RETRY
    // EXPIRE MINIMUM (32 bits each): MINIMUM is the last four bytes.
    if (ns_rr_rdlen(rr) < 20) return 0;
    const unsigned char* minimum = ns_rr_rdata(rr) + ns_rr_rdlen(rr) - 4;
    return std::min<uint32_t>(ns_rr_ttl(rr), static_cast<uint32_t>(ns_get32(minimum)));
  }
  return 0;
}

// The answer section of `message`, through glibc's ns_* parser (bounds
// checked; names decompressed by ns_name_uncompress), keeping the records of
// `type` whatever their owner: a recursive server answers a CNAME chain and
// the target's records together (RFC 1034 §3.6.2).
Parsed ParseAnswer(const std::string& message, RrType type) {
  Parsed out;
  const auto* begin = reinterpret_cast<const unsigned char*>(message.data());
  const unsigned char* end = begin + message.size();
  ns_msg handle;
  if (ns_initparse(begin, static_cast<int>(message.size()), &handle) < 0) {
    out.ok = false;
    return out;
  }
  const int count = ns_msg_count(handle, ns_s_an);
  char name[NS_MAXDNAME];
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&handle, ns_s_an, i, &rr) < 0) {
      out.ok = false;
      return out;
    }
    const unsigned char* rdata = ns_rr_rdata(rr);
    const size_t rdlen = ns_rr_rdlen(rr);
    const auto rr_type = static_cast<RrType>(ns_rr_type(rr));
    if (ns_rr_class(rr) != ns_c_in) continue;
    if (rr_type == RrType::kCname && type != RrType::kCname) {
      if (ns_name_uncompress(begin, end, rdata, name, sizeof name) < 0) {
        out.ok = false;
        return out;
      }
      out.cname = LowerName(name);
      continue;
    }
    if (rr_type != type) continue;
    const uint32_t rr_ttl = ns_rr_ttl(rr);
    DnsRecord record;
    char addr[INET6_ADDRSTRLEN];
    switch (type) {
      case RrType::kA:
        if (rdlen != 4 || !inet_ntop(AF_INET, rdata, addr, sizeof addr)) continue;
        record.value = addr;
        break;
      case RrType::kAaaa:
        if (rdlen != 16 || !inet_ntop(AF_INET6, rdata, addr, sizeof addr)) continue;
        record.value = addr;
        break;
      case RrType::kCname:
      case RrType::kPtr:
        if (ns_name_uncompress(begin, end, rdata, name, sizeof name) < 0) continue;
        record.value = LowerName(name);
        break;
      case RrType::kMx:
        if (rdlen < 3 || ns_name_uncompress(begin, end, rdata + 2, name, sizeof name) < 0) continue;
        record.preference = static_cast<uint16_t>(ns_get16(rdata));
        record.value = LowerName(name);
        break;
      case RrType::kTxt: {
        // <character-string>s: a length byte and that many bytes (RFC 1035
        // §3.3.14); a record's strings are joined without separators.
        size_t at = 0;
        while (at < rdlen) {
          size_t len = rdata[at++];
          if (len > rdlen - at) len = rdlen - at;
          record.value.append(reinterpret_cast<const char*>(rdata + at), len);
          at += len;
        }
        break;
      }
    }
    out.ttl = out.records.empty() ? rr_ttl : std::min(out.ttl, rr_ttl);
    out.records.push_back(std::move(record));
  }
  return out;
}

}  // namespace

struct DnsClient::Impl {
  ares_channel channel = nullptr;
  DnsClientOptions options;

  // Runs c-ares until `p` is answered: poll(2) on the sockets c-ares wants
  // watched, with its own next timeout as the poll timeout.
  void Wait(Pending& p) {
    while (!p.done) {
      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      const int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
      pollfd fds[ARES_GETSOCK_MAXNUM];
      nfds_t n = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        const bool r = ARES_GETSOCK_READABLE(bits, i);
        const bool w = ARES_GETSOCK_WRITABLE(bits, i);
        if (!r && !w) continue;
        fds[n].fd = socks[i];
        fds[n].events = static_cast<short>((r ? POLLIN : 0) | (w ? POLLOUT : 0));
        fds[n].revents = 0;
        ++n;
      }
      timeval tv{};
      timeval* t = ares_timeout(channel, nullptr, &tv);
      const int ms = t ? static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000 + 1) : 1000;
      const int rc = ::poll(fds, n, ms);
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) {
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
        continue;
      }
      for (nfds_t i = 0; i < n; ++i) {
        if (!fds[i].revents) continue;
        const bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
        const bool writable = fds[i].revents & POLLOUT;
        ares_process_fd(channel, readable ? fds[i].fd : ARES_SOCKET_BAD, writable ? fds[i].fd : ARES_SOCKET_BAD);
      }
    }
  }
};

DnsClient::DnsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DnsClient::~DnsClient() {
  if (impl_->channel) ares_destroy(impl_->channel);
}

Result<std::unique_ptr<DnsClient>> DnsClient::Create(const DnsClientOptions& options) {
  EnsureAresLibrary();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ares_options o{};
  // EDNS: a 2048-bit DKIM key record does not fit in 512 bytes; c-ares
  // retries over TCP when an answer is still truncated.
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
  o.timeout = static_cast<int>(options.timeout.count());
  o.tries = options.tries;
  int rc = ares_init_options(&impl->channel, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) return Internal(std::string("c-ares init: ") + ares_strerror(rc));
  if (!options.servers.empty()) {
    rc = ares_set_servers_ports_csv(impl->channel, options.servers.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(impl->channel);
      impl->channel = nullptr;
      return ConfigError("dns.resolver '" + options.servers + "': " + ares_strerror(rc) +
                         " (expected ip:port[,ip:port])");
    }
  }
  return std::unique_ptr<DnsClient>(new DnsClient(std::move(impl)));
}

DnsAnswer DnsClient::Resolve(const std::string& name, RrType type) {
  DnsAnswer answer;
  std::string current = name;
  for (int hop = 0; hop <= impl_->options.max_cname_hops; ++hop) {
    Pending p;
    ares_query(impl_->channel, current.c_str(), ns_c_in, static_cast<int>(type), &OnAnswer, &p);
    impl_->Wait(p);
    if (p.status == ARES_ENOTFOUND) {
      answer.status = DnsStatus::kNxDomain;
      answer.ttl = NegativeTtl(p.message);
      return answer;
    }
    if (p.status == ARES_ENODATA) {
      answer.status = DnsStatus::kNoData;
      answer.ttl = NegativeTtl(p.message);
      return answer;
    }
    if (p.status != ARES_SUCCESS) {
      answer.error = current + " " + std::string(RrTypeName(type)) + ": " + ares_strerror(p.status);
      return answer;
    }
    Parsed parsed = ParseAnswer(p.message, type);
    if (!parsed.ok) {
      answer.error = current + " " + std::string(RrTypeName(type)) + ": malformed DNS answer";
      return answer;
    }
    if (!parsed.records.empty()) {
      answer.status = DnsStatus::kOk;
      answer.records = std::move(parsed.records);
      answer.ttl = parsed.ttl;
      return answer;
    }
    if (parsed.cname.empty()) {
      answer.status = DnsStatus::kNoData;
      answer.ttl = NegativeTtl(p.message);
      return answer;
    }
    // An authoritative server answers only the CNAME when its target lies
    // outside its zones; ask again for the target, as a resolver would.
    current = parsed.cname;
  }
  answer.error = name + ": CNAME chain longer than " + std::to_string(impl_->options.max_cname_hops);
  return answer;
}

}  // namespace tayori::readiness
