// `tayori render --template DIR --vars FILE.json`: prints exactly the message
// the engine would hand to the DKIM signer for one recipient. The input
// format is documented in docs/render-input.md.
#include <cstdio>
#include <memory>

#include "cli/cli.h"
#include "cli/support.h"
#include "render/preview.h"

namespace tayori::cli {
namespace {

int RunRender(const std::string& template_dir, const std::string& vars_path) {
  auto in = render::LoadPreviewInput(template_dir, vars_path);
  if (!in.ok()) return ReportFailure(in.status(), "render");
  auto msg = render::RenderPreview(*in, vars_path);
  if (!msg.ok()) return ReportFailure(msg.status(), "render");
  // Binary-safe: the message is CRLF text and must reach stdout unchanged.
  if (std::fwrite(msg->data.data(), 1, msg->data.size(), stdout) != msg->data.size() || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "tayori: render: cannot write the message to stdout\n");
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddRenderCommands(CLI::App& app, CliContext& ctx) {
  auto* render = app.add_subcommand(
      "render", "print the message (headers and MIME body, CRLF) that would go to the DKIM signer");
  auto template_dir = std::make_shared<std::string>();
  auto vars = std::make_shared<std::string>();
  render->add_option("--template", *template_dir, "template directory (subject.mustache, text.mustache, html.mustache)")
      ->required();
  render->add_option("--vars", *vars, "recipient and campaign variables, JSON (docs/render-input.md)")->required();
  render->callback([&ctx, template_dir, vars] {
    ctx.run = [template_dir, vars] { return RunRender(*template_dir, *vars); };
  });
}

}  // namespace tayori::cli
