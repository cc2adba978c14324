#include "daemon/inbound_service.h"

#include <set>

#include <cstdio>
#include <cstdlib>

#include "base/metrics.h"
#include "base/log.h"
#include "crypto/primitives.h"
#include "feedback/parser.h"
#include "feedback/records.h"
#include "inbound/from_config.h"
#include "inbound/server.h"
#include "store/feedback.h"
#include "store/feedback_rates.h"
#include "unsubscribe/token.h"

namespace tayori::daemon {
namespace {

std::string EffectText(const feedback::RecipientReport& r) {
  return std::string(feedback::EffectName(feedback::EffectOf(r)));
}

struct Converted {
  store::FeedbackMatch match;
  std::vector<store::FeedbackItem> items;
};

// What the store needs from a parsed report: how it names its delivery
// (the VERP the parser verified, the returned Message-ID, an unsubscribe
// token this platform signed), and one item per reported recipient.
Converted Convert(const feedback::Report& rep, const unsubscribe::KeySet& keys) {
  store::FeedbackMatch match;
  match.delivery_id = rep.delivery_id;
  match.message_id = rep.returned.message_id;
  if (!rep.returned.unsubscribe_token.empty()) {
    auto fields = unsubscribe::Verify(rep.returned.unsubscribe_token, keys);
    if (fields.ok() && fields->tenant_id != 0 && fields->campaign_id != 0)
      match.token = store::FeedbackMatch::Token{fields->tenant_id, fields->subscriber_id, fields->campaign_id};
  }
  // Feedback-ID "campaign:shop:type:sender" (render/campaign.cpp) with the
  // reported recipient: recorded against the delivery, never acted on.
  const std::string& fid = rep.returned.feedback_id;
  size_t c1 = fid.find(':'), c2 = c1 == std::string::npos ? c1 : fid.find(':', c1 + 1);
  if (c2 != std::string::npos && !rep.recipients.empty()) {
    uint64_t campaign = std::strtoull(fid.substr(0, c1).c_str(), nullptr, 10);
    uint64_t tenant = std::strtoull(fid.substr(c1 + 1, c2 - c1 - 1).c_str(), nullptr, 10);
    if (campaign && tenant)
      match.feedback_id = store::FeedbackMatch::ByFeedbackId{campaign, tenant, rep.recipients.front().recipient};
  }
  std::vector<store::FeedbackItem> items;
  if (rep.disposition == feedback::Disposition::kParsed) {
    for (const auto& r : rep.recipients) {
      store::FeedbackItem it;
      it.type = std::string(feedback::FeedbackTypeName(r.type));
      it.recipient = r.recipient;
      it.status = r.status;
      it.reply_code = r.reply_code;
      it.diagnostic = r.diagnostic;
      if (r.classification) {
        it.category = std::string(smtp::BounceCategoryName(r.classification->category));
        it.hard = r.classification->hard;
      }
      if (r.type == feedback::FeedbackType::kComplaint) it.category = "complaint";
      it.feedback_type = rep.feedback_type;
      it.effect = EffectText(r);
      items.push_back(std::move(it));
    }
  }
  return Converted{std::move(match), std::move(items)};
}

std::string DispositionName(feedback::Disposition d) {
  return d == feedback::Disposition::kParsed ? "parsed" : d == feedback::Disposition::kIgnored ? "ignored" : "refused";
}

}  // namespace

struct InboundService::Impl {
  loop::Loop& loop;
  const config::Config& config;
  std::vector<store::DbWorker*> workers;
  store::DbWorker& db;  // workers[0]: guards
  std::unique_ptr<feedback::Parser> parser;
  unsubscribe::KeySet keys;
  std::unique_ptr<inbound::Server> server;
  InboundCounters counters;
  store::FeedbackPolicy policy;
  // Shops whose rates moved since the last guard pass (see CheckGuards).
  std::set<uint64_t> guards_due;
  loop::Timer guard_timer;
  loop::Timer retention_timer;
  bool draining = false;

