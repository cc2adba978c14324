// Every `--json` output of the CLI goes through here: one compact JSON value
// per line, built with nlohmann (never printf with fields pasted in), bytes
// that are not UTF-8 replaced instead of throwing. The forward header keeps
// nlohmann's full header out of files that only print.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace tayori::cli {

void PrintJsonLine(const nlohmann::json& value);

}  // namespace tayori::cli
