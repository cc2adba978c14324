#include "app/cli.h"

namespace tayori::app {

// dkim keygen|sign|verify arrive with the DKIM module (issue 4).
void AddDkimCommands(CLI::App&, CliContext&) {}

}  // namespace tayori::app