  Impl(loop::Loop& l, const config::Config& c, std::vector<store::DbWorker*> w)
      : loop(l), config(c), workers(std::move(w)), db(*workers.at(0)), guard_timer(l), retention_timer(l) {
    policy.soft_bounce_limit = c.feedback.soft_bounce_limit;
    policy.soft_bounce_window_days = c.feedback.soft_bounce_window_days;
  }

  Status Start() {
    feedback::VerpKey verp;
    verp.pattern = config.envelope.return_path;
    TAYORI_ASSIGN_OR_RETURN(verp.mac_key, config::ResolveSecret(config.envelope.mac_key_env, "envelope.mac_key_env"));
    parser = std::make_unique<feedback::Parser>(std::move(verp));
    // Tokens in a returned message's List-Unsubscribe name its delivery
    // when no VERP verifies (a relay that rewrote the envelope sender).
    for (const auto& k : config.unsubscribe.keys) {
      auto secret = config::ResolveSecret(k.secret_env, "unsubscribe.keys[" + k.id + "].secret_env");
      if (!secret.ok()) continue;  // optional here: tokens are only a fallback
      auto key = unsubscribe::SigningKey::FromBase64(k.id, *secret);
      if (key.ok()) (void)keys.Add(std::move(key).value());
    }
    inbound::ServerOptions options = inbound::ServerOptionsFromConfig(config.inbound);
    inbound::RecipientClassifier classifier = inbound::ClassifierFromConfig(config);
    server = std::make_unique<inbound::Server>(
        loop, options, classifier.AsCheck(),
        [this](inbound::Delivery d, inbound::DeliveryReply reply) { Deliver(std::move(d), std::move(reply)); });
    TAYORI_RETURN_IF_ERROR(server->Start().WithContext("inbound listener"));
    guard_timer.Start(kGuardPass, [this] { RunDueGuards(); }, kGuardPass);
    retention_timer.Start(kRetentionFirstPass, [this] { ExpireRawMessages(); });
    return Status::Ok();
  }

  // Raw messages are kept inbound.retain_days for audit and `tayori inbound
  // reprocess`, then emptied, in whichever process runs the listener (`tayori
  // inbound`, or `tayori run` with inbound.start_in_run). A pass empties at
  // most store::kInboundExpiryBatch rows; a full one is followed by another a
  // second later, so a backlog (a first start, a day of many bounces) clears
  // in minutes without one long statement.
  static constexpr std::chrono::seconds kRetentionFirstPass{5};
  static constexpr std::chrono::seconds kRetentionNextBatch{1};
  static constexpr std::chrono::hours kRetentionPass{1};

  void ExpireRawMessages() {
    const int days = config.inbound.retain_days;
    auto expired = std::make_shared<int>(0);
    db.Submit(
        [days, expired](store::Connection& conn) -> Status {
          TAYORI_ASSIGN_OR_RETURN(*expired, store::ExpireInboundMessages(conn, days));
          return Status::Ok();
        },
        [this, days, expired](Status st) {
          std::chrono::milliseconds next = kRetentionPass;
          if (!st.ok()) {
            log::Warn("inbound", "emptying raw messages older than inbound.retain_days failed; trying again in an hour",
                      {{"reason", st.message()}});
          } else if (*expired > 0) {
            log::Info("inbound", "raw messages older than inbound.retain_days emptied",
                      {{"messages", std::to_string(*expired)}, {"retain_days", std::to_string(days)}});
            if (*expired >= store::kInboundExpiryBatch) next = kRetentionNextBatch;
          }
          if (!draining) retention_timer.Start(next, [this] { ExpireRawMessages(); });
        });
  }

  // A client waits at most this long for its message to be committed.
  static constexpr std::chrono::seconds kCommitWait{10};

  struct Pending {
    Pending(inbound::DeliveryReply r, loop::Loop& l) : reply(std::move(r)), timer(l) {}
    inbound::DeliveryReply reply;
    loop::Timer timer;
    bool answered = false;
  };

  struct Job {
    inbound::Delivery delivery;
    feedback::Report report;
    store::FeedbackCommit commit;
  };

