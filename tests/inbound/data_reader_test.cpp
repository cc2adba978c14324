#include "inbound/data_reader.h"

#include <gtest/gtest.h>

#include "inbound/limits.h"

namespace tayori::inbound {
namespace {

struct Result {
  std::string message;
  size_t consumed = 0;
  bool done = false, too_large = false, line_too_long = false;
};

// Feeds `wire` in pieces of `chunk` bytes (0: all at once).
Result Read(std::string_view wire, size_t max = 1 << 20, size_t chunk = 0) {
  Result r;
  DataReader reader;
  reader.Start(&r.message, max);
  while (r.consumed < wire.size() && !reader.done()) {
    size_t n = chunk ? std::min(chunk, wire.size() - r.consumed) : wire.size() - r.consumed;
    size_t used = reader.Feed(wire.substr(r.consumed, n));
    r.consumed += used;
    if (used < n) break;
  }
  r.done = reader.done();
  r.too_large = reader.too_large();
  r.line_too_long = reader.line_too_long();
  return r;
}

TEST(DataReaderTest, EndsAtTheDotLineAndKeepsTheLastLineEnd) {
  Result r = Read("Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(r.consumed, std::string("Subject: x\r\n\r\nbody\r\n.\r\n").size());
}

TEST(DataReaderTest, EmptyMessage) {
  Result r = Read(".\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "");
}

// RFC 5321 §4.5.2: the sender doubles a leading dot; the receiver removes one.
TEST(DataReaderTest, RemovesStuffedDots) {
  Result r = Read("..\r\n...three\r\n. space\r\nmid.dot\r\n.x\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, ".\r\n..three\r\n space\r\nmid.dot\r\nx\r\n");
}

// Only CRLF "." CRLF ends the text; bare LF and CR are text (no smuggling).
TEST(DataReaderTest, BareLineEndsDoNotEndTheMessage) {
  Result r = Read("a\n.\nb\r.\rc\r\n.\rd\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "a\n.\nb\r.\rc\r\n\rd\r\n");
}

TEST(DataReaderTest, NotDoneWithoutTheDotLine) {
  Result r = Read("a\r\n.\r");
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.consumed, 5u);
}

// Every way of cutting the input in two gives the same message.
TEST(DataReaderTest, AnySplitGivesTheSameMessage) {
  const std::string wire = "From: a\r\n..dot\r\n.\rx\r\nbare\nend\r\r\n\r\n.\r\nNEXT";
  Result whole = Read(wire);
  ASSERT_TRUE(whole.done);
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    std::string message;
    DataReader reader;
    reader.Start(&message, 1 << 20);
    size_t used = reader.Feed(std::string_view(wire).substr(0, cut));
    if (!reader.done()) used += reader.Feed(std::string_view(wire).substr(used));
    EXPECT_TRUE(reader.done()) << cut;
    EXPECT_EQ(message, whole.message) << cut;
    EXPECT_EQ(used, whole.consumed) << cut;
  }
  for (size_t chunk : {1, 2, 3, 7}) EXPECT_EQ(Read(wire, 1 << 20, chunk).message, whole.message) << chunk;
}

TEST(DataReaderTest, OverTheLimitIsCountedNotKept) {
  std::string line(98, 'x');
  std::string wire;
  for (int i = 0; i < 100; ++i) wire += line + "\r\n";
  wire += ".\r\n";
  std::string message;
  DataReader reader;
  reader.Start(&message, 1000);
  for (size_t i = 0; i < wire.size(); i += 333) {
    reader.Feed(std::string_view(wire).substr(i, 333));
    EXPECT_LE(message.capacity(), 2000u);  // never grows past the limit (and its string's rounding)
  }
  EXPECT_TRUE(reader.done());
  EXPECT_TRUE(reader.too_large());
  EXPECT_EQ(reader.size(), 10000u);
  EXPECT_EQ(message, "");
}

TEST(DataReaderTest, ExactlyTheLimitIsKept) {
  Result r = Read("12345678\r\n.\r\n", 10);
  EXPECT_FALSE(r.too_large);
  EXPECT_EQ(r.message, "12345678\r\n");
  EXPECT_TRUE(Read("123456789\r\n.\r\n", 10).too_large);
}

// RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF; a stuffed dot counts.
TEST(DataReaderTest, TextLineLimit) {
  std::string ok(kMaxTextLineBytes - 2, 'a');
  Result r = Read(ok + "\r\n.\r\n");
  EXPECT_FALSE(r.line_too_long);
  EXPECT_EQ(r.message.size(), ok.size() + 2);
  r = Read(ok + "a\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.line_too_long);
  EXPECT_EQ(r.message, "");
  EXPECT_TRUE(Read("." + ok + "\r\n.\r\n").line_too_long);
  // Split across reads, and a long line without any CR at all.
  EXPECT_TRUE(Read(std::string(5000, 'b') + "\r\n.\r\n", 1 << 20, 100).line_too_long);
}

}  // namespace
}  // namespace tayori::inbound
