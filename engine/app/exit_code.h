// Maps an error Status to the CLI's exit code and prints it.
#pragma once

#include "base/status.h"

namespace tayori::app {

// Prints "tayori: <context>: <message>" to stderr and returns 2 for
// configuration and usage errors, 1 for everything else.
int ReportFailure(const Status& status, const char* context);

}  // namespace tayori::app
