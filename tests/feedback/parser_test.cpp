// The parser as a whole: the outcome of each kind of bad input, the
// matching candidates, the VERP, and the order in which kinds are tried.
// Per-format results are in the corpus (corpus_test.cpp).
#include "feedback/parser.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "smtp/return_path.h"

namespace tayori::feedback {
namespace {

const char* kPattern = "bounces+{delivery_id}.{mac}@bounce.tayori.example";
const char* kKey = "corpus-verp-key-not-a-secret";

Parser TestParser(Limits limits = {}) { return Parser(VerpKey{kPattern, kKey}, limits); }
std::string Verp(uint64_t id) { return smtp::ReturnPath(kPattern, kKey).For(id); }

std::string Corpus(const std::string& name) {
  std::ifstream in("tests/feedback/corpus/" + name + ".eml", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Dsn(const std::string& groups, const std::string& returned = "") {
  return "From: MAILER-DAEMON@mx.example.com\r\nTo: " + Verp(5) +
         "\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: text/plain\r\n\r\nThe mail system\r\n"
         "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
         groups + "\r\n" + returned + "--b--\r\n";
}

TEST(ParserTest, AMessageOverTheLimitIsRefusedUnread) {
  std::string big(50 * 1024 * 1024, 'x');
  Report r = TestParser().Parse(big);
  EXPECT_EQ(r.disposition, Disposition::kRefused);
  EXPECT_EQ(r.reason, "message of 52428800 bytes is larger than the limit of 10485760 bytes");
  EXPECT_EQ(r.type(), FeedbackType::kNotFeedback);
  EXPECT_FALSE(r.delivery_id);
  Report small = TestParser(Limits{100, 10}).Parse(std::string(101, 'x'));
  EXPECT_EQ(small.disposition, Disposition::kRefused);
}

TEST(ParserTest, AFileOverTheLimitIsRefusedBeforeItIsRead) {
  auto path = std::filesystem::temp_directory_path() / ("feedback_big_" + std::to_string(::getpid()) + ".eml");
  {
    std::ofstream out(path, std::ios::binary);
  }
  std::filesystem::resize_file(path, 50ull * 1024 * 1024);  // sparse: nothing is written
  auto r = TestParser().ParseFile(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->disposition, Disposition::kRefused);
  auto missing = TestParser().ParseFile("tests/feedback/corpus/no-such-file.eml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().error_class(), ErrorClass::kNotFound);
  EXPECT_FALSE(TestParser().ParseFile("tests/feedback/corpus").ok());
}

TEST(ParserTest, TenThousandRecipientsAreCappedAndCounted) {
  std::string groups;
  for (int i = 0; i < 10000; ++i)
    groups += "Final-Recipient: rfc822; r" + std::to_string(i) + "@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n";
  Report r = TestParser().Parse(Dsn(groups));
  EXPECT_EQ(r.disposition, Disposition::kParsed);
  EXPECT_EQ(r.recipients.size(), kMaxRecipientsPerReport);
  EXPECT_EQ(r.recipients_omitted, 10000 - kMaxRecipientsPerReport);
  EXPECT_EQ(r.recipients.back().recipient, "r99@example.com");
  EXPECT_EQ(r.delivery_id, 5u);
}

TEST(ParserTest, EmptyAndJunkInputIsNotFeedback) {
  for (std::string junk : {std::string(), std::string("\r\n\r\n"), std::string("\0\0\0", 3), std::string(10000, '\xff'),
                           std::string("Content-Type: multipart/report; boundary=\r\n\r\n--\r\n--\r\n")}) {
    Report r = TestParser().Parse(junk);
    EXPECT_EQ(r.type(), FeedbackType::kNotFeedback);
    EXPECT_FALSE(r.reason.empty());
  }
}

TEST(ParserTest, DeepNestingIsWalkedOnlySoFar) {
  std::string m = "From: MAILER-DAEMON@x.example\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 20000; ++i)
    m += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" + std::to_string(i) + "\r\n";
  m += "Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; a@example.com\r\nAction: failed\r\n";
  Report r = TestParser().Parse(m);
  EXPECT_EQ(r.type(), FeedbackType::kNotFeedback);  // the report sits deeper than kMaxMimeDepth
}

TEST(ParserTest, TheEnvelopeVerpNamesTheDelivery) {
  std::string groups = "Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n";
  Report r = TestParser().Parse(Dsn(groups), {Verp(77)});
  EXPECT_EQ(r.delivery_id, 77u);  // before the To header's 5
  EXPECT_TRUE(r.forged_verp.empty());
}

TEST(ParserTest, AForgedVerpNamesNothing) {
  std::string groups = "Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n";
  std::string m = Dsn(groups);
  std::string forged = "bounces+5.aaaaaaaaaa@bounce.tayori.example";
  m.replace(m.find(Verp(5)), Verp(5).size(), forged);
  Report r = TestParser().Parse(m, {"bounces+6.bbbbbbbbbb@bounce.tayori.example"});
  EXPECT_FALSE(r.delivery_id);
  EXPECT_EQ(r.forged_verp, "bounces+6.bbbbbbbbbb@bounce.tayori.example");
  EXPECT_EQ(r.type(), FeedbackType::kBounce);  // still a report; it matches no delivery by VERP
  // Another key sees every corpus VERP as forged.
  Report other = Parser(VerpKey{kPattern, "another-key"}).Parse(Corpus("postfix-user-unknown"));
  EXPECT_FALSE(other.delivery_id);
  EXPECT_FALSE(other.forged_verp.empty());
}

TEST(ParserTest, ABounceOfABounceIsIgnored) {
  Report r = TestParser().Parse(Corpus("dsn-bounce-of-bounce"));
  EXPECT_EQ(r.disposition, Disposition::kIgnored);
  EXPECT_EQ(r.reason, "a bounce of a bounce (the returned message: it is a multipart/report DSN)");
  EXPECT_TRUE(r.recipients.empty());
  std::string returned = "--b\r\nContent-Type: message/rfc822\r\n\r\nReturn-Path: <>\r\nFrom: MAILER-DAEMON@y.example\r\n\r\nx\r\n";
  Report text_loop = TestParser().Parse(
      Dsn("Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n", returned));
  EXPECT_EQ(text_loop.disposition, Disposition::kIgnored);
}

TEST(ParserTest, TheReturnedMessageGivesTheMatchingCandidates) {
  for (const char* name : {"postfix-user-unknown", "qmail-user-unknown", "sendmail-user-unknown", "arf-yahoo-cfl"}) {
    SCOPED_TRACE(name);
    Report r = TestParser().Parse(Corpus(name));
    ASSERT_TRUE(r.returned.present);
    EXPECT_EQ(r.returned.message_id.rfind("<9c1e8b7d4e6fa0c1b2d3e4f5a6b7", 0), 0u) << r.returned.message_id;
    EXPECT_EQ(r.returned.unsubscribe_token, "k1.AQEqB6sE6QflifInn6fmYAZQVOfFCgbH");
    EXPECT_EQ(r.returned.feedback_id.substr(4), ":42:newsletter:tayori01");
    EXPECT_EQ(r.returned.return_path.rfind("bounces+", 0), 0u);
  }
}

TEST(ParserTest, ReportFieldsForTheLog) {
  Report dsn = TestParser().Parse(Corpus("postfix-user-unknown"));
  EXPECT_EQ(dsn.format, "rfc3464");
  EXPECT_EQ(dsn.reporting_mta, "mta1.tayori.example");
  EXPECT_FALSE(dsn.recipients[0].status_inferred);
  Report global = TestParser().Parse(Corpus("global-dsn-utf8"));
  EXPECT_EQ(global.format, "rfc6533");
  Report arf = TestParser().Parse(Corpus("arf-generic-abuse"));
  EXPECT_EQ(arf.format, "arf");
  EXPECT_EQ(arf.reporting_mta, "mail.isp.example");
  Report yahoo = TestParser().Parse(Corpus("yahoo-failure-notice"));
  EXPECT_EQ(yahoo.format, "qmail");
  EXPECT_TRUE(yahoo.recipients[0].status_inferred);
  Report vacation = TestParser().Parse(Corpus("vacation-auto-submitted"));
  EXPECT_EQ(vacation.format, "rfc3834");
  EXPECT_EQ(vacation.reason, "Auto-Submitted: auto-replied");
  Report human = TestParser().Parse(Corpus("human-reply-not-feedback"));
  EXPECT_EQ(human.reason, "no feedback report, delivery report, known bounce text or auto-reply");
  Report auth = TestParser().Parse(Corpus("arf-auth-failure"));
  EXPECT_EQ(auth.disposition, Disposition::kIgnored);
  EXPECT_EQ(auth.feedback_type, "auth-failure");
}

TEST(ParserTest, ABounceWithAutoSubmittedIsStillABounce) {
  // Postfix marks its bounces "Auto-Submitted: auto-replied" (RFC 3834 §5).
  Report r = TestParser().Parse(Corpus("postfix-user-unknown"));
  EXPECT_EQ(r.type(), FeedbackType::kBounce);
}

TEST(ParserTest, ADsnPartWithoutRecipientsFallsBackToTheText) {
  std::string m = "From: MAILER-DAEMON@q.example\r\nSubject: failure notice\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
                  "--b\r\nContent-Type: text/plain\r\n\r\n<a@example.com>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
                  "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; q.example\r\n--b--\r\n";
  Report r = TestParser().Parse(m);
  EXPECT_EQ(r.type(), FeedbackType::kBounce);
  EXPECT_EQ(r.format, "generic");
  EXPECT_EQ(r.recipients[0].status, "5.1.1");
  Report none = TestParser().Parse(Dsn(""));
  EXPECT_EQ(none.reason, "its delivery-status part names no recipient");
}

TEST(ParserTest, ParsesOnSeveralThreadsAtOnce) {
  const Parser parser = TestParser();
  const std::string m = Corpus("gmail-address-not-found");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (parser.Parse(m).recipients.size() == 1) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

}  // namespace
}  // namespace tayori::feedback
