// `tayori render` input: a template directory plus a JSON file describing
// one recipient of one campaign (docs/render-input.md). This is the I/O shell
// around CompiledCampaign for the CLI, tests and golden files; the engine
// builds CampaignSpec from the database instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "render/campaign.h"

namespace tayori::render {

struct PreviewInput {
  CampaignSpec spec;
  uint64_t subscriber_id = 0;
  std::string email;
  std::string name;
  std::vector<std::string> field_values;  // in spec.subscriber_fields order
  std::optional<SysTime> date;            // "date"; the current time when absent
  std::optional<uint64_t> random_seed;    // "random_seed"; system randomness when absent
};

// Reads DIR/subject.mustache, DIR/text.mustache and DIR/html.mustache (either
// of the last two may be missing) and the JSON file. Errors are
// kInvalidInput with messages that start with the offending file:
// "vars.json: shop.sender_id: expected a string".
Result<PreviewInput> LoadPreviewInput(const std::string& template_dir, const std::string& vars_path);

// Compiles and renders; errors are prefixed like LoadPreviewInput's (the
// template file for template errors, the vars file for everything else).
Result<RenderedMessage> RenderPreview(const PreviewInput& in, const std::string& vars_path);

}  // namespace tayori::render
