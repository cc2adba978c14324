// Rendering throughput: the reference newsletter (templates/newsletter-ja:
// Japanese subject, text and HTML parts, 10+ variables, ~6 KB of template)
// compiled once and rendered per recipient, one core. Goal: >= 50,000
// messages/s. Reported as items_per_second (= messages/s).
//
// Also: HtmlToText and template compilation on hostile input (issue 12).
//
//   build/bin/render_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "render/campaign.h"
#include "render/template_cache.h"
#include "render/html_to_text.h"
#include "render/preview.h"
#include "render/template.h"

namespace tayori::render {
namespace {

const PreviewInput& Reference() {
  static const PreviewInput in = [] {
    std::string dir = std::string(TAYORI_SOURCE_DIR) + "/templates/newsletter-ja";
    auto r = LoadPreviewInput(dir, dir + "/preview.json");
    if (!r.ok()) {
      std::fprintf(stderr, "render_bench: %s\n", r.status().message().c_str());
      std::exit(1);
    }
    return *r;
  }();
  return in;
}

struct Subscriber {
  std::string email, name, points;
};

std::vector<Subscriber> Subscribers(size_t n) {
  const char* names[] = {"山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "Jane O'Neil", ""};
  std::vector<Subscriber> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({"user" + std::to_string(i) + "@example.jp", names[i % 6], i % 3 ? std::to_string(i * 7) : ""});
  return out;
}

void BM_RenderPerRecipient(benchmark::State& state) {
  auto campaign = CompiledCampaign::Compile(Reference().spec);
  if (!campaign.ok()) {
    state.SkipWithError(campaign.status().message().c_str());
    return;
  }
  auto subs = Subscribers(1024);
  SystemRandom random;
  SysTime now = SystemClock::Instance().Now();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const Subscriber& s = subs[i++ & 1023];
    std::string_view fields[] = {s.points};
    auto m = campaign->Render(Recipient{i, s.email, s.name, fields}, now, random);
    if (!m.ok()) {
      state.SkipWithError(m.status().message().c_str());
      return;
    }
    bytes += m->data.size();
    benchmark::DoNotOptimize(m->data.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["msg_bytes"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RenderPerRecipient);

// /0 alone; /1 through a template cache that has the templates already, as
// the engine compiles every campaign after the first on the same templates.
void BM_CompileCampaign(benchmark::State& state) {
  tayori::render::TemplateCache cache;
  tayori::render::TemplateCache* templates = state.range(0) == 1 ? &cache : nullptr;
  for (auto _ : state) {
    auto campaign = CompiledCampaign::Compile(Reference().spec, templates);
    benchmark::DoNotOptimize(campaign.ok());
  }
}
BENCHMARK(BM_CompileCampaign)->Arg(0)->Arg(1);

// HtmlToText (the text part of an HTML-only campaign, once per recipient) on
// hostile runs of N KB: '&', "&amp" and '&' + letters. Linear means
// bytes_per_second stays flat as N grows; a quadratic one falls with N.
void BM_HtmlToTextAmpersandRuns(benchmark::State& state) {
  size_t n = static_cast<size_t>(state.range(0)) * 1000;
  std::string runs[] = {std::string(n, '&'), {}, "&" + std::string(n - 1, 'a')};
  while (runs[1].size() < n) runs[1] += "&amp";
  for (auto _ : state) {
    for (const auto& html : runs) benchmark::DoNotOptimize(HtmlToText(html).size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(3 * n));
}
BENCHMARK(BM_HtmlToTextAmpersandRuns)->Arg(50)->Arg(200);

// Refusing the hostile template (16,000 nested sections) costs one
// scan; compiling the largest template allowed (all line breaks) is the
// parser's worst case under the limits.
void BM_CompileHostileTemplates(benchmark::State& state) {
  TemplateVariables vars;
  vars.AddSlot("s", 0);
  std::string nested;
  for (int i = 0; i < 16000; ++i) nested += "{{#s}}";
  nested += "x";
  for (int i = 0; i < 16000; ++i) nested += "{{/s}}";
  std::string breaks(kMaxTemplateBytes, '\n');
  for (auto _ : state) {
    benchmark::DoNotOptimize(CompiledTemplate::Compile({"html", nested}, vars, Escaping::kHtml).ok());
    benchmark::DoNotOptimize(CompiledTemplate::Compile({"html", breaks}, vars, Escaping::kHtml).ok());
  }
}
BENCHMARK(BM_CompileHostileTemplates);

}  // namespace
}  // namespace tayori::render

BENCHMARK_MAIN();
