#include "smtp/submitter.h"

#include <algorithm>
#include <random>
#include <set>

#include "base/log.h"
#include "net/transfers.h"

namespace tayori::smtp {

namespace {

Stage ToStage(net::SmtpStage s) {
  switch (s) {
    case net::SmtpStage::kConnect: return Stage::kConnect;
    case net::SmtpStage::kEnvelope: return Stage::kEnvelope;
    case net::SmtpStage::kData: return Stage::kData;
    case net::SmtpStage::kAfterDot: return Stage::kAfterDot;
  }
  return Stage::kConnect;
}

constexpr std::chrono::seconds kMaxRelayBackoff{60};

}  // namespace

struct RelayState {
  config::Relay config;
  std::string password;
  std::unique_ptr<net::Transfers> transfers;
  SteadyTime down_until{};
  int consecutive_failures = 0;
  int64_t in_flight = 0;
};

struct Attempt {
  Submission submission;
  std::function<void(SubmitResult)> done;
  std::set<size_t> tried;
  bool reconnect_used = false;
};

struct Submitter::Impl {
  loop::Loop& loop;
  const Clock& clock;
  ReturnPath return_path;
  std::string helo_name;
  std::vector<RelayState> relays;
  std::mt19937_64 rng{std::random_device{}()};
  size_t in_flight = 0;

  Impl(loop::Loop& l, const Clock& c, ReturnPath rp, std::string helo)
      : loop(l), clock(c), return_path(std::move(rp)), helo_name(std::move(helo)) {}

  // Weighted choice among relays that are up and not yet tried; standbys
  // (weight 0) only when no weighted relay is available; a relay that is
  // backing off only when nothing else is left.
  std::optional<size_t> Pick(const std::set<size_t>& tried) {
    SteadyTime now = clock.Steady();
    for (int pass = 0; pass < 3; ++pass) {
      std::vector<size_t> candidates;
      std::vector<double> weights;
      for (size_t i = 0; i < relays.size(); ++i) {
        if (tried.contains(i)) continue;
        const RelayState& r = relays[i];
        bool up = now >= r.down_until;
        if (pass == 0 && (!up || r.config.weight == 0)) continue;
        if (pass == 1 && !up) continue;
        candidates.push_back(i);
        weights.push_back(pass == 0 ? r.config.weight : 1.0);
      }
      if (candidates.empty()) continue;
      std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
      return candidates[pick(rng)];
    }
    return std::nullopt;
  }

  void MarkFailure(RelayState& r, const std::string& why) {
    ++r.consecutive_failures;
    auto backoff = std::min<std::chrono::seconds>(kMaxRelayBackoff,
                                                  std::chrono::seconds(1LL << std::min(r.consecutive_failures - 1, 6)));
    r.down_until = clock.Steady() + backoff;
    log::Warn("relay", "relay failing, backing off",
              {{"relay", r.config.name}, {"reason", why}, {"backoff_s", std::to_string(backoff.count())}});
  }

  void Finish(std::shared_ptr<Attempt> a, SubmitResult result) {
    --in_flight;
    result.delivery_id = a->submission.delivery_id;
    a->done(std::move(result));
  }

  void Start(std::shared_ptr<Attempt> a) {
    auto idx = Pick(a->tried);
    if (!idx) {
      SubmitResult r;
      r.reply.text = "no relay available";
      r.classification = Classify(r.reply, Stage::kConnect);
      Finish(std::move(a), std::move(r));
      return;
    }
    Send(std::move(a), *idx);
  }

  void Send(std::shared_ptr<Attempt> a, size_t idx) {
    RelayState& relay = relays[idx];
    net::SmtpRequest q;
    q.host = relay.config.host;
    q.port = relay.config.port;
    q.helo_name = helo_name;
    q.tls = relay.config.tls;
    q.verify_peer = relay.config.verify_peer;
    q.ca_file = relay.config.ca_file;
    q.user = relay.config.user;
    q.password = relay.password;
    q.mail_from = return_path.For(a->submission.delivery_id);
    q.rcpt = a->submission.rcpt;
    q.message = a->submission.message;
    q.connect_timeout = std::chrono::seconds(relay.config.connect_timeout_s);
    q.command_timeout = std::chrono::seconds(relay.config.command_timeout_s);
    // The retry after a dead pooled connection must not pick another pooled
    // one that the relay closed at the same moment.
    q.fresh_connection = a->reconnect_used;
    ++relay.in_flight;
    relay.transfers->Smtp(std::move(q), [this, a, idx](net::SmtpResult res) { OnResult(a, idx, std::move(res)); });
  }

  void OnResult(std::shared_ptr<Attempt> a, size_t idx, net::SmtpResult res) {
    RelayState& relay = relays[idx];
    --relay.in_flight;
    Reply reply = ParseReply(res.reply);
    if (!reply.received() && !res.error.empty()) reply.text = res.error;
    Stage stage = ToStage(res.stage);

    // A reused connection that was already dead: nothing reached the relay.
    if (!res.ok && !res.new_connection && !reply.received() && stage <= Stage::kEnvelope && !a->reconnect_used) {
      a->reconnect_used = true;
      Send(std::move(a), idx);
      return;
    }
    Classification c = Classify(reply, stage);
    if (c.relay_fault) {
      MarkFailure(relay, reply.ToString());
      if (stage != Stage::kAfterDot) {
        a->tried.insert(idx);
        if (a->tried.size() < relays.size()) {
          Start(std::move(a));  // fail over
          return;
        }
      }
    } else {
      relay.consecutive_failures = 0;
      relay.down_until = SteadyTime{};
    }
    SubmitResult r;
    r.reply = std::move(reply);
    r.classification = std::move(c);
    r.relay = relay.config.name;
    r.transport_error = std::move(res.error);
    Finish(std::move(a), std::move(r));
  }
};

Submitter::Submitter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Submitter::~Submitter() = default;

Result<std::unique_ptr<Submitter>> Submitter::Create(loop::Loop& loop, const config::Config& config,
                                                     const Clock& clock) {
  if (config.relays.empty()) return ConfigError("no [[relays]] configured: nothing to submit to");
  TAYORI_ASSIGN_OR_RETURN(std::string mac_key,
                          config::ResolveSecret(config.envelope.mac_key_env, "envelope.mac_key_env"));
  auto impl = std::make_unique<Impl>(loop, clock, ReturnPath(config.envelope.return_path, mac_key),
                                     config.envelope.helo_name);
  for (const auto& rc : config.relays) {
    RelayState r;
    r.config = rc;
    TAYORI_ASSIGN_OR_RETURN(r.password, config::ResolveSecret(rc.password_env, "relays." + rc.name + ".password_env"));
    r.transfers = std::make_unique<net::Transfers>(
        loop, net::PoolOptions{rc.max_connections, rc.max_messages_per_connection});
    impl->relays.push_back(std::move(r));
  }
  return std::unique_ptr<Submitter>(new Submitter(std::move(impl)));
}

void Submitter::Submit(Submission submission, std::function<void(SubmitResult)> done) {
  auto a = std::make_shared<Attempt>();
  a->submission = std::move(submission);
  a->done = std::move(done);
  ++impl_->in_flight;
  impl_->Start(std::move(a));
}

size_t Submitter::in_flight() const { return impl_->in_flight; }

std::vector<RelayHealth> Submitter::Health() const {
  std::vector<RelayHealth> out;
  SteadyTime now = impl_->clock.Steady();
  for (const auto& r : impl_->relays)
    out.push_back(RelayHealth{r.config.name, now >= r.down_until, r.consecutive_failures, r.in_flight});
  return out;
}

}  // namespace tayori::smtp
