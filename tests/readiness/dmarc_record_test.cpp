#include "readiness/dmarc_record.h"

#include <gtest/gtest.h>

namespace tayori::readiness {
namespace {

using Kind = DmarcProblem::Kind;

DmarcRecord Valid(const std::string& txt) {
  DmarcParse p = ParseDmarcRecord(txt);
  EXPECT_TRUE(p.record.has_value()) << txt << ": " << p.error.Describe();
  return p.record.value_or(DmarcRecord{});
}

DmarcProblem Invalid(const std::string& txt) {
  DmarcParse p = ParseDmarcRecord(txt);
  EXPECT_FALSE(p.record.has_value()) << txt;
  return p.error;
}

TEST(DmarcRecordTest, ParsesTheExamplesOfRfc7489Appendix) {
  // §B.2.1 / B.2.3 style records.
  DmarcRecord r = Valid("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com");
  EXPECT_EQ(r.policy, DmarcPolicy::kNone);
  EXPECT_EQ(r.rua, std::vector<std::string>{"mailto:dmarc-feedback@example.com"});
  EXPECT_EQ(r.adkim, AlignmentMode::kRelaxed);
  EXPECT_EQ(r.pct, 100);
  EXPECT_TRUE(r.warnings.empty());

  r = Valid("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com; "
            "ruf=mailto:auth-reports@thirdparty.example.net; pct=25");
  EXPECT_EQ(r.policy, DmarcPolicy::kQuarantine);
  EXPECT_EQ(r.pct, 25);
  EXPECT_EQ(r.ruf, std::vector<std::string>{"mailto:auth-reports@thirdparty.example.net"});

  r = Valid("v=DMARC1; p=reject; sp=none; adkim=s; aspf=s; fo=1:d; rf=afrf; ri=3600;");
  EXPECT_EQ(r.policy, DmarcPolicy::kReject);
  EXPECT_EQ(r.subdomain_policy, DmarcPolicy::kNone);
  EXPECT_EQ(r.PolicyFor(true), DmarcPolicy::kNone);
  EXPECT_EQ(r.PolicyFor(false), DmarcPolicy::kReject);
  EXPECT_EQ(r.adkim, AlignmentMode::kStrict);
  EXPECT_EQ(r.aspf, AlignmentMode::kStrict);
  EXPECT_EQ(r.fo, "1:d");
  EXPECT_EQ(r.ri, 3600u);
}

TEST(DmarcRecordTest, AcceptsSpacingCaseOfValuesAndSizeLimitsOnUris) {
  DmarcRecord r = Valid("v = DMARC1 ;p = REJECT;  rua = mailto:a@example.com!10m , mailto:b@example.net ;");
  EXPECT_EQ(r.policy, DmarcPolicy::kReject);
  EXPECT_EQ(r.rua, (std::vector<std::string>{"mailto:a@example.com", "mailto:b@example.net"}));
}

TEST(DmarcRecordTest, VersionMustComeFirstAndBeExactlyDmarc1) {
  EXPECT_EQ(Invalid("p=none; v=DMARC1").kind, Kind::kVersionNotFirst);
  EXPECT_EQ(Invalid("v=DMARC2; p=none").kind, Kind::kVersionNotFirst);
  EXPECT_EQ(Invalid("v=dmarc1; p=none").kind, Kind::kVersionNotFirst);
  EXPECT_EQ(Invalid("").kind, Kind::kVersionNotFirst);
  EXPECT_TRUE(IsDmarcRecord("v=DMARC1; p=none"));
  EXPECT_TRUE(IsDmarcRecord("v = DMARC1"));
  EXPECT_FALSE(IsDmarcRecord("v=DMARC10; p=none"));
  EXPECT_FALSE(IsDmarcRecord("v=spf1 -all"));
  EXPECT_FALSE(IsDmarcRecord("v=dmarc1; p=none"));
}

TEST(DmarcRecordTest, PolicyIsRequired) {
  DmarcProblem e = Invalid("v=DMARC1; rua=mailto:d@example.com");
  EXPECT_EQ(e.kind, Kind::kNoPolicy);
  EXPECT_NE(e.Describe().find("p="), std::string::npos);
}

TEST(DmarcRecordTest, BadValuesNameTheTag) {
  struct Case {
    const char* txt;
    const char* tag;
  } cases[] = {
      {"v=DMARC1; p=rejectt", "p"},
      {"v=DMARC1; p=none; sp=maybe", "sp"},
      {"v=DMARC1; p=none; adkim=x", "adkim"},
      {"v=DMARC1; p=none; aspf=", "aspf"},
      {"v=DMARC1; p=none; pct=101", "pct"},
      {"v=DMARC1; p=none; pct=-1", "pct"},
      {"v=DMARC1; p=none; rua=dmarc@example.com", "rua"},
      {"v=DMARC1; p=none; rua=mailto:a@example.com!10x", "rua"},
      {"v=DMARC1; p=none; ruf=", "ruf"},
      {"v=DMARC1; p=none; fo=2", "fo"},
      {"v=DMARC1; p=none; rf=a f", "rf"},
      {"v=DMARC1; p=none; ri=99999999999", "ri"},
      {"v=DMARC1; p=none; ri=1h", "ri"},
  };
  for (const Case& c : cases) {
    DmarcProblem e = Invalid(c.txt);
    EXPECT_EQ(e.kind, Kind::kBadValue) << c.txt;
    EXPECT_EQ(e.tag, c.tag) << c.txt;
    EXPECT_NE(e.Describe().find(std::string(c.tag) + "="), std::string::npos) << e.Describe();
  }
}

TEST(DmarcRecordTest, SyntaxErrorsAndDuplicates) {
  EXPECT_EQ(Invalid("v=DMARC1; p").kind, Kind::kSyntax);
  EXPECT_EQ(Invalid("v=DMARC1; p=none; 9x=1").kind, Kind::kSyntax);
  DmarcProblem d = Invalid("v=DMARC1; p=none; p=reject");
  EXPECT_EQ(d.kind, Kind::kDuplicate);
  EXPECT_EQ(d.tag, "p");
  EXPECT_EQ(Invalid("v=DMARC1; v=DMARC1; p=none").kind, Kind::kDuplicate);
}

TEST(DmarcRecordTest, UnknownTagsAndOtherUriSchemesAreWarnings) {
  DmarcRecord r = Valid("v=DMARC1; p=none; np=reject; rua=https://reports.example/dmarc");
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].kind, Kind::kUnknownTag);
  EXPECT_EQ(r.warnings[0].tag, "np");
  EXPECT_EQ(r.warnings[1].kind, Kind::kNonMailtoUri);
  EXPECT_EQ(r.warnings[1].tag, "rua");
}

TEST(DmarcRecordTest, ProblemsRenderInBothLanguages) {
  DmarcProblem e = Invalid("v=DMARC1; p=rejectt");
  EXPECT_EQ(e.ToText().Render(Lang::kEn), "p= has the invalid value \"rejectt\"");
  EXPECT_EQ(e.ToText().Render(Lang::kJa), "p= の値「rejectt」が正しくありません");
}

}  // namespace
}  // namespace tayori::readiness
