// Integration: domain onboarding, verification and the whole DKIM key
// rotation against MariaDB (ScratchDatabase) and the PowerDNS of
// scripts/services, with a FakeClock moving time. Messages signed by the
// engine's kind of Signer are verified by our verifier through our resolver
// and by dkimpy through dnspython, before, during and after the rotation.
#include "keys/lifecycle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/commands.h"
#include "keys/sealed_keys.h"
#include "base/log.h"
#include "crypto/key.h"
#include "dkim/signer.h"
#include "dkim/verifier.h"
#include "dns/provider.h"
#include "dns/resolver.h"
#include "net/transfers.h"
#include "pdns_util.h"
#include "store/admin.h"
#include "store/migrations.h"
#include "testing/scratch_db.h"
#include "testing/test_env.h"

namespace tayori::keys {
namespace {

constexpr const char* kKek = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // 32 bytes, base64

std::string TempDir() {
  char tmpl[] = "/tmp/tayori-lc-XXXXXX";
  return ::mkdtemp(tmpl);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sends this process's stdout and stderr (CLI output and logs) to a file.
class CaptureOutput {
 public:
  explicit CaptureOutput(const std::string& path) {
    std::fflush(stdout);
    std::fflush(stderr);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    saved_out_ = ::dup(1);
    saved_err_ = ::dup(2);
    ::dup2(fd_, 1);
    ::dup2(fd_, 2);
  }
  ~CaptureOutput() {
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(saved_out_, 1);
    ::dup2(saved_err_, 2);
    ::close(saved_out_);
    ::close(saved_err_);
    ::close(fd_);
  }

 private:
  int fd_, saved_out_, saved_err_;
};

const char kMessage[] =
    "From: News <news@{D}>\r\nTo: reader@example.net\r\nSubject: rotation test {N}\r\n"
    "Date: Sat, 28 Nov 2026 04:00:00 +0000\r\nMessage-ID: <{N}@{D}>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nHello {N}.\r\n";

class KeyLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pdns_ = testing::RequirePdns();
    ASSERT_GT(pdns_.dns_port, 0);
    // Zones of their own, so tests may run in parallel (a label is at most 63 bytes).
    std::string tag = std::to_string(::getpid()) + "-" +
                      std::to_string(std::hash<std::string>()(
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name()) % 1000000);
    zone_ = "pz-" + tag + ".test";
    shop_zone_ = "shop-" + tag + ".test";
    testing::CreateZone(pdns_, zone_);
    testing::CreateZone(pdns_, shop_zone_);
    scratch_ = std::make_unique<testing::ScratchDatabase>("lc");
    db_ = scratch_->Connect();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(store::Migrate(*db_).ok());
    ASSERT_TRUE(store::AddTenant(*db_, "shop1", "Shop One", "shop00001", "").ok());
    ::setenv("TAYORI_TEST_KEK", kKek, 1);
    dir_ = TempDir();
    config_path_ = dir_ + "/tayori.toml";
    const auto& d = scratch_->settings();
    std::ofstream(config_path_) << "[database]\nsocket = \"" << d.socket << "\"\nport = " << d.port
                                << "\nuser = \"root\"\nname = \"" << d.name << "\"\n\n[dkim]\nkek_env = \"TAYORI_TEST_KEK\"\n"
                                << "platform_zone = \"" << zone_ << "\"\nrecord_ttl_s = 60\ngrace_days = 2\n"
                                << "rotation_age_days = 30\n\n[dns]\nprovider = \"powerdns\"\nresolver = \""
                                << pdns_.resolver() << "\"\n\n[dns.powerdns]\napi_url = \"" << pdns_.api_url()
                                << "\"\napi_key_env = \"TAYORI_TEST_PDNS_API_KEY\"\n\n[logging]\nlevel = \"info\"\n";
    auto cfg = config::LoadConfigFile(config_path_);
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    cfg_ = *cfg;
  }