  // The worker with the fewest jobs waiting: parsing and committing one
  // message is about a millisecond, and a single connection made the
  // listener's rate that of one round trip after another. On a tie, the last:
  // workers[0] also runs the guard and retention passes (a retention pass is
  // one UPDATE of up to 10,000 rows), which queue_depth does not show while
  // they run.
  store::DbWorker& LeastBusy() {
    store::DbWorker* best = workers.back();
    for (auto it = workers.rbegin(); it != workers.rend(); ++it)
      if ((*it)->queue_depth() < best->queue_depth()) best = *it;
    return *best;
  }

  void Deliver(inbound::Delivery delivery, inbound::DeliveryReply reply) {
    store::DbWorker& worker = LeastBusy();
    if (!worker.healthy()) {
      // The database is away: the sender keeps the message and tries again.
      ++counters.deferred;
      reply.SendAll(inbound::Reply::TryLater("database unavailable, try again later"));
      return;
    }
    auto job = std::make_shared<Job>();
    job->delivery = std::move(delivery);
    auto pending = std::make_shared<Pending>(std::move(reply), loop);
    // A database that went away mid-job makes the DbWorker retry until it is
    // back; the client must not wait that long: after kCommitWait it gets
    // 451 and sends again. Should the commit still land, the resend is
    // recognised (sha256) and changes nothing twice.
    std::weak_ptr<Pending> weak = pending;
    pending->timer.Start(kCommitWait, [this, weak] {
      auto p = weak.lock();
      if (!p || p->answered) return;
      p->answered = true;
      ++counters.deferred;
      log::Warn("inbound", "database too slow or away; deferring the message (451)");
      p->reply.SendAll(inbound::Reply::TryLater("database unavailable, try again later"));
    });
    worker.Submit([this, job](store::Connection& conn) -> Status { return Commit(conn, *job); },
                  [this, job, pending](Status st) {
                pending->timer.Stop();
                if (pending->answered) return;
                pending->answered = true;
                Committed(*job, st, pending->reply);
              });
  }

  // On the DbWorker thread: parse (pure, thread-safe), match and commit.
  Status Commit(store::Connection& conn, Job& job) {
    std::vector<std::string> rcpts;
    for (const auto& r : job.delivery.recipients) rcpts.push_back(r.address);
    job.report = parser->Parse(job.delivery.data, rcpts);
    const feedback::Report& rep = job.report;
    store::InboundMessage m;
    auto digest = crypto::Sha256(job.delivery.data);
    m.sha256.assign(reinterpret_cast<const char*>(digest.data()), digest.size());
    m.raw = job.delivery.data;
    m.mail_from = job.delivery.sender;
    m.rcpt_to = rcpts;
    m.format = rep.format;
    m.disposition = DispositionName(rep.disposition);
    m.reason = rep.reason;
    Converted f = Convert(rep, keys);
    TAYORI_ASSIGN_OR_RETURN(job.commit, store::CommitFeedback(conn, m, f.match, f.items, policy));
    return Status::Ok();
  }

