// Unit: which subscriber fields a campaign's templates mention (only those are
// read from each recipient's JSON fields).
#include "daemon/message_factory.h"

#include <gtest/gtest.h>

namespace tayori::daemon {
namespace {

TEST(SubscriberFieldsUsedTest, NamesFromEveryTemplateSortedWithoutTheBuiltIns) {
  store::CampaignRow row;
  row.subject_template = "{{subscriber.name}}さん、{{subscriber.points}} ポイント";
  row.text_template = "{{#subscriber.plan}}Plan: {{subscriber.plan}}{{/subscriber.plan}} {{subscriber.email}}";
  row.html_template = "<p>{{ subscriber.rank_2 }}</p><p>{{subscriber.id}}</p>subscriber. alone, subscriber.-x";
  EXPECT_EQ(SubscriberFieldsUsed(row), (std::vector<std::string>{"plan", "points", "rank_2"}));
}

TEST(SubscriberFieldsUsedTest, NoneWhenTheTemplatesMentionNone) {
  store::CampaignRow row;
  row.subject_template = "Hello";
  row.html_template = "<p>{{shop.name}} subscriber</p>";
  EXPECT_TRUE(SubscriberFieldsUsed(row).empty());
}

}  // namespace
}  // namespace tayori::daemon
