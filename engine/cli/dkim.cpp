// `tayori dkim keygen|sign|verify`: the DKIM module from the shell, for
// operators (publishing a key) and for interoperability tests; and the key
// lifecycle commands that use the database: `dkim rotate` (keys/lifecycle.h),
// `dkim export-opendkim` (keys/opendkim_export.h), `dkim reseal` (keys/reseal.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/support.h"
#include "dkim/canonicalization.h"
#include "crypto/key.h"
#include "dkim/key_record.h"
#include "dkim/signer.h"
#include "dkim/verifier.h"
#include "base/log.h"
#include "config/config.h"
#include "dns/provider.h"
#include "dns/resolver.h"
#include "keys/lifecycle.h"
#include "keys/opendkim_export.h"
#include "keys/reseal.h"
#include "keys/sealed_keys.h"
#include "loop/loop.h"
#include "mime/idn.h"
#include "net/transfers.h"
#include "store/db_worker.h"
#include "store/keys.h"

namespace tayori::cli {
namespace {

struct KeygenOptions {
  std::string algorithm = "rsa";
  int bits = crypto::kDefaultRsaBits;
  bool bits_given = false;
  std::string out;
};

struct SignOptions {
  std::string key;
  std::string domain;
  std::string selector;
  std::string ed25519_key;
  std::string ed25519_selector;
  std::string canonicalization = "relaxed/relaxed";
  long expire_seconds = 0;
};

struct VerifyOptions {
  std::vector<std::string> txt;
};

int Usage(const char* command, const std::string& message) {
  std::fprintf(stderr, "tayori: %s: %s\n", command, message.c_str());
  return kExitUsage;
}

std::string ReadStdin() {
  std::ios::sync_with_stdio(false);
  return std::string((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidInput("cannot read " + path + ": " + std::strerror(errno));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The engine signs CRLF messages only (dkim/signer.h); files written by
// editors and scripts often have LF line ends, so the CLI converts every bare
// LF to CRLF before signing or verifying.
std::string ToCrlf(const std::string& in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out += '\r';
    out += in[i];
  }
  return out;
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

int RunKeygen(const KeygenOptions& o) {
  constexpr const char* kCmd = "dkim keygen";
  Result<std::shared_ptr<const crypto::PrivateKey>> key = Status(ErrorClass::kInternal, "unset");
  if (o.algorithm == "rsa") {
    key = crypto::PrivateKey::GenerateRsa(o.bits);
  } else if (o.algorithm == "ed25519") {
    if (o.bits_given) return Usage(kCmd, "--bits applies to rsa only");
    key = crypto::PrivateKey::GenerateEd25519();
  } else {
    return Usage(kCmd, "--algorithm must be rsa or ed25519");
  }
  if (!key.ok()) return ReportFailure(key.status(), kCmd);
  auto pem = (*key)->ToPem();
  if (!pem.ok()) return ReportFailure(pem.status(), kCmd);
  // 0600 from the start and never overwrite: a private key must not be
  // readable by others even for a moment, nor replace a published one.
  int fd = ::open(o.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) return Usage(kCmd, o.out + " already exists; refusing to overwrite a key");
    return ReportFailure(Permanent("cannot create " + o.out + ": " + std::strerror(err)), kCmd);
  }
  bool ok = ::fchmod(fd, 0600) == 0 && WriteAll(fd, *pem) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok) return ReportFailure(Permanent("cannot write " + o.out + ": " + std::strerror(errno)), kCmd);
  std::printf("%s\n", dkim::KeyRecordText(*(*key)).c_str());
  return kExitOk;
}

int RunSign(const SignOptions& o) {
  constexpr const char* kCmd = "dkim sign";
  auto pem = ReadFile(o.key);
  if (!pem.ok()) return ReportFailure(pem.status(), kCmd);
  auto key = crypto::PrivateKey::FromPem(*pem);
  if (!key.ok()) return ReportFailure(key.status().WithContext(o.key), kCmd);

  size_t slash = o.canonicalization.find('/');
  auto hc = dkim::ParseCanonicalization(o.canonicalization.substr(0, slash));
  auto bc = slash == std::string::npos ? std::optional(dkim::Canonicalization::kSimple)
                                       : dkim::ParseCanonicalization(o.canonicalization.substr(slash + 1));
  if (!hc || !bc) return Usage(kCmd, "--canonicalization must be simple|relaxed[/simple|relaxed]");

  dkim::SignerBuilder builder;
  builder.Domain(o.domain).Selector(o.selector).Key(*key).Canon(*hc, *bc);
  if (o.expire_seconds > 0) builder.ExpiresAfter(std::chrono::seconds(o.expire_seconds));
  if (!o.ed25519_key.empty()) {
    if (o.ed25519_selector.empty()) return Usage(kCmd, "--ed25519-key needs --ed25519-selector");
    auto ed_pem = ReadFile(o.ed25519_key);
    if (!ed_pem.ok()) return ReportFailure(ed_pem.status(), kCmd);
    auto ed = crypto::PrivateKey::FromPem(*ed_pem);
    if (!ed.ok()) return ReportFailure(ed.status().WithContext(o.ed25519_key), kCmd);
    builder.AddEd25519(o.ed25519_selector, *ed);
  }
  auto signer = builder.Build();
  if (!signer.ok()) return ReportFailure(signer.status(), kCmd);

  std::string message = ToCrlf(ReadStdin());
  if (message.empty()) return Usage(kCmd, "no message on standard input");
  auto fields = signer->SignatureFields(message);
  if (!fields.ok()) return ReportFailure(fields.status(), kCmd);
  if (!WriteAll(STDOUT_FILENO, *fields) || !WriteAll(STDOUT_FILENO, message))
    return ReportFailure(Permanent(std::string("cannot write standard output: ") + std::strerror(errno)), kCmd);
  return kExitOk;
}

// How useful a verdict is to show: a pass, then a real check, then a record
// of the other key type (expected when --txt names one key of a dual
// signature).
int Rank(const dkim::Verdict& v) {
  if (v.pass()) return 0;
  return v.reason == dkim::FailureReason::kKeyTypeMismatch ? 2 : 1;
}

int RunVerify(const VerifyOptions& o) {
  constexpr const char* kCmd = "dkim verify";
  // A record that cannot be parsed is bad input (exit 2); a revoked one
  // (empty p=) is a valid record, and the verdict says "key revoked".
  for (const std::string& txt : o.txt) {
    auto record = dkim::ParseKeyRecord(txt);
    if (!record.ok()) return Usage(kCmd, "--txt: " + record.status().message());
  }
  std::string message = ToCrlf(ReadStdin());
  if (message.empty()) return Usage(kCmd, "no message on standard input");

  // Each --txt answers every key lookup; a signature's verdict is the best it
  // gets from any of them, so one run checks both halves of a dual signature.
  std::vector<dkim::Verdict> best;
  for (const std::string& txt : o.txt) {
    dkim::Verifier verifier([txt](std::string_view) -> Result<std::string> { return txt; });
    std::vector<dkim::Verdict> verdicts = verifier.VerifyAll(message);
    if (verdicts.front().reason == dkim::FailureReason::kMalformedMessage)
      return Usage(kCmd, "malformed message: " + verdicts.front().detail);
    if (best.empty()) {
      best = std::move(verdicts);
      continue;
    }
    for (size_t i = 0; i < best.size() && i < verdicts.size(); ++i)
      if (Rank(verdicts[i]) < Rank(best[i])) best[i] = std::move(verdicts[i]);
  }
  const dkim::Verdict* shown = &best.front();
  for (const dkim::Verdict& v : best) {
    std::printf("%s\n", v.ToString().c_str());
    if (Rank(v) < Rank(*shown)) shown = &v;
  }
  if (shown->pass()) return kExitOk;
  std::fprintf(stderr, "tayori: %s: %s\n", kCmd, shown->ToString().c_str());
  return kExitFailure;
}

int RunDkimRotate(const std::string& config_path, const std::string& domain_in, bool step) {
  const char* command = "dkim rotate";
  auto cfg = config::LoadConfigFile(config_path);
  if (!cfg.ok()) return ReportFailure(cfg.status(), command);
  ApplyLogging(*cfg);
  auto domain = mime::DomainToALabel(domain_in);
  if (!domain.ok()) return ReportFailure(domain.status(), command);
  auto password = config::ResolveSecret(cfg->database.password_env, "database.password_env");
  if (!password.ok()) return ReportFailure(password.status(), command);
  auto keks = keys::LoadKeks(cfg->dkim);
  if (!keks.ok()) return ReportFailure(keks.status(), command);
  const crypto::Kek& kek = keks->front();  // the active one seals new keys
  Status final_status;
  {
    loop::Loop loop;
    net::Transfers transfers(loop, net::PoolOptions{2, 0});
    auto provider = dns::MakeProvider(cfg->dns, cfg->dkim.platform_zone, loop, transfers);
    if (!provider.ok()) return ReportFailure(provider.status(), command);
    dns::ResolverOptions ro;
    ro.servers = cfg->dns.resolver;
    auto resolver = dns::Resolver::Create(loop, ro);
    if (!resolver.ok()) return ReportFailure(resolver.status(), command);
    {
      store::DbWorker db("db-cli", cfg->database, *password, loop);
      keys::KeyLifecycle lifecycle(loop, db, provider->get(), **resolver, SystemClock::Instance(), kek, cfg->dkim, "cli");
      lifecycle.OnTransition([](const keys::LifecycleTransition& t) {
        std::printf("  %s selector %s: %s -> %s (%s)\n", t.domain.c_str(), t.selector.c_str(),
                    std::string(t.from ? scheduler::Name(*t.from) : "new").c_str(),
                    std::string(scheduler::Name(t.to)).c_str(), t.detail.c_str());
        std::fflush(stdout);
      });
      std::function<void(bool)> next;
      next = [&](bool first) {
        lifecycle.Step(*domain, first, [&](Result<keys::StepOutcome> r) {
          if (!r.ok()) {
            final_status = r.status();
            loop.Stop();
            return;
          }
          if (r->progressed && !step) return next(false);
          if (!r->progressed) std::printf("%s: %s\n", domain->c_str(), r->summary.c_str());
          loop.Stop();
        });
      };
      next(true);
      loop.Run();
    }
  }
  if (!final_status.ok()) return ReportFailure(final_status, command);
  return kExitOk;
}


int RunDkimReseal(const std::string& config_path) {
  const char* command = "dkim reseal";
  int failed = 0;
  int code = WithDb(config_path, command, [&](const config::Config& cfg, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(auto keks, keys::LoadKeks(cfg.dkim));
    TAYORI_ASSIGN_OR_RETURN(keys::ResealSummary sum, keys::ResealKeys(db, keks, [](const std::string& line) {
      std::printf("  %s\n", line.c_str());
      std::fflush(stdout);
    }));
    std::printf("%d key(s): %d resealed under KEK '%s', %d already current, %d failed\n", sum.keys, sum.resealed,
                keks.front().id.c_str(), sum.current, sum.failed);
    failed = sum.failed;
    return Status::Ok();
  });
  if (code != kExitOk) return code;
  if (failed > 0)
    return ReportFailure(Permanent(std::to_string(failed) + " key(s) were not resealed; they are unchanged"), command);
  return kExitOk;
}

}  // namespace

int RunDkimExportOpenDkim(const std::string& config_path, const std::string& dir) {
  return WithDb(config_path, "dkim export-opendkim", [&](const config::Config& cfg, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(auto keks, keys::LoadKeks(cfg.dkim));
    TAYORI_ASSIGN_OR_RETURN(auto rows, store::ActiveKeysOfVerifiedDomains(db));
    std::vector<keys::OpenDkimKey> keys;
    for (const auto& [d, k] : rows) {
      TAYORI_ASSIGN_OR_RETURN(keys::OpenedKey opened, keys::OpenDomainKey(keks, d.domain, k));
      keys.push_back(keys::OpenDkimKey{d.domain, k.selector, opened.pem});
    }
    // Absolute key paths, and the key files of selectors no longer active
    // removed (opendkim_export.h).
    TAYORI_ASSIGN_OR_RETURN(keys::OpenDkimExport done, keys::WriteOpenDkimExport(dir, keys));
    std::printf("wrote %zu key(s) to %s (KeyTable, SigningTable: use it as refile:%s/SigningTable)\n",
                done.keys_written, done.dir.c_str(), done.dir.c_str());
    for (const auto& f : done.removed) std::printf("removed %s: its key is no longer exported\n", f.c_str());
    return Status::Ok();
  });
}

void AddDkimCommands(CLI::App& app, CliContext& ctx) {
  auto* dkim = app.add_subcommand("dkim", "DKIM keys, signing and verification");
  dkim->require_subcommand(1);

  auto keygen_opts = std::make_shared<KeygenOptions>();
  auto* keygen = dkim->add_subcommand("keygen", "generate a private key (PEM, mode 0600) and print its DNS TXT value");
  keygen->add_option("--algorithm", keygen_opts->algorithm, "rsa or ed25519")->capture_default_str();
  keygen->add_option("--bits", keygen_opts->bits, "RSA modulus size (at least 2048)")->capture_default_str();
  keygen->add_option("--out", keygen_opts->out, "where to write the PEM private key (must not exist)")->required();
  keygen->callback([&ctx, keygen, keygen_opts] {
    keygen_opts->bits_given = keygen->count("--bits") > 0;
    ctx.run = [keygen_opts] { return RunKeygen(*keygen_opts); };
  });

  auto sign_opts = std::make_shared<SignOptions>();
  auto* sign = dkim->add_subcommand(
      "sign", "sign the message on stdin (LF line ends become CRLF) and write it to stdout with DKIM-Signature");
  sign->add_option("--key", sign_opts->key, "RSA private key (PEM, at least 2048 bits)")->required();
  sign->add_option("--domain", sign_opts->domain, "signing domain, d=")->required();
  sign->add_option("--selector", sign_opts->selector, "selector of the RSA key, s=")->required();
  sign->add_option("--ed25519-key", sign_opts->ed25519_key, "also sign with this Ed25519 key (PEM)");
  sign->add_option("--ed25519-selector", sign_opts->ed25519_selector, "selector of the Ed25519 key");
  sign->add_option("--canonicalization", sign_opts->canonicalization, "header/body canonicalization")
      ->capture_default_str();
  sign->add_option("--expire", sign_opts->expire_seconds, "add x= this many seconds after t=");
  sign->callback([&ctx, sign_opts] { ctx.run = [sign_opts] { return RunSign(*sign_opts); }; });

  auto verify_opts = std::make_shared<VerifyOptions>();
  auto* verify = dkim->add_subcommand(
      "verify", "verify the message on stdin against a key record; exit 0 if a signature passes, 1 if none does");
  verify->add_option("--txt", verify_opts->txt, "a key record, e.g. 'v=DKIM1; k=rsa; p=...' (repeatable)")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify->callback([&ctx, verify_opts] { ctx.run = [verify_opts] { return RunVerify(*verify_opts); }; });

  auto r = std::make_shared<std::string>();
  auto step = std::make_shared<bool>(false);
  auto* rotate = dkim->add_subcommand("rotate", "rotate a domain's key over its two selectors (resumable)");
  rotate->add_option("domain", *r, "the sender domain")->required();
  rotate->add_flag("--step", *step, "make one step of the rotation and stop");
  rotate->callback([&ctx, r, step] { ctx.run = [&ctx, r, step] { return RunDkimRotate(ctx.config_path, *r, *step); }; });
  auto out = std::make_shared<std::string>();
  auto* exp = dkim->add_subcommand("export-opendkim", "write OpenDKIM KeyTable, SigningTable and key files");
  exp->add_option("dir", *out, "output directory (created 0700)")->required();
  exp->callback([&ctx, out] { ctx.run = [&ctx, out] { return RunDkimExportOpenDkim(ctx.config_path, *out); }; });
  auto* reseal = dkim->add_subcommand(
      "reseal", "seal every stored key under dkim.active_kek_id, bound to its key row (idempotent; see dkim.keks)");
  reseal->callback([&ctx] { ctx.run = [&ctx] { return RunDkimReseal(ctx.config_path); }; });
}

}  // namespace tayori::cli
