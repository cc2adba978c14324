#include "csv/reader.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tayori::csv {
namespace {

std::vector<Record> ReadAll(const std::string& text, ReaderOptions options = {}) {
  std::istringstream in(text);
  Reader reader(in, options);
  std::vector<Record> out;
  Record r;
  while (reader.Next(&r)) out.push_back(r);
  EXPECT_FALSE(reader.io_failed());
  return out;
}

using Fields = std::vector<std::string>;

TEST(CsvReaderTest, SplitsFieldsAndNumbersLines) {
  auto rs = ReadAll("email,name\na@example.com,Alice\nb@example.com,\n");
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].fields, (Fields{"email", "name"}));
  EXPECT_EQ(rs[1].fields, (Fields{"a@example.com", "Alice"}));
  EXPECT_EQ(rs[2].fields, (Fields{"b@example.com", ""}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rs[i].line, i + 1);
    EXPECT_EQ(rs[i].end_line, i + 1);
    EXPECT_EQ(rs[i].error, RecordError::kNone);
  }
}

TEST(CsvReaderTest, SkipsTheUtf8ByteOrderMarkOfExcelCsvUtf8) {
  auto rs = ReadAll("\xEF\xBB\xBF" "email,name\r\na@example.com,\xE5\xB1\xB1\xE7\x94\xB0\r\n");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].fields[0], "email");
  EXPECT_EQ(rs[1].fields[1], "\xE5\xB1\xB1\xE7\x94\xB0");
}

TEST(CsvReaderTest, KeepsAByteOrderMarkThatIsNotAtTheStart) {
  auto rs = ReadAll("a\n\xEF\xBB\xBF" "b\n");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[1].fields[0], "\xEF\xBB\xBF" "b");
}

TEST(CsvReaderTest, AcceptsCrLfLfAndLoneCrLineEnds) {
  auto rs = ReadAll("a,1\r\nb,2\nc,3\rd,4");
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[3].fields, (Fields{"d", "4"}));
  EXPECT_EQ(rs[3].line, 4);
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasDoubledQuotesAndLineBreaks) {
  auto rs = ReadAll("\"Doe, J\",\"say \"\"hi\"\"\"\n\"two\r\nlines\",x\nnext,y\n");
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].fields, (Fields{"Doe, J", "say \"hi\""}));
  EXPECT_EQ(rs[1].fields, (Fields{"two\r\nlines", "x"}));
  EXPECT_EQ(rs[1].line, 2);
  EXPECT_EQ(rs[1].end_line, 3);
  EXPECT_EQ(rs[2].line, 4);
}

TEST(CsvReaderTest, ReadsStrayQuotesLikeSpreadsheetsDo) {
  auto rs = ReadAll("a\"b,\"c\"d,\"\"\n");
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].fields, (Fields{"a\"b", "cd", ""}));
}

TEST(CsvReaderTest, EmptyLinesAreNotRecordsButCount) {
  auto rs = ReadAll("\n\na\r\n\r\n\nb");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].line, 3);
  EXPECT_EQ(rs[1].line, 6);
}

TEST(CsvReaderTest, TrailingCommaIsAnEmptyLastField) {
  auto rs = ReadAll("a,\n,\n");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].fields, (Fields{"a", ""}));
  EXPECT_EQ(rs[1].fields, (Fields{"", ""}));
}

TEST(CsvReaderTest, CommentLinesOnlyWhenAsked) {
  std::string text = "# list of 2024, \"exported\n a@example.com\n";
  auto plain = ReadAll(text);
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0].fields[0], "# list of 2024");
  ReaderOptions o;
  o.skip_comment_lines = true;
  auto rs = ReadAll(text, o);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].fields[0], " a@example.com");
  EXPECT_EQ(rs[0].line, 2);
}