  void TearDown() override {
    testing::DeleteZone(pdns_, zone_);
    testing::DeleteZone(pdns_, shop_zone_);
  }

  // The lifecycle machinery, as the engine would hold it.
  struct Machine {
    loop::Loop loop;
    std::unique_ptr<net::Transfers> transfers;
    std::unique_ptr<dns::Provider> provider;
    std::unique_ptr<dns::Resolver> resolver;
    std::unique_ptr<store::DbWorker> db;
    std::unique_ptr<KeyLifecycle> lifecycle;
    std::vector<LifecycleTransition> transitions;
    ~Machine() {
      lifecycle.reset();
      db.reset();
      resolver.reset();
      provider.reset();
      transfers.reset();
    }
  };

  std::unique_ptr<Machine> MakeMachine(const Clock& clock) {
    auto m = std::make_unique<Machine>();
    m->transfers = std::make_unique<net::Transfers>(m->loop, net::PoolOptions{2, 0});
    auto provider = dns::MakeProvider(cfg_.dns, zone_, m->loop, *m->transfers);
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    m->provider = std::move(provider).value();
    auto resolver = dns::Resolver::Create(m->loop, dns::ResolverOptions{pdns_.resolver()});
    EXPECT_TRUE(resolver.ok());
    m->resolver = std::move(resolver).value();
    m->db = std::make_unique<store::DbWorker>("db-test", scratch_->settings(), "", m->loop);
    auto kek = crypto::ParseKek("kek1", kKek);
    EXPECT_TRUE(kek.ok());
    m->lifecycle = std::make_unique<KeyLifecycle>(m->loop, *m->db, m->provider.get(), *m->resolver, clock, *kek,
                                                  cfg_.dkim, "test");
    m->lifecycle->OnTransition([mp = m.get()](const LifecycleTransition& t) { mp->transitions.push_back(t); });
    return m;
  }

  Result<StepOutcome> Step(Machine& m, const std::string& domain, bool requested) {
    std::optional<Result<StepOutcome>> out;
    m.lifecycle->Step(domain, requested, [&](Result<StepOutcome> r) {
      out.emplace(std::move(r));
      m.loop.Stop();
    });
    if (!out) m.loop.Run();
    return std::move(*out);
  }

  std::vector<store::DomainKeyRow> Keys(const std::string& domain) {
    auto d = store::FindSenderDomain(*db_, domain);
    EXPECT_TRUE(d.ok());
    auto k = store::DomainKeys(*db_, d->id);
    EXPECT_TRUE(k.ok());
    return *k;
  }
  int CountState(const std::string& domain, KeyState state) {
    int n = 0;
    for (const auto& k : Keys(domain)) n += k.state == state;
    return n;
  }

  // Signs as the engine does (message_factory.cpp): the active RSA key,
  // unsealed with the KEK, in a SignerBuilder.
  std::string SignWithActiveKey(const std::string& domain, const std::string& n) {
    auto d = store::FindSenderDomain(*db_, domain);
    auto keys = store::ActiveDomainKeys(*db_, d->id);
    EXPECT_TRUE(keys.ok() && keys->size() == 1);
    auto kek = crypto::ParseKek("kek1", kKek);
    auto opened = OpenDomainKey({*kek}, domain, (*keys)[0]);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    auto signer = dkim::SignerBuilder().Domain(domain).Selector((*keys)[0].selector).Key(opened->key).Build();
    EXPECT_TRUE(signer.ok()) << signer.status().ToString();
    std::string msg = kMessage;
    for (auto [from, to] : {std::pair<std::string, std::string>{"{D}", domain}, {"{N}", n}})
      for (size_t p; (p = msg.find(from)) != std::string::npos;) msg.replace(p, from.size(), to);
    auto signed_msg = signer->Sign(msg);
    EXPECT_TRUE(signed_msg.ok());
    return *signed_msg;
  }

