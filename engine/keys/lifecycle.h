// Module keys/: per-domain DKIM key management: onboarding, the two-selector rotation state
// machine and its driver, sealed keys, resealing, the OpenDKIM export; prints nothing, parses no
// flags. May include: base/, config/, dkim/, dns/, loop/, net/, store/ (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// KeyLifecycle: performs the DKIM key lifecycle decisions of keys/rotation.h
// against the database (through a store::DbWorker), the DNS provider and
// DNS (dns::Resolver), on the loop thread, never blocking it: key generation
// and every query run on the DbWorker's thread, HTTP and DNS are async.
//
// Each step does its external effect first (publish, revoke or delete a
// record: idempotent at the provider) and then records the new state in one
// transaction, so a crash at any point resumes on the next call with the
// same step or the next one. Every transition is logged ("dkim" subsystem)
// and written to events by store::ApplyKeyTransitions.
//
// For the daemon (engine.cpp):
//
//   // after the loop, a DbWorker, net::Transfers, dns::MakeProvider and
//   // dns::Resolver exist; all must outlive `lifecycle`:
//   keys::KeyLifecycle lifecycle(loop, db_dkim, provider.get(), *resolver, clock,
//                               kek, config.dkim, "engine:" + instance);
//   auto every = std::chrono::seconds(config.dkim.lifecycle_interval_s);
//   timer.Start(every, [&] { lifecycle.Tick(); }, every);
//
// Tick() reads every verified domain's keys in one DbWorker job and advances
// each domain with something to do by one step, domains one after another.
// Without a provider (dns.provider = "none") it starts no rotation.
// A Tick() while the previous pass still runs does nothing. Every engine
// instance may tick: key creation takes a per-domain MySQL lock, DNS changes
// are idempotent and each recorded move is guarded by its `from` state, so
// racing instances change nothing twice. Give the lifecycle a DbWorker of
// its own ("db-dkim"): key generation runs in its jobs and would otherwise
// delay lease queries. New campaigns
// pick the new key once a switch is recorded (store::ActiveDomainKeys); a
// campaign's cached Signer keeps the old key, which stays published for
// dkim.grace_days, so campaigns that outlive the grace period need a reload.
//
// Loop thread only. Destroying the object drops in-flight steps: their
// callbacks never run (and their effects are redone by the next step).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "keys/rotation.h"
#include "base/clock.h"
#include "config/config.h"
#include "crypto/seal.h"
#include "dns/provider.h"
#include "dns/resolver.h"
#include "loop/loop.h"
#include "store/db_worker.h"

namespace tayori::keys {

// One state change of one key, as it is reported to an observer.
struct LifecycleTransition {
  std::string domain;
  std::string selector;
  std::optional<scheduler::KeyState> from;  // nullopt for a key just created
  scheduler::KeyState to = scheduler::KeyState::kPending;
  std::string detail;
};

struct StepOutcome {
  RotationAction action = RotationAction::kNone;  // what was decided
  bool progressed = false;                        // a transition was recorded
  SysTime wait_until{};                           // for waits
  std::string summary;                            // one line for people
};

class KeyLifecycle {
 public:
  // `provider` may be null (dns.provider = "none"): steps that must change
  // DNS then fail with a message naming the record to publish by hand.
  // `kek` seals the keys it creates, bound to their row: the active KEK
  // (sealed_keys.h LoadKeks().front()).
  KeyLifecycle(loop::Loop& loop, store::DbWorker& db, dns::Provider* provider, dns::Resolver& resolver,
               const Clock& clock, crypto::Kek kek, config::Dkim dkim, std::string actor);
  ~KeyLifecycle();
  KeyLifecycle(const KeyLifecycle&) = delete;
  KeyLifecycle& operator=(const KeyLifecycle&) = delete;

  // Periodic pass over all verified domains (see above). `done`, if given,
  // runs when the pass ends, with the number of transitions it recorded.
  void Tick(std::function<void(int transitions)> done = nullptr);
  bool ticking() const { return ticking_; }

  // Advances one domain by one step. `requested`: start a rotation now if
  // none is in progress (`tayori dkim rotate`).
  void Step(const std::string& domain, bool requested, std::function<void(Result<StepOutcome>)> done);

  // Called for every recorded transition (after the log line).
  void OnTransition(std::function<void(const LifecycleTransition&)> fn) { observer_ = std::move(fn); }

  // Tests: called after a step's DNS change, before it is recorded; returning
  // true abandons the step there, as a crash would (`done` gets kInternal).
  void SetCrashHook(std::function<bool(RotationAction)> hook) { crash_hook_ = std::move(hook); }

 private:
  struct Snapshot;
  using Done = std::function<void(Result<StepOutcome>)>;
  void Perform(std::shared_ptr<Snapshot> snap, const RotationDecision& d, Done done);
  void CreateKey(std::shared_ptr<Snapshot> snap, const RotationDecision& d, Done done);
  void ChangeDns(std::shared_ptr<Snapshot> snap, const RotationDecision& d, std::vector<dns::RecordChange> changes,
                 std::vector<store::KeyTransition> moves, Done done);
  void CheckPropagation(std::shared_ptr<Snapshot> snap, const RotationDecision& d, Done done);
  void Record(std::shared_ptr<Snapshot> snap, const RotationDecision& d, std::vector<store::KeyTransition> moves,
              Done done);
  void TickNext(std::shared_ptr<std::vector<std::shared_ptr<Snapshot>>> todo, size_t i, int transitions,
                std::function<void(int)> done);

  loop::Loop& loop_;
  store::DbWorker& db_;
  dns::Provider* provider_;
  dns::Resolver& resolver_;
  const Clock& clock_;
  crypto::Kek kek_;
  config::Dkim dkim_;
  RotationPolicy policy_;
  std::string actor_;
  bool ticking_ = false;
  std::function<void(const LifecycleTransition&)> observer_;
  std::function<bool(RotationAction)> crash_hook_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tayori::keys
