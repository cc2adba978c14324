#include "feedback/auto_reply.h"

#include <gtest/gtest.h>

namespace tayori::feedback {
namespace {

TEST(AutoReplyTest, Rfc3834AutoSubmitted) {
  EXPECT_EQ(AutoReplySignal({{"Auto-Submitted", "auto-replied (vacation)"}}), "Auto-Submitted: auto-replied");
  EXPECT_EQ(AutoReplySignal({{"Auto-Submitted", "auto-generated"}}), "Auto-Submitted: auto-generated");
  EXPECT_EQ(AutoReplySignal({{"Auto-Submitted", "no"}}), "");
  EXPECT_EQ(AutoReplySignal({{"Auto-Submitted", "No; comment"}}), "");
}

TEST(AutoReplyTest, OlderHeaders) {
  EXPECT_EQ(AutoReplySignal({{"X-Autoreply", "yes"}}), "X-Autoreply");
  EXPECT_EQ(AutoReplySignal({{"X-Autorespond", "yes"}}), "X-Autorespond");
  EXPECT_EQ(AutoReplySignal({{"Precedence", "auto_reply"}}), "Precedence: auto_reply");
  EXPECT_EQ(AutoReplySignal({{"Precedence", "bulk"}}), "");
}

TEST(AutoReplyTest, Subjects) {
  EXPECT_NE(AutoReplySignal({{"Subject", "Out of Office: Spring news"}}), "");
  EXPECT_NE(AutoReplySignal({{"Subject", "Automatic reply: Spring news"}}), "");
  EXPECT_NE(AutoReplySignal({{"Subject", "AUTO: away until Monday"}}), "");
  EXPECT_NE(AutoReplySignal({{"Subject", "Abwesenheitsnotiz: Frühling"}}), "");
  EXPECT_NE(AutoReplySignal({{"Subject", "自動応答: 春の新作"}}), "");
  EXPECT_NE(AutoReplySignal({{"Subject", "Réponse automatique : nouveautés"}}), "");
  EXPECT_EQ(AutoReplySignal({{"Subject", "Re: Spring news"}}), "");
  EXPECT_EQ(AutoReplySignal({}), "");
}

}  // namespace
}  // namespace tayori::feedback
