#include "keys/lifecycle.h"

#include <map>

#include "base/log.h"
#include "crypto/key.h"
#include "store/admin.h"

namespace tayori::keys {

struct KeyLifecycle::Snapshot {
  store::SenderDomainRow domain;
  std::vector<store::DomainKeyRow> keys;
};

namespace {

// Wraps a callback so it is dropped once the KeyLifecycle is gone.
template <typename F>
auto Guard(const std::shared_ptr<bool>& alive, F fn) {
  return [w = std::weak_ptr<bool>(alive), fn = std::move(fn)](auto&&... args) mutable {
    if (w.expired()) return;
    fn(std::forward<decltype(args)>(args)...);
  };
}

}  // namespace

KeyLifecycle::KeyLifecycle(loop::Loop& loop, store::DbWorker& db, dns::Provider* provider, dns::Resolver& resolver,
                           const Clock& clock, crypto::Kek kek, config::Dkim dkim, std::string actor)
    : loop_(loop),
      db_(db),
      provider_(provider),
      resolver_(resolver),
      clock_(clock),
      kek_(std::move(kek)),
      dkim_(std::move(dkim)),
      policy_(PolicyFrom(dkim_)),
      actor_(std::move(actor)) {}

KeyLifecycle::~KeyLifecycle() { alive_.reset(); }

void KeyLifecycle::Step(const std::string& domain, bool requested, Done done) {
  auto snap = std::make_shared<Snapshot>();
  db_.Submit(
      [snap, domain](store::Connection& c) -> Status {
        TAYORI_ASSIGN_OR_RETURN(snap->domain, store::FindSenderDomain(c, domain));
        TAYORI_ASSIGN_OR_RETURN(snap->keys, store::DomainKeys(c, snap->domain.id));
        return Status::Ok();
      },
      Guard(alive_, [this, snap, requested, done](Status st) {
        if (!st.ok()) return done(st);
        if (snap->domain.state != scheduler::DomainState::kVerified)
          return done(Permanent("sender domain " + snap->domain.domain + " is " +
                                std::string(scheduler::Name(snap->domain.state)) +
                                "; only a verified domain rotates its keys"));
        RotationDecision d = DecideRotation(snap->keys, clock_.Now(), policy_, requested);
        Perform(snap, d, done);
      }));
}

void KeyLifecycle::Tick(std::function<void(int)> done) {
  if (ticking_) return;
  ticking_ = true;
  auto snaps = std::make_shared<std::vector<std::shared_ptr<Snapshot>>>();
  db_.Submit(
      [snaps](store::Connection& c) -> Status {
        TAYORI_ASSIGN_OR_RETURN(auto domains, store::ListSenderDomains(c));
        TAYORI_ASSIGN_OR_RETURN(auto keys, store::LifecycleKeys(c));
        std::map<uint64_t, std::shared_ptr<Snapshot>> by_id;
        for (auto& d : domains) {
          if (d.state != scheduler::DomainState::kVerified) continue;
          auto s = std::make_shared<Snapshot>();
          s->domain = d;
          by_id[d.id] = s;
          snaps->push_back(s);
        }
        for (auto& k : keys)
          if (auto it = by_id.find(k.sender_domain_id); it != by_id.end()) it->second->keys.push_back(k);
        return Status::Ok();
      },
      Guard(alive_, [this, snaps, done](Status st) {
        if (!st.ok()) {
          log::Warn("dkim", "lifecycle pass skipped: cannot read keys", {{"reason", st.message()}});
          ticking_ = false;
          if (done) done(0);
          return;
        }
        TickNext(snaps, 0, 0, done);
      }));
}

void KeyLifecycle::TickNext(std::shared_ptr<std::vector<std::shared_ptr<Snapshot>>> todo, size_t i, int transitions,
                            std::function<void(int)> done) {
  // Domains with only a wait ahead are skipped without any I/O.
  while (i < todo->size()) {
    auto snap = (*todo)[i];
    RotationDecision d = DecideRotation(snap->keys, clock_.Now(), policy_, false);
    // Without a provider nothing could be published: an automatic rotation
    // would only pile up pending keys (`tayori dkim rotate` says what to do).
    bool skip = !provider_ && d.action == RotationAction::kCreateKey;
    if (skip) log::Debug("dkim", "rotation of " + snap->domain.domain + " is due but dns.provider is \"none\"");
    if (!IsWait(d.action) && !skip) {
      Perform(snap, d, Guard(alive_, [this, todo, i, transitions, done, snap](Result<StepOutcome> r) {
        if (!r.ok())
          log::Warn("dkim", "lifecycle step failed for " + snap->domain.domain, {{"reason", r.status().message()}});
        TickNext(todo, i + 1, transitions + (r.ok() && r->progressed ? 1 : 0), done);
      }));
      return;
    }
    ++i;
  }
  ticking_ = false;
  if (done) done(transitions);
}

void KeyLifecycle::Perform(std::shared_ptr<Snapshot> snap, const RotationDecision& d, Done done) {
  const auto& dom = snap->domain;
  SysTime now = clock_.Now();
  auto record_name = [&](const std::string& selector) { return SelectorName(selector, dom.key_host); };
  switch (d.action) {
    case RotationAction::kNone:
    case RotationAction::kWaitPropagation:
    case RotationAction::kWaitGrace:
    case RotationAction::kWaitRemoval:
      return done(StepOutcome{d.action, false, d.wait_until, d.reason});
    case RotationAction::kBroken:
      log::Error("dkim", "sender domain " + dom.domain + " has no active RSA key; not touching it",
                 {{"domain", dom.domain}});
      return done(Permanent("sender domain " + dom.domain + " is verified but has no active RSA key"));
    case RotationAction::kCreateKey:
      return CreateKey(snap, d, std::move(done));
    case RotationAction::kCheckPropagation:
      return CheckPropagation(snap, d, std::move(done));
    case RotationAction::kPublish: {
      dns::RecordChange c{dns::ChangeAction::kUpsert, record_name(d.key->selector), "TXT", KeyTxtValue(*d.key),
                          dkim_.record_ttl_s};
      store::KeyTransition m{d.key->domain_key_id, KeyState::kPending, KeyState::kPublished, now, {}, false,
                             "published via provider"};
      return ChangeDns(snap, d, {c}, {m}, std::move(done));
    }
    case RotationAction::kRevoke: {
      // RFC 6376 §3.6.1: an empty p= tells verifiers the key is revoked.
      dns::RecordChange c{dns::ChangeAction::kUpsert, record_name(d.key->selector), "TXT",
                          std::string(kRevokedTxtValue), dkim_.record_ttl_s};
      store::KeyTransition m{d.key->domain_key_id, KeyState::kRetiring, KeyState::kRevoked, now, {}, false,
                             "empty p= published"};
      return ChangeDns(snap, d, {c}, {m}, std::move(done));
    }
    case RotationAction::kRemoveRecord: {
      dns::RecordChange c{dns::ChangeAction::kDelete, record_name(d.key->selector), "TXT",
                          std::string(kRevokedTxtValue), dkim_.record_ttl_s};
      store::KeyTransition m{d.key->domain_key_id, KeyState::kRevoked, KeyState::kRevoked, now, {}, true,
                             "record deleted"};
      return ChangeDns(snap, d, {c}, {m}, std::move(done));
    }
  }
}

void KeyLifecycle::CreateKey(std::shared_ptr<Snapshot> snap, const RotationDecision& d, Done done) {
  // RSA generation takes tens of milliseconds: it runs on the DbWorker's
  // thread with the inserts, never on the loop.
  auto created = std::make_shared<std::vector<LifecycleTransition>>();
  uint64_t domain_id = snap->domain.id;
  std::string domain = snap->domain.domain;
  uint64_t active_id = d.active->domain_key_id;
  std::string selector = d.selector;
  std::optional<store::DomainKeyRow> spare = d.spare;
  int bits = dkim_.rsa_bits;
  crypto::Kek kek = kek_;
  std::string actor = actor_;
  SysTime now = clock_.Now();
  db_.Submit(
      [=](store::Connection& c) -> Status {
        // Several engine instances may tick at once, and a job runs again
        // after a lost connection: under a per-domain lock, a second run finds
        // the key the first one made and makes no other.
        auto lock = store::NamedLock::Acquire(c, "tayori_dkim_" + std::to_string(domain_id), 10);
        if (!lock.ok()) {
          if (lock.status().transient()) return lock.status();
          return Permanent("another process is creating a key for this domain");
        }
        TAYORI_ASSIGN_OR_RETURN(auto keys, store::DomainKeys(c, domain_id));
        for (const auto& k : keys)
          if (k.rotation_of == active_id && (k.state == KeyState::kPending || k.state == KeyState::kPublished))
            return Status::Ok();
        if (spare) {
          bool still = false;
          for (const auto& k : keys) still |= k.domain_key_id == spare->domain_key_id && k.state == spare->state;
          if (still) {
            TAYORI_RETURN_IF_ERROR(store::ApplyKeyTransitions(
                c, {store::KeyTransition{spare->domain_key_id, spare->state, KeyState::kRevoked, now, {}, true,
                                         "superseded by a rotation key; its record is overwritten"}},
                actor));
            created->push_back({"", spare->selector, spare->state, KeyState::kRevoked, "superseded"});
          }
        }
        TAYORI_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::GenerateRsa(bits));
        TAYORI_ASSIGN_OR_RETURN(std::string pem, key->ToPem());
        store::NewDomainKey nk;
        nk.sender_domain_id = domain_id;
        nk.selector = selector;
        nk.bits = key->bits();
        nk.public_key = key->PublicKeyBase64();
        TAYORI_ASSIGN_OR_RETURN(nk.private_key_sealed,
                                crypto::Seal(kek, crypto::KeyBinding{domain, selector, nk.public_key}, pem));
        nk.kek_id = kek.id;
        nk.rotation_of = active_id;
        nk.actor = actor;
        TAYORI_ASSIGN_OR_RETURN(uint64_t id, store::InsertDomainKey(c, nk));
        (void)id;
        created->push_back({"", selector, std::nullopt, KeyState::kPending, "new key (rotation)"});
        return Status::Ok();
      },
      Guard(alive_, [this, snap, d, created, done](Status st) {
        if (!st.ok()) return done(st);
        for (auto t : *created) {
          t.domain = snap->domain.domain;
          log::Info("dkim", "rotation: " + t.domain + " selector " + t.selector + ": " +
                                std::string(t.from ? scheduler::Name(*t.from) : "new") + " -> " +
                                std::string(scheduler::Name(t.to)) + " (" + t.detail + ")");
          if (observer_) observer_(t);
        }
        done(StepOutcome{d.action, !created->empty(), {}, d.reason});
      }));
}