TEST(CsvReaderTest, UnclosedQuoteAtTheEndNamesTheLineWhereTheFieldBegan) {
  auto rs = ReadAll("email\na@example.com\nb@example.com,\"Bob\nc@example.com\nd@example.com\n");
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[2].error, RecordError::kUnclosedQuote);
  EXPECT_EQ(rs[2].line, 3);
  EXPECT_EQ(rs[2].error_line, 3);
  EXPECT_TRUE(rs[2].fields.empty());
  EXPECT_NE(rs[2].ErrorMessage().find("unclosed quote"), std::string::npos);
}

TEST(CsvReaderTest, UnclosedQuoteInALaterLineOfTheRecord) {
  auto rs = ReadAll("\"multi\nline\",x,\"open\n\n");
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].error, RecordError::kUnclosedQuote);
  EXPECT_EQ(rs[0].line, 1);
  EXPECT_EQ(rs[0].error_line, 2);
}

TEST(CsvReaderTest, OverLongLineIsABadRecordAndReadingGoesOn) {
  ReaderOptions o;
  o.max_record_bytes = 16;
  auto rs = ReadAll("a@example.com,A\n" + std::string(100, 'x') + ",y\nb@example.com,B\n", o);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].error, RecordError::kNone);
  EXPECT_EQ(rs[1].error, RecordError::kTooLong);
  EXPECT_EQ(rs[1].error_line, 2);
  EXPECT_TRUE(rs[1].fields.empty());
  EXPECT_EQ(rs[1].ErrorMessage(16), "record longer than 16 bytes; skipped");
  EXPECT_EQ(rs[2].fields, (Fields{"b@example.com", "B"}));
  EXPECT_EQ(rs[2].line, 3);
}

TEST(CsvReaderTest, OverLongQuotedRecordResumesWhereTheGrammarEndsIt) {
  ReaderOptions o;
  o.max_record_bytes = 16;
  // The long record's quoted field holds line breaks and a comma; the next
  // record starts after its closing quote's line, not inside it.
  auto rs = ReadAll("\"" + std::string(30, 'x') + "\nnot@a.record,\n\",z\nb@example.com\n", o);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].error, RecordError::kTooLong);
  EXPECT_EQ(rs[0].line, 1);
  EXPECT_EQ(rs[0].end_line, 3);
  EXPECT_NE(rs[0].ErrorMessage(16).find("lines 1 to 3"), std::string::npos);
  EXPECT_EQ(rs[1].fields, (Fields{"b@example.com"}));
  EXPECT_EQ(rs[1].line, 4);
}

TEST(CsvReaderTest, RecordAtTheLimitIsRead) {
  std::string exact(kMaxRecordBytes - 1, 'a');  // plus its line break
  auto rs = ReadAll(exact + "\n" + exact + "a\n");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].error, RecordError::kNone);
  EXPECT_EQ(rs[0].fields[0].size(), exact.size());
  EXPECT_EQ(rs[1].error, RecordError::kTooLong);
}

TEST(CsvReaderTest, HugeLineWithoutBreaksStaysBounded) {
  // 8 MiB with no line break: one bad record, nothing held beyond the limit.
  auto rs = ReadAll(std::string(8 << 20, 'x'));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].error, RecordError::kTooLong);
  EXPECT_TRUE(rs[0].fields.empty());
}

TEST(CsvReaderTest, RecordsLongerThanTheReadChunkAreWhole) {
  std::string name(40'000, 'n');
  auto rs = ReadAll("a@example.com,\"" + name + "\"\nb@example.com,x\n");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].fields[1], name);
  EXPECT_EQ(rs[1].fields[0], "b@example.com");
}

TEST(CsvReaderTest, EmptyInputAndBomOnlyHaveNoRecords) {
  EXPECT_TRUE(ReadAll("").empty());
  EXPECT_TRUE(ReadAll("\xEF\xBB\xBF").empty());
  EXPECT_TRUE(ReadAll("\xEF\xBB\xBF\r\n").empty());
}

}  // namespace
}  // namespace tayori::csv
