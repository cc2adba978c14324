// Inbound feedback parsing (engine/feedback): every message of the test
// corpus (tests/feedback/corpus, DSNs, text bounces, ARF complaints,
// auto-replies) parsed in turn on one core, VERP verified. Goal: >= 5,000
// messages/s. Reported as items_per_second (= messages/s).
//
// Also: a DSN naming 10,000 recipients (capped at 100) and a bounce
// returning a 2 MB message, the two expensive honest shapes.
//
//   build/bin/feedback_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "feedback/parser.h"

namespace tayori::feedback {
namespace {

const Parser& TheParser() {
  static const Parser parser(VerpKey{"bounces+{delivery_id}.{mac}@bounce.tayori.example", "corpus-verp-key-not-a-secret"});
  return parser;
}

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> messages = [] {
    std::vector<std::string> paths, out;
    for (const auto& e : std::filesystem::directory_iterator(std::string(TAYORI_SOURCE_DIR) + "/tests/feedback/corpus"))
      if (e.path().extension() == ".eml") paths.push_back(e.path().string());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (out.empty()) {
      std::fprintf(stderr, "feedback_bench: no corpus under %s\n", TAYORI_SOURCE_DIR);
      std::exit(1);
    }
    return out;
  }();
  return messages;
}

void BM_ParseCorpus(benchmark::State& state) {
  const auto& corpus = Corpus();
  size_t i = 0, bytes = 0, recipients = 0;
  for (auto _ : state) {
    const std::string& m = corpus[i++ % corpus.size()];
    Report r = TheParser().Parse(m);
    recipients += r.recipients.size();
    bytes += m.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["messages"] = static_cast<double>(corpus.size());
  state.counters["recipients_per_message"] = static_cast<double>(recipients) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ParseCorpus);

std::string Dsn(const std::string& groups, const std::string& returned) {
  return "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
         groups + "\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" + returned + "\r\n--b--\r\n";
}

void BM_ParseTenThousandRecipients(benchmark::State& state) {
  std::string groups;
  for (int i = 0; i < 10000; ++i)
    groups += "Final-Recipient: rfc822; r" + std::to_string(i) + "@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n";
  const std::string m = Dsn(groups, "Subject: x\r\n\r\nx");
  for (auto _ : state) benchmark::DoNotOptimize(TheParser().Parse(m));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * m.size()));
}
BENCHMARK(BM_ParseTenThousandRecipients);

void BM_ParseLargeReturnedMessage(benchmark::State& state) {
  std::string body;
  while (body.size() < 2 * 1024 * 1024) body += "春の新作が届きました。 https://sakura-zakka.example.jp/new\r\n";
  const std::string m = Dsn("Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n",
                            "Message-ID: <a@b.example>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body);
  for (auto _ : state) benchmark::DoNotOptimize(TheParser().Parse(m));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * m.size()));
}
BENCHMARK(BM_ParseLargeReturnedMessage);

}  // namespace
}  // namespace tayori::feedback

BENCHMARK_MAIN();
