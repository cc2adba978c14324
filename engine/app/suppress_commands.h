// Operator commands for suppressions (addresses a shop must not mail) and
// the standalone unsubscribe endpoint. Each returns the process exit code
// (commands.h) and prints errors as "tayori: suppress <verb>: <reason>".
//
// `list` is a list slug of the shop; empty means the whole shop (list_id 0
// in the suppressions table). Addresses are checked with mime::ParseAddrSpec
// and stored in the same form subscriber imports use (domain in lower-case
// A-labels), so a suppression matches the subscriber it names.
#pragma once

#include <string>

namespace tayori::app {

int RunSuppressAdd(const std::string& config_path, const std::string& tenant, const std::string& list,
                   const std::string& address);
int RunSuppressRemove(const std::string& config_path, const std::string& tenant, const std::string& list,
                      const std::string& address);
// Every suppression of the shop, or only those of `list` / `address` when given.
int RunSuppressList(const std::string& config_path, const std::string& tenant, const std::string& list,
                    const std::string& address, bool json);
// A CSV whose first column is the address (a header row "email,..." is
// skipped; blank lines and '#' comments too). Bad rows are reported by line
// number and skipped; good rows are written in batches (reason 'import').
// Exit 2 when any row was rejected, after writing the good ones.
int RunSuppressImport(const std::string& config_path, const std::string& tenant, const std::string& list,
                      const std::string& file);

// Runs the loop, a DbWorker and the HttpService (http_service.h) until
// SIGTERM or SIGINT; prints "listening on ADDRESS:PORT" once ready.
int RunServeUnsubscribe(const std::string& config_path);

}  // namespace tayori::app