void KeyLifecycle::ChangeDns(std::shared_ptr<Snapshot> snap, const RotationDecision& d,
                             std::vector<dns::RecordChange> changes, std::vector<store::KeyTransition> moves,
                             Done done) {
  if (!provider_) {
    std::string what;
    for (const auto& c : changes)
      what += (c.action == dns::ChangeAction::kDelete ? "delete TXT " : "publish TXT ") + c.name + ". " +
              (c.action == dns::ChangeAction::kDelete ? "" : "\"" + c.value + "\"") + "; ";
    return done(Permanent("dns.provider is \"none\": cannot change DNS automatically (" + what + ")"));
  }
  provider_->Apply(std::move(changes), Guard(alive_, [this, snap, d, moves, done](Status st) {
    if (!st.ok()) return done(st.WithContext("sender domain " + snap->domain.domain));
    if (crash_hook_ && crash_hook_(d.action)) return done(Internal("simulated crash after the DNS change"));
    Record(snap, d, moves, done);
  }));
}

void KeyLifecycle::CheckPropagation(std::shared_ptr<Snapshot> snap, const RotationDecision& d, Done done) {
  // Looked up at the shop's name, so a delegated domain is checked through
  // its CNAME, as receivers will see it.
  std::string name = SelectorName(d.key->selector, snap->domain.domain);
  resolver_.QueryTxt(name, Guard(alive_, [this, snap, d, name, done](Result<dns::TxtRecords> r) {
    std::string why;
    if (!r.ok()) why = r.status().message();
    else if (RecordsPublishKey(*r, d.key->public_key, &why)) why.clear();
    if (!why.empty() || !r.ok()) {
      SysTime retry = clock_.Now() + std::chrono::seconds(60);
      return done(StepOutcome{d.action, false, retry, "waiting: " + name + " answers " + why});
    }
    SysTime now = clock_.Now();
    std::vector<store::KeyTransition> moves = {
        {d.key->domain_key_id, KeyState::kPublished, KeyState::kActive, now, {}, false,
         "DNS answers with it; signing switches"},
        {d.active->domain_key_id, KeyState::kActive, KeyState::kRetiring, now, now + policy_.grace, false,
         "replaced by selector " + d.key->selector}};
    Record(snap, d, std::move(moves), done);
  }));
}

