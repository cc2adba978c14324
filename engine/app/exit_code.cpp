#include "app/exit_code.h"

#include <cstdio>

#include "app/commands.h"

namespace tayori::app {

int ReportFailure(const Status& status, const char* context) {
  std::fprintf(stderr, "tayori: %s: %s\n", context, status.message().c_str());
  switch (status.error_class()) {
    case ErrorClass::kConfig:
    case ErrorClass::kInvalidInput:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

}  // namespace tayori::app
