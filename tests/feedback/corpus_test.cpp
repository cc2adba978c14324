// Every message in tests/feedback/corpus/NAME.eml parsed, and its records
// (the lines of `tayori inbound parse --json`) compared with
// NAME.expected.json. After an intended change, TAYORI_UPDATE_GOLDEN=1
// rewrites the expected files (review the diff).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "feedback/parser.h"
#include "feedback/records.h"

namespace tayori::feedback {
namespace {

const char* kCorpus = "tests/feedback/corpus";

// The corpus's VERP addresses are made with this key and pattern.
Parser CorpusParser() {
  return Parser(VerpKey{"bounces+{delivery_id}.{mac}@bounce.tayori.example", "corpus-verp-key-not-a-secret"});
}

template <typename Json>
Json ToJson(const Record& r) {
  Json j;
  j["file"] = r.file;
  j["type"] = r.type;
  j["recipient"] = r.recipient;
  j["status"] = r.status;
  j["reply_code"] = r.reply_code;
  j["action"] = r.action;
  j["hard"] = r.hard;
  j["category"] = r.category;
  j["feedback_type"] = r.feedback_type;
  j["delivery_id"] = r.delivery_id ? Json(*r.delivery_id) : Json(nullptr);
  j["diagnostic"] = r.diagnostic;
  return j;
}

std::vector<std::string> CorpusNames() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(kCorpus))
    if (e.path().extension() == ".eml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FeedbackCorpusTest, HasMessagesOfManySources) { EXPECT_GE(CorpusNames().size(), 30u); }

TEST(FeedbackCorpusTest, EveryMessageGivesItsExpectedRecords) {
  const Parser parser = CorpusParser();
  for (const std::string& name : CorpusNames()) {
    SCOPED_TRACE(name);
    const std::string eml = std::string(kCorpus) + "/" + name + ".eml";
    const std::string expected_path = std::string(kCorpus) + "/" + name + ".expected.json";
    auto report = parser.ParseFile(eml);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    auto records = ToRecords(*report, name + ".eml");
    if (std::getenv("TAYORI_UPDATE_GOLDEN")) {
      std::ofstream out(expected_path, std::ios::binary);
      out << "[\n";
      for (size_t i = 0; i < records.size(); ++i)
        out << "  " << ToJson<nlohmann::ordered_json>(records[i]).dump() << (i + 1 < records.size() ? ",\n" : "\n");
      out << "]\n";
    }
    std::ifstream in(expected_path, std::ios::binary);
    ASSERT_TRUE(in) << expected_path << " is missing";
    nlohmann::json expected = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(expected.is_discarded()) << expected_path << " is not JSON";
    nlohmann::json actual = nlohmann::json::array();
    for (const auto& r : records) actual.push_back(ToJson<nlohmann::json>(r));
    EXPECT_EQ(actual, expected) << "actual:\n" << actual.dump(2) << "\nexpected:\n" << expected.dump(2);
  }
}

}  // namespace
}  // namespace tayori::feedback
