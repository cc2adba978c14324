// The OpenDKIM export's files in a scratch directory: absolute key paths
// whatever directory is given, modes, and the removal of key files whose
// selector is no longer exported (and of nothing else).
#include "keys/opendkim_export.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace tayori::keys {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

mode_t Mode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class OpenDkimExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tayori_opendkim_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  fs::path root_;
};

const OpenDkimKey kShopS1{"shop.example", "s1", "-----BEGIN PRIVATE KEY-----\nshop s1\n"};
const OpenDkimKey kShopS2{"shop.example", "s2", "-----BEGIN PRIVATE KEY-----\nshop s2\n"};
const OpenDkimKey kOtherS1{"other.example", "s1", "-----BEGIN PRIVATE KEY-----\nother s1\n"};

TEST_F(OpenDkimExportTest, RelativeDirectoryGivesAbsoluteKeyPaths) {
  fs::path dir = root_ / "opendkim";
  std::string relative = fs::relative(dir, fs::current_path()).string();
  ASSERT_NE(relative.front(), '/');
  auto done = WriteOpenDkimExport(relative, {kShopS1, kOtherS1});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->dir, dir.string());
  EXPECT_EQ(done->keys_written, 2u);
  EXPECT_TRUE(done->removed.empty());
  EXPECT_EQ(Read(dir / "KeyTable"),
            "s1._domainkey.shop.example shop.example:s1:" + dir.string() + "/keys/shop.example.s1.private\n"
            "s1._domainkey.other.example other.example:s1:" + dir.string() + "/keys/other.example.s1.private\n");
  EXPECT_EQ(Read(dir / "SigningTable"),
            "*@shop.example s1._domainkey.shop.example\n*@other.example s1._domainkey.other.example\n");
  EXPECT_EQ(Read(dir / "keys/shop.example.s1.private"), kShopS1.pem);
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(dir / "keys"), 0700u);
  for (const char* f : {"KeyTable", "SigningTable", "keys/shop.example.s1.private", "keys/other.example.s1.private"})
    EXPECT_EQ(Mode(dir / f), 0600u) << f;
}

TEST_F(OpenDkimExportTest, DotsAndTrailingSlashesAreNormalised) {
  fs::create_directory(root_ / "a");
  auto done = WriteOpenDkimExport((root_ / "a" / ".." / "b" / "").string(), {kShopS1});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->dir, (root_ / "b").string());
  EXPECT_NE(Read(root_ / "b" / "KeyTable").find(":" + (root_ / "b").string() + "/keys/shop.example.s1.private\n"),
            std::string::npos);
}

TEST_F(OpenDkimExportTest, NextExportRemovesKeyFilesOfSelectorsNoLongerExported) {
  fs::path dir = root_ / "opendkim";
  ASSERT_TRUE(WriteOpenDkimExport(dir.string(), {kShopS1, kOtherS1}).ok());
  // What is not the export's own stays: other names, a directory and a
  // symlink named like key files, files outside keys/.
  Write(dir / "keys" / "README", "operator notes");
  Write(dir / "keys" / "mine.private", "not domain.selector");
  Write(dir / "keys" / "shop.example.s1.private.bak", "a backup");
  fs::create_directory(dir / "keys" / "dir.example.s1.private");
  Write(root_ / "target", "elsewhere");
  fs::create_symlink(root_ / "target", dir / "keys" / "link.example.s1.private");
  Write(dir / "gone.example.s1.private", "outside keys/");

  // A rotation made s2 active; other.example is no longer verified.
  auto done = WriteOpenDkimExport(dir.string(), {kShopS2});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  std::vector<std::string> removed = done->removed;
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{(dir / "keys/other.example.s1.private").string(),
                                               (dir / "keys/shop.example.s1.private").string()}));
  EXPECT_FALSE(fs::exists(dir / "keys/shop.example.s1.private"));
  EXPECT_FALSE(fs::exists(dir / "keys/other.example.s1.private"));
  EXPECT_EQ(Read(dir / "keys/shop.example.s2.private"), kShopS2.pem);
  for (const char* kept : {"keys/README", "keys/mine.private", "keys/shop.example.s1.private.bak",
                           "keys/dir.example.s1.private", "gone.example.s1.private"})
    EXPECT_TRUE(fs::exists(dir / kept)) << kept;
  EXPECT_TRUE(fs::is_symlink(dir / "keys/link.example.s1.private"));
  EXPECT_EQ(Read(root_ / "target"), "elsewhere");
  EXPECT_EQ(Read(dir / "KeyTable"),
            "s2._domainkey.shop.example shop.example:s2:" + dir.string() + "/keys/shop.example.s2.private\n");

  // Nothing left to sign with: empty tables, no key file.
  done = WriteOpenDkimExport(dir.string(), {});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->removed, (std::vector<std::string>{(dir / "keys/shop.example.s2.private").string()}));
  EXPECT_EQ(Read(dir / "KeyTable"), "");
}

TEST_F(OpenDkimExportTest, AFileWhereTheDirectoryShouldBeIsAnError) {
  Write(root_ / "file", "x");
  auto done = WriteOpenDkimExport((root_ / "file").string(), {kShopS1});
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.status().message().find("not a directory"), std::string::npos) << done.status().ToString();
}

}  // namespace
}  // namespace tayori::keys