  // Our verifier, keys looked up through our resolver in the test DNS.
  dkim::Verdict VerifyOurs(const std::string& message) {
    dns::ResolverOptions ro{pdns_.resolver(), std::chrono::milliseconds(1000), 2};
    dkim::Verifier v([ro](std::string_view name) -> Result<std::string> {
      TAYORI_ASSIGN_OR_RETURN(auto records, dns::ResolveTxtBlocking(ro, std::string(name)));
      return records.front();
    });
    return v.Verify(message);
  }

  bool VerifyDkimpy(const std::string& message) {
    std::string path = dir_ + "/msg.eml";
    std::ofstream(path, std::ios::binary) << message;
    std::string cmd = "/usr/bin/python3 " + testing::SourcePath("tests/tools/dkimpy_verify.py") + " --port " +
                      std::to_string(pdns_.dns_port) + " " + path + " > " + dir_ + "/dkimpy.out 2>&1";
    int rc = std::system(cmd.c_str());
    EXPECT_NE(WEXITSTATUS(rc), 2) << ReadAll(dir_ + "/dkimpy.out");
    return WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
  }

  void AddDelegatedAndVerify(const std::string& domain) {
    ASSERT_EQ(cli::RunDomainAdd(config_path_, domain, "shop1", "delegated"), 0);
    std::string key_host = domain;
    for (char& c : key_host)
      if (c == '.') c = '-';
    key_host += "." + zone_;
    for (const char* s : {"s1", "s2"})
      testing::AddCname(pdns_, shop_zone_, std::string(s) + "._domainkey." + domain,
                        std::string(s) + "._domainkey." + key_host);
    ASSERT_EQ(cli::RunDomainVerify(config_path_, domain, false), 0);
  }

  testing::Pdns pdns_;
  std::string zone_, shop_zone_, dir_, config_path_;
  std::unique_ptr<testing::ScratchDatabase> scratch_;
  std::unique_ptr<store::Connection> db_;
  config::Config cfg_;
};

TEST_F(KeyLifecycleTest, HostedAndDelegatedDomainsPublishResolveAndVerify) {
  std::string hosted = "news." + zone_;
  ASSERT_EQ(cli::RunDomainAdd(config_path_, hosted, "shop1", "hosted"), 0);
  ASSERT_EQ(cli::RunDomainAdd(config_path_, shop_zone_, "shop1", "delegated"), 0);
  std::string key_host = shop_zone_;
  for (char& c : key_host)
    if (c == '.') c = '-';
  key_host += "." + zone_;

  // The records are in DNS: dig and our resolver both see the stored keys.
  auto hk = Keys(hosted);
  ASSERT_EQ(hk.size(), 1u);
  EXPECT_EQ(hk[0].state, KeyState::kPublished);
  std::string dug = testing::Dig(pdns_, "TXT", "s1._domainkey." + hosted);
  std::string joined;
  for (char c : dug)
    if (c != '"' && c != ' ' && c != '\n') joined += c;
  EXPECT_NE(joined.find(hk[0].public_key), std::string::npos) << dug;
  auto ours = dns::ResolveTxtBlocking(dns::ResolverOptions{pdns_.resolver()}, "s1._domainkey." + hosted);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  EXPECT_EQ(*ours, dns::TxtRecords{KeyTxtValue(hk[0])});
  for (const auto& k : Keys(shop_zone_)) {
    auto r = dns::ResolveTxtBlocking(dns::ResolverOptions{pdns_.resolver()}, k.selector + "._domainkey." + key_host);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, dns::TxtRecords{KeyTxtValue(k)});
    EXPECT_FALSE(testing::Dig(pdns_, "TXT", k.selector + "._domainkey." + key_host).empty());
  }

  EXPECT_EQ(cli::RunDomainVerify(config_path_, hosted, false), 0);
  EXPECT_EQ(store::FindSenderDomain(*db_, hosted)->state, scheduler::DomainState::kVerified);
  EXPECT_EQ(CountState(hosted, KeyState::kActive), 1);