  void Committed(Job& job, const Status& st, inbound::DeliveryReply& reply) {
    if (!st.ok()) {
      ++counters.deferred;
      log::Warn("inbound", "could not record a message; the sender will send it again",
                {{"from", job.delivery.peer}, {"reason", st.message()}});
      reply.SendAll(inbound::Reply::TryLater("could not record the message, try again later"));
      return;
    }
    const auto& c = job.commit;
    if (c.retry_later) {
      ++counters.deferred;
      log::Info("inbound", "bounce for a delivery still being written; deferring it (451)",
                {{"delivery", std::to_string(c.delivery_id)}});
      reply.SendAll(inbound::Reply::TryLater("the delivery is still in progress here, try again later"));
      return;
    }
    if (c.duplicate) {
      ++counters.duplicates;
      reply.SendAll(inbound::Reply::Accepted("already recorded"));
      return;
    }
    ++counters.messages;
    counters.suppressed += c.suppressed;
    counters.bounced += c.bounced;
    counters.domains_paused += c.domains_paused;
    for (const auto& r : job.report.recipients) {
      switch (r.type) {
        case feedback::FeedbackType::kBounce:
          ++(r.classification && r.classification->hard ? counters.bounces_hard : counters.bounces_soft);
          break;
        case feedback::FeedbackType::kDelay: ++counters.delays; break;
        case feedback::FeedbackType::kComplaint: ++counters.complaints; break;
        case feedback::FeedbackType::kAutoReply: ++counters.auto_replies; break;
        default: break;
      }
    }
    if (job.report.recipients.empty()) ++counters.not_feedback;
    bool feedback = !job.report.recipients.empty() && job.report.disposition == feedback::Disposition::kParsed;
    if (feedback && !c.matched) ++counters.unmatched;
    log::Info("inbound", "recorded",
              {{"id", std::to_string(c.inbound_message_id)},
               {"type", std::string(feedback::FeedbackTypeName(job.report.type()))},
               {"format", job.report.format},
               {"delivery", c.matched ? std::to_string(c.delivery_id) : "none"},
               {"bounced", std::to_string(c.bounced)},
               {"suppressed", std::to_string(c.suppressed)},
               {"reason", job.report.reason}});
    if (c.domains_paused > 0)
      log::Error("inbound", "ALERT sender domain paused: a bounce reports an authentication failure",
                 {{"delivery", std::to_string(c.delivery_id)}});
    for (const auto& n : c.notes) log::Info("inbound", "note", {{"delivery", std::to_string(c.delivery_id)}, {"note", n}});
    reply.SendAll(inbound::Reply::Accepted());
    if (c.matched && (c.bounced > 0 || c.complaints > 0)) guards_due.insert(c.tenant_id);
  }

  // A shop's rates are computed over its last 1 and 7 days of feedback and
  // sending, work that grows with the shop's volume: once per shop per pass
  // (every kGuardPass) for all the reports that arrived meanwhile, not once
  // per report — per report, a run of 10,000 bounces slowed to 250 a second.
  static constexpr std::chrono::seconds kGuardPass{1};

  void RunDueGuards() {
    if (guards_due.empty()) return;
    std::vector<uint64_t> due(guards_due.begin(), guards_due.end());
    guards_due.clear();
    CheckGuards(std::move(due));
  }

  // The shops' rates moved: over feedback.max_* their sending pauses. The
  // rates are read for all of them together (a few statements for any
  // number of shops).
  void CheckGuards(std::vector<uint64_t> tenant_ids) {
    store::GuardLimits limits{config.feedback.max_complaint_rate, config.feedback.max_hard_bounce_rate,
                              static_cast<uint64_t>(config.feedback.min_volume)};
    auto verdicts = std::make_shared<std::vector<store::ShopVerdict>>();
    db.Submit(
        [tenant_ids = std::move(tenant_ids), limits, verdicts](store::Connection& conn) -> Status {
          TAYORI_ASSIGN_OR_RETURN(*verdicts, store::EnforceFeedbackGuards(conn, tenant_ids, limits, "inbound"));
          return Status::Ok();
        },
        [verdicts](Status st) {
          if (!st.ok()) {
            log::Warn("inbound", "checking the shops' feedback rates failed", {{"reason", st.message()}});
            return;
          }
          for (const auto& [tenant_id, verdict] : *verdicts)
            if (verdict.paused > 0)
              log::Error("inbound", "ALERT shop over a feedback limit: its campaigns are paused",
                         {{"tenant", std::to_string(tenant_id)}, {"campaigns", std::to_string(verdict.paused)},
                          {"reason", verdict.reason}});
        });
  }

