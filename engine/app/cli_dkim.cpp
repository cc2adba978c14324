// tayori dkim keygen|sign|verify: the DKIM module from the shell, for
// operators (publishing a key) and for interoperability tests.
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

#include "app/cli.h"
#include "app/commands.h"
#include "app/exit_code.h"
#include "dkim/canonicalization.h"
#include "dkim/key.h"
#include "dkim/key_record.h"
#include "dkim/signer.h"
#include "dkim/verifier.h"

namespace tayori::app {
namespace {

struct KeygenOptions {
  std::string algorithm = "rsa";
  int bits = dkim::kDefaultRsaBits;
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
  Result<std::shared_ptr<const dkim::PrivateKey>> key = Status(ErrorClass::kInternal, "unset");
  if (o.algorithm == "rsa") {
    key = dkim::PrivateKey::GenerateRsa(o.bits);
  } else if (o.algorithm == "ed25519") {
    if (o.bits_given) return Usage(kCmd, "--bits applies to rsa only");
    key = dkim::PrivateKey::GenerateEd25519();
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
  std::printf("%s\n", (*key)->DnsTxtValue().c_str());
  return kExitOk;
}

int RunSign(const SignOptions& o) {
  constexpr const char* kCmd = "dkim sign";
  auto pem = ReadFile(o.key);
  if (!pem.ok()) return ReportFailure(pem.status(), kCmd);
  auto key = dkim::PrivateKey::FromPem(*pem);
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
    auto ed = dkim::PrivateKey::FromPem(*ed_pem);
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

}  // namespace

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
}

}  // namespace tayori::app