  // The delegated domain verifies only once the shop created its CNAMEs.
  EXPECT_EQ(cli::RunDomainVerify(config_path_, shop_zone_, false), 1);
  EXPECT_EQ(store::FindSenderDomain(*db_, shop_zone_)->state, scheduler::DomainState::kPending);
  testing::AddCname(pdns_, shop_zone_, "s1._domainkey." + shop_zone_, "s1._domainkey." + key_host);
  EXPECT_EQ(cli::RunDomainVerify(config_path_, shop_zone_, false), 1);  // s2 still missing
  testing::AddCname(pdns_, shop_zone_, "s2._domainkey." + shop_zone_, "s2._domainkey." + key_host);
  EXPECT_EQ(cli::RunDomainVerify(config_path_, shop_zone_, false), 0);
  EXPECT_EQ(store::FindSenderDomain(*db_, shop_zone_)->state, scheduler::DomainState::kVerified);
  for (const auto& k : Keys(shop_zone_)) EXPECT_EQ(k.state, k.selector == "s1" ? KeyState::kActive : KeyState::kPublished);

  // Messages signed the engine's way verify, with dkimpy and with ours.
  for (const std::string& domain : {hosted, shop_zone_}) {
    std::string m = SignWithActiveKey(domain, "onboard");
    EXPECT_TRUE(VerifyOurs(m).pass()) << VerifyOurs(m).ToString();
    EXPECT_TRUE(VerifyDkimpy(m)) << domain << ": " << ReadAll(dir_ + "/dkimpy.out");
  }

  // The web app's view has the public columns and no secret one.
  auto view = db_->Select("SELECT * FROM dkim_keys_public WHERE domain = ?", {shop_zone_});
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->size(), 2u);
  for (const auto& c : view->columns) {
    EXPECT_EQ(c.find("private"), std::string::npos) << c;
    EXPECT_NE(c, "kek_id");
  }
}

