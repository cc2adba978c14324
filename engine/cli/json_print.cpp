#include "cli/json_print.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace tayori::cli {

void PrintJsonLine(const nlohmann::json& value) {
  std::string line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
}

}  // namespace tayori::cli
