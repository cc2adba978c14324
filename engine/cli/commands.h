// Command bodies other code drives directly (the key lifecycle's integration
// test onboards domains the way an operator does). Each returns the process
// exit code (support.h) and prints as the command does.
#pragma once

#include <string>

namespace tayori::cli {

int RunDomainAdd(const std::string& config_path, const std::string& domain, const std::string& tenant,
                 const std::string& mode);
int RunDomainVerify(const std::string& config_path, const std::string& domain, bool manual);
int RunDkimExportOpenDkim(const std::string& config_path, const std::string& dir);

}  // namespace tayori::cli