TEST_F(KeyLifecycleTest, FullRotationWithAFakeClockKeepsEverySignatureVerifiable) {
  std::string domain = shop_zone_;
  AddDelegatedAndVerify(domain);
  FakeClock clock(SystemClock::Instance().Now());
  auto m = MakeMachine(clock);

  std::string before = SignWithActiveKey(domain, "before");
  ASSERT_TRUE(VerifyOurs(before).pass());

  // Not due yet: nothing happens on a tick.
  auto r = Step(*m, domain, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, RotationAction::kNone);
  EXPECT_FALSE(r->progressed);

  // 31 days later the engine's Tick starts the rotation on its own.
  clock.Advance(std::chrono::hours(24 * 31));
  int transitions = -1;
  m->lifecycle->Tick([&](int n) {
    transitions = n;
    m->loop.Stop();
  });
  m->loop.Run();
  EXPECT_EQ(transitions, 1);
  auto keys = Keys(domain);
  ASSERT_EQ(keys.front().state, KeyState::kPending);  // newest first
  EXPECT_EQ(keys.front().selector, "s2");
  std::string during1 = SignWithActiveKey(domain, "during1");  // still s1

  r = Step(*m, domain, false);  // publish
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, RotationAction::kPublish);
  EXPECT_EQ(CountState(domain, KeyState::kActive), 1);
  r = Step(*m, domain, false);
  EXPECT_EQ(r->action, RotationAction::kWaitPropagation);
  clock.Advance(std::chrono::seconds(60));
  r = Step(*m, domain, false);  // DNS answers s2 with the new key through the CNAME: switch
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, RotationAction::kCheckPropagation);
  EXPECT_TRUE(r->progressed) << r->summary;
  EXPECT_EQ(CountState(domain, KeyState::kActive), 1);
  EXPECT_EQ(CountState(domain, KeyState::kRetiring), 1);
  std::string during2 = SignWithActiveKey(domain, "during2");
  EXPECT_NE(during2.find("s=s2"), std::string::npos);
  for (const std::string* msg : {&before, &during1, &during2})
    EXPECT_TRUE(VerifyOurs(*msg).pass()) << VerifyOurs(*msg).ToString();
  EXPECT_TRUE(VerifyDkimpy(before)) << ReadAll(dir_ + "/dkimpy.out");  // old key still published in grace

  r = Step(*m, domain, false);
  EXPECT_EQ(r->action, RotationAction::kWaitGrace);
  clock.Advance(std::chrono::hours(48));
  r = Step(*m, domain, false);  // revoke: empty p=
  EXPECT_EQ(r->action, RotationAction::kRevoke);
  auto revoked = dns::ResolveTxtBlocking(dns::ResolverOptions{pdns_.resolver()}, "s1._domainkey." + domain);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, dns::TxtRecords{"v=DKIM1; p="});
  EXPECT_FALSE(VerifyOurs(before).pass());  // a revoked key fails, as it should after the grace period
  clock.Advance(std::chrono::seconds(60));
  r = Step(*m, domain, false);  // delete the record
  EXPECT_EQ(r->action, RotationAction::kRemoveRecord);
  auto gone = dns::ResolveTxtBlocking(dns::ResolverOptions{pdns_.resolver()}, "s1._domainkey." + domain);
  EXPECT_FALSE(gone.ok());

  std::string after = SignWithActiveKey(domain, "after");
  EXPECT_TRUE(VerifyOurs(after).pass());
  EXPECT_TRUE(VerifyOurs(during2).pass());
  EXPECT_TRUE(VerifyDkimpy(after)) << ReadAll(dir_ + "/dkimpy.out");
  r = Step(*m, domain, false);
  EXPECT_EQ(r->action, RotationAction::kNone);

  std::vector<std::string> seen;
  for (const auto& t : m->transitions) seen.push_back(t.selector + ":" + std::string(t.from ? scheduler::Name(*t.from) : "") + ">" +
                                                   std::string(scheduler::Name(t.to)));
  EXPECT_EQ(seen, (std::vector<std::string>{"s2:published>revoked", "s2:>pending", "s2:pending>published",
                                            "s2:published>active", "s1:active>retiring", "s1:retiring>revoked",
                                            "s1:revoked>revoked"}));
  auto events = db_->Query("SELECT COUNT(*) FROM events WHERE subject_type = 'dkim_key' AND actor = 'test'");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(*events->rows[0][0], "7");

  // OpenDKIM export of the active keys.
  std::string out = dir_ + "/opendkim";
  ASSERT_EQ(cli::RunDkimExportOpenDkim(config_path_, out), 0);
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::string key_file = out + "/keys/" + domain + ".s2.private";
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(ReadAll(key_file).find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_EQ(ReadAll(out + "/KeyTable"), "s2._domainkey." + domain + " " + domain + ":s2:" + key_file + "\n");
  EXPECT_EQ(ReadAll(out + "/SigningTable"), "*@" + domain + " s2._domainkey." + domain + "\n");
}

