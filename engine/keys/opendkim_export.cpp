#include "keys/opendkim_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "keys/rotation.h"

namespace tayori::keys {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKeySuffix = ".private";

Status WriteFile0600(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Permanent(tmp + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t off = 0;
  while (ok && off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) ok = false;
    else off += static_cast<size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Permanent(path + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return st;
  }
  return Status::Ok();
}

Status MakePrivateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Permanent(dir + ": " + std::strerror(errno));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Permanent(dir + ": not a directory");
  if (::chmod(dir.c_str(), 0700) != 0) return Permanent(dir + ": " + std::strerror(errno));
  return Status::Ok();
}

std::string KeyFileName(const OpenDkimKey& k) { return k.domain + "." + k.selector + std::string(kKeySuffix); }

// Whether `name` could be a key file this export wrote: "<domain>.<selector>.private"
// with a domain of at least two labels, in the characters of A-labels and
// selectors. Anything else in DIR/keys is the operator's and stays.
bool LooksLikeKeyFile(const std::string& name) {
  if (name.size() <= kKeySuffix.size() || name.compare(name.size() - kKeySuffix.size(), kKeySuffix.size(), kKeySuffix) != 0)
    return false;
  std::string_view stem(name.data(), name.size() - kKeySuffix.size());
  if (stem.front() == '.' || stem.back() == '.') return false;
  size_t dots = 0;
  for (char c : stem) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    if (!ok) return false;
    dots += c == '.';
  }
  return dots >= 2;
}

}  // namespace

Result<OpenDkimExport> WriteOpenDkimExport(const std::string& dir_in, const std::vector<OpenDkimKey>& keys) {
  if (dir_in.empty()) return InvalidInput("the export directory is empty");
  std::error_code ec;
  fs::path abs = fs::absolute(dir_in, ec).lexically_normal();
  if (ec) return Permanent(dir_in + ": " + ec.message());
  std::string dir = abs.string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::string key_dir = dir == "/" ? "/keys" : dir + "/keys";
  TAYORI_RETURN_IF_ERROR(MakePrivateDir(dir));
  TAYORI_RETURN_IF_ERROR(MakePrivateDir(key_dir));

  OpenDkimExport out;
  out.dir = dir;
  std::set<std::string> written;
  std::string key_table, signing_table;
  for (const auto& k : keys) {
    std::string name = KeyFileName(k);
    std::string file = key_dir + "/" + name;
    TAYORI_RETURN_IF_ERROR(WriteFile0600(file, k.pem));
    written.insert(name);
    std::string id = SelectorName(k.selector, k.domain);
    // KeyTable: "name domain:selector:keyfile"; SigningTable (refile:):
    // "pattern name", so every address of the domain signs with its key.
    key_table += id + " " + k.domain + ":" + k.selector + ":" + file + "\n";
    signing_table += "*@" + k.domain + " " + id + "\n";
  }
  TAYORI_RETURN_IF_ERROR(WriteFile0600(dir + "/KeyTable", key_table));
  TAYORI_RETURN_IF_ERROR(WriteFile0600(dir + "/SigningTable", signing_table));
  out.keys_written = keys.size();

  // The tables no longer name them: remove the key files of earlier exports.
  std::vector<std::string> stale;
  for (fs::directory_iterator it(key_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (written.count(name) || !LooksLikeKeyFile(name)) continue;
    std::error_code type_ec;
    if (it->is_symlink(type_ec) || !it->is_regular_file(type_ec)) continue;
    stale.push_back(key_dir + "/" + name);
  }
  if (ec) return Permanent(key_dir + ": " + ec.message());
  for (const auto& path : stale) {
    if (::unlink(path.c_str()) != 0) return Permanent(path + ": cannot remove a stale key file: " + std::strerror(errno));
    out.removed.push_back(path);
  }
  return out;
}

}  // namespace tayori::keys