  std::string MetricsText() const {
    metrics::Writer w;
    auto n = [](uint64_t v) { return static_cast<double>(v); };
    w.Family("tayori_inbound_messages_total", "counter", "Inbound messages by what was done with them.");
    w.Sample("tayori_inbound_messages_total", {{"result", "recorded"}}, n(counters.messages));
    w.Sample("tayori_inbound_messages_total", {{"result", "duplicate"}}, n(counters.duplicates));
    w.Sample("tayori_inbound_messages_total", {{"result", "deferred"}}, n(counters.deferred));
    w.Family("tayori_feedback_total", "counter", "Reported recipients by type and class.");
    w.Sample("tayori_feedback_total", {{"type", "bounce"}, {"class", "hard"}}, n(counters.bounces_hard));
    w.Sample("tayori_feedback_total", {{"type", "bounce"}, {"class", "soft"}}, n(counters.bounces_soft));
    w.Sample("tayori_feedback_total", {{"type", "delay"}}, n(counters.delays));
    w.Sample("tayori_feedback_total", {{"type", "complaint"}}, n(counters.complaints));
    w.Sample("tayori_feedback_total", {{"type", "auto-reply"}}, n(counters.auto_replies));
    w.Sample("tayori_feedback_total", {{"type", "not-feedback"}}, n(counters.not_feedback));
    w.Family("tayori_feedback_unmatched_total", "counter", "Reported recipients that matched no delivery.");
    w.Sample("tayori_feedback_unmatched_total", n(counters.unmatched));
    w.Family("tayori_feedback_suppressed_total", "counter", "Addresses suppressed because of inbound feedback.");
    w.Sample("tayori_feedback_suppressed_total", n(counters.suppressed));
    return w.Take();
  }
};

Result<ReprocessSummary> ReprocessInbound(const config::Config& config, store::Connection& db, uint64_t from_id,
                                          int limit, const std::function<void(const std::string&)>& report) {
  feedback::VerpKey verp;
  verp.pattern = config.envelope.return_path;
  TAYORI_ASSIGN_OR_RETURN(verp.mac_key, config::ResolveSecret(config.envelope.mac_key_env, "envelope.mac_key_env"));
  feedback::Parser parser(std::move(verp));
  unsubscribe::KeySet keys;
  for (const auto& k : config.unsubscribe.keys) {
    auto secret = config::ResolveSecret(k.secret_env, "unsubscribe.keys[" + k.id + "].secret_env");
    if (!secret.ok()) continue;
    auto key = unsubscribe::SigningKey::FromBase64(k.id, *secret);
    if (key.ok()) (void)keys.Add(std::move(key).value());
  }
  store::FeedbackPolicy policy;
  policy.soft_bounce_limit = config.feedback.soft_bounce_limit;
  policy.soft_bounce_window_days = config.feedback.soft_bounce_window_days;
  policy.actor = "inbound reprocess";
  ReprocessSummary sum;
  TAYORI_ASSIGN_OR_RETURN(auto stored, store::StoredInboundMessages(db, from_id, limit,
                                                                    static_cast<size_t>(config.inbound.max_message_bytes)));
  for (const auto& m : stored) {
    ++sum.messages;
    feedback::Report rep = parser.Parse(m.raw, m.rcpt_to);
    Converted f = Convert(rep, keys);
    auto done = store::ReapplyFeedback(db, m.id, rep.format, DispositionName(rep.disposition), rep.reason, f.match,
                                       f.items, policy);
    if (!done.ok()) {
      ++sum.failed;
      report("message " + std::to_string(m.id) + ": FAILED: " + done.status().message());
      continue;
    }
    sum.matched += done->matched;
    sum.bounced += done->bounced;
    sum.suppressed += done->suppressed;
    sum.complaints += done->complaints;
    report("message " + std::to_string(m.id) + ": " + std::string(feedback::FeedbackTypeName(rep.type())) +
           (rep.format.empty() ? "" : " (" + rep.format + ")") +
           (done->matched ? ", delivery " + std::to_string(done->delivery_id) : ", no delivery") +
           ", bounced " + std::to_string(done->bounced) + ", suppressed " + std::to_string(done->suppressed));
  }
  return sum;
}

InboundService::InboundService(loop::Loop& loop, const config::Config& config, std::vector<store::DbWorker*> workers)
    : impl_(std::make_unique<Impl>(loop, config, std::move(workers))) {}
InboundService::~InboundService() = default;
Status InboundService::Start() { return impl_->Start(); }
int InboundService::port() const { return impl_->server ? impl_->server->port() : 0; }
void InboundService::Drain(std::function<void()> done) {
  impl_->draining = true;
  impl_->retention_timer.Stop();
  if (impl_->server) impl_->server->Drain(std::move(done));
  else done();
}
const InboundCounters& InboundService::counters() const { return impl_->counters; }
std::string InboundService::MetricsText() const { return impl_->MetricsText(); }

}  // namespace tayori::daemon