TEST_F(KeyLifecycleTest, ACrashAtEveryStepResumes) {
  std::string domain = shop_zone_;
  AddDelegatedAndVerify(domain);
  FakeClock clock(SystemClock::Instance().Now());

  // Abandoned right after asking for the new key: the key may or may not be
  // made; the next machine carries on either way.
  {
    auto m = MakeMachine(clock);
    m->lifecycle->Step(domain, true, [](Result<StepOutcome>) { ADD_FAILURE() << "callback of a dead machine"; });
    m->lifecycle.reset();
    m->db.reset();  // lets the job finish; its answer is dropped
  }
  auto drive_until = [&](RotationAction crash_at, RotationAction expect_next) {
    {
      auto m = MakeMachine(clock);
      m->lifecycle->SetCrashHook([crash_at](RotationAction a) { return a == crash_at; });
      Result<StepOutcome> r = Status(Internal("unset"));
      for (int i = 0; i < 6; ++i) {
        r = Step(*m, domain, false);
        if (!r.ok() || r->action == crash_at) break;
        if (!r->progressed) clock.Advance(std::chrono::seconds(61));
      }
      ASSERT_FALSE(r.ok()) << "expected the simulated crash at " << RotationActionName(crash_at);
      EXPECT_EQ(r.status().error_class(), ErrorClass::kInternal);
      EXPECT_EQ(CountState(domain, KeyState::kActive), 1);
    }
    // A new machine (the restarted process) redoes the step and moves on.
    auto m = MakeMachine(clock);
    auto r = Step(*m, domain, false);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->action, crash_at);
    EXPECT_TRUE(r->progressed);
    EXPECT_EQ(CountState(domain, KeyState::kActive), 1);
    auto next = DecideRotation(Keys(domain), clock.Now(), PolicyFrom(cfg_.dkim), false);
    EXPECT_EQ(next.action, expect_next) << RotationActionName(next.action);
  };
  // If the abandoned job did not create the key, this step does.
  {
    auto m = MakeMachine(clock);
    auto r = Step(*m, domain, true);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  int rotation_keys = 0;
  for (const auto& k : Keys(domain)) rotation_keys += k.rotation_of != 0;
  EXPECT_EQ(rotation_keys, 1);  // never two

  drive_until(RotationAction::kPublish, RotationAction::kWaitPropagation);
  EXPECT_NE(Keys(domain).front().state, KeyState::kPending);
  clock.Advance(std::chrono::seconds(61));
  // The switch is one transaction: abandoning the machine after the DNS
  // check leaves either the old or the new key active, never none.
  {
    auto m = MakeMachine(clock);
    auto r = Step(*m, domain, false);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->action, RotationAction::kCheckPropagation);
    EXPECT_TRUE(r->progressed);
  }
  EXPECT_EQ(CountState(domain, KeyState::kActive), 1);
  EXPECT_EQ(CountState(domain, KeyState::kRetiring), 1);
  clock.Advance(std::chrono::hours(49));
  drive_until(RotationAction::kRevoke, RotationAction::kWaitRemoval);
  clock.Advance(std::chrono::seconds(61));
  drive_until(RotationAction::kRemoveRecord, RotationAction::kNone);
  auto gone = dns::ResolveTxtBlocking(dns::ResolverOptions{pdns_.resolver()}, "s1._domainkey." + domain);
  EXPECT_FALSE(gone.ok());
  std::string m = SignWithActiveKey(domain, "after-crashes");
  EXPECT_TRUE(VerifyOurs(m).pass()) << VerifyOurs(m).ToString();
}

TEST_F(KeyLifecycleTest, WithoutAProviderTheDaemonStartsNoRotation) {
  AddDelegatedAndVerify(shop_zone_);
  FakeClock clock(SystemClock::Instance().Now());
  clock.Advance(std::chrono::hours(24 * 400));
  auto m = MakeMachine(clock);
  auto kek = crypto::ParseKek("kek1", kKek);
  KeyLifecycle manual(m->loop, *m->db, nullptr, *m->resolver, clock, *kek, cfg_.dkim, "test");
  int transitions = -1;
  manual.Tick([&](int n) {
    transitions = n;
    m->loop.Stop();
  });
  m->loop.Run();
  EXPECT_EQ(transitions, 0);
  EXPECT_EQ(Keys(shop_zone_).size(), 2u);
  // Asked for explicitly, the step says what cannot be done.
  auto made = Step(*m, shop_zone_, true);  // the powerdns machine makes the key
  ASSERT_TRUE(made.ok());
  std::optional<Result<StepOutcome>> r;
  manual.Step(shop_zone_, false, [&](Result<StepOutcome> x) {
    r.emplace(std::move(x));
    m->loop.Stop();
  });
  m->loop.Run();
  ASSERT_FALSE(r->ok());
  EXPECT_NE(r->status().message().find("dns.provider is \"none\""), std::string::npos) << r->status().message();
  EXPECT_NE(r->status().message().find("publish TXT s2._domainkey."), std::string::npos) << r->status().message();
}

