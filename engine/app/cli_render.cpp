#include "app/cli.h"

namespace tayori::app {

// `render` arrives with the render module (issue 3).
void AddRenderCommands(CLI::App&, CliContext&) {}

}  // namespace tayori::app