void KeyLifecycle::Record(std::shared_ptr<Snapshot> snap, const RotationDecision& d,
                          std::vector<store::KeyTransition> moves, Done done) {
  for (const auto& m : moves) {
    // A broken invariant in this file, not an expected failure: crash.
    if (m.from != m.to && !scheduler::KeyTransitionAllowed(m.from, m.to)) {
      log::Error("dkim", "illegal key transition " + std::string(scheduler::Name(m.from)) + " -> " +
                             std::string(scheduler::Name(m.to)));
      std::abort();
    }
  }
  std::string actor = actor_;
  db_.Submit([moves, actor](store::Connection& c) { return store::ApplyKeyTransitions(c, moves, actor); },
             Guard(alive_, [this, snap, d, moves, done](Status st) {
               if (!st.ok()) return done(st);
               for (const auto& m : moves) {
                 std::string selector;
                 for (const auto& k : snap->keys)
                   if (k.domain_key_id == m.domain_key_id) selector = k.selector;
                 LifecycleTransition t{snap->domain.domain, selector, m.from, m.to, m.detail};
                 log::Info("dkim", "rotation: " + t.domain + " selector " + selector + ": " +
                                       std::string(scheduler::Name(m.from)) + " -> " +
                                       std::string(scheduler::Name(m.to)) +
                                       " (" + m.detail + ")");
                 if (observer_) observer_(t);
               }
               done(StepOutcome{d.action, true, {}, d.reason});
             }));
}

}  // namespace tayori::keys