TEST_F(KeyLifecycleTest, TwoInstancesStartingARotationAtOnceMakeOneKey) {
  AddDelegatedAndVerify(shop_zone_);
  FakeClock clock(SystemClock::Instance().Now());
  auto m = MakeMachine(clock);
  store::DbWorker db2("db-test2", scratch_->settings(), "", m->loop);
  auto kek = crypto::ParseKek("kek1", kKek);
  KeyLifecycle second(m->loop, db2, m->provider.get(), *m->resolver, clock, *kek, cfg_.dkim, "test2");
  int done = 0, progressed = 0;
  auto cb = [&](Result<StepOutcome> r) {
    // Count first: a failed step must still end the loop, not hang the test.
    if (++done == 2) m->loop.Stop();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    progressed += r->progressed;
  };
  m->lifecycle->Step(shop_zone_, true, cb);
  second.Step(shop_zone_, true, cb);
  m->loop.Run();
  EXPECT_EQ(progressed, 1);
  int rotation_keys = 0;
  for (const auto& k : Keys(shop_zone_)) rotation_keys += k.rotation_of != 0;
  EXPECT_EQ(rotation_keys, 1);
}

TEST_F(KeyLifecycleTest, PrivateKeysNeverAppearInClearInTheDatabaseOrTheLogs) {
  std::string logs = dir_ + "/output.log";
  {
    CaptureOutput capture(logs);
    log::Configure(log::Level::kDebug, log::Format::kText);
    AddDelegatedAndVerify(shop_zone_);
    ASSERT_EQ(cli::RunDomainAdd(config_path_, "news." + zone_, "shop1", "hosted"), 0);
    FakeClock clock(SystemClock::Instance().Now());
    auto m = MakeMachine(clock);
    for (int i = 0; i < 8; ++i) {
      auto r = Step(*m, shop_zone_, i == 0);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      clock.Advance(std::chrono::hours(30));
    }
    log::Configure(log::Level::kInfo, log::Format::kText);
  }
  if (HasFailure()) {
    std::string out = ReadAll(logs);
    FAIL() << "output while failing:\n" << out.substr(out.size() > 4000 ? out.size() - 4000 : 0);
  }
  std::string dump_path = dir_ + "/dump.sql";
  std::string cmd = "mariadb-dump --no-defaults -uroot --socket=" + scratch_->settings().socket + " " +
                    scratch_->name() + " > " + dump_path + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadAll(dump_path);
  std::string dump = ReadAll(dump_path);
  std::string output = ReadAll(logs);
  ASSERT_NE(dump.find("INSERT INTO `dkim_keys`"), std::string::npos);
  ASSERT_NE(output.find("rotation:"), std::string::npos) << "logs were not captured";
  auto kek = crypto::ParseKek("kek1", kKek);
  int checked = 0;
  for (const std::string& domain : {shop_zone_, "news." + zone_}) {
    for (const auto& k : Keys(domain)) {
      auto opened = OpenDomainKey({*kek}, domain, k);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      // Every base64 line of the PEM body, and the header, must be absent.
      std::istringstream lines(opened->pem);
      for (std::string line; std::getline(lines, line);) {
        if (line.size() < 40) continue;
        EXPECT_EQ(dump.find(line), std::string::npos) << "PEM line in the database dump";
        EXPECT_EQ(output.find(line), std::string::npos) << "PEM line in the logs";
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 50);
  EXPECT_EQ(dump.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(output.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace tayori::keys
