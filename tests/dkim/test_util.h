// Helpers shared by the dkim tests: test data files, fixed keys, a map-backed
// key lookup.
#pragma once

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

#include "crypto/key.h"
#include "dkim/verifier.h"

namespace tayori::dkim::testing {

inline std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(TAYORI_DKIM_TESTDATA) + "/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::shared_ptr<const crypto::PrivateKey> LoadKey(const std::string& name) {
  auto k = crypto::PrivateKey::FromPem(ReadTestFile(name));
  if (!k.ok()) std::abort();
  return *k;
}

// name -> TXT; a missing name is kNotFound, as DNS NXDOMAIN would be.
inline KeyLookup MapLookup(std::map<std::string, std::string> records) {
  return [records = std::move(records)](std::string_view name) -> Result<std::string> {
    auto it = records.find(std::string(name));
    if (it == records.end()) return NotFound("no TXT record at " + std::string(name));
    return it->second;
  };
}

}  // namespace tayori::dkim::testing
