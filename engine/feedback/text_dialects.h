// Internal to text_bounce.cpp: the dialect readers and what they share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "feedback/text_bounce.h"

namespace tayori::feedback::text {

struct Line {
  std::string_view text;  // without the line break
  size_t offset;          // in the body
};

// Collects recipients up to the cap, counting the rest.
class Sink {
 public:
  explicit Sink(size_t max) : max_(max) {}
  // Starts a recipient; false (and counted) when over the cap.
  bool Add(std::string recipient, bool delayed);
  // Appends a line of diagnostic to the last recipient added.
  void Diagnose(std::string_view line);
  bool empty() const { return recipients_.empty() && omitted_ == 0; }
  TextBounce Finish(std::string format, size_t returned_at);

 private:
  size_t max_;
  bool accepting_ = false;
  std::vector<TextBounceRecipient> recipients_;
  std::vector<std::string> diagnostics_;
  size_t omitted_ = 0;
};

bool HasLine(const std::vector<Line>& lines, std::string_view words);  // case-insensitive "contains"

// Each reads `lines` (the part of the body before the returned message)
// and returns whether its sentences were there and it found recipients.
bool ReadAngle(const Fields& headers, const std::vector<Line>& lines, bool gated, Sink& sink, std::string& format);
bool ReadExim(const Fields& headers, const std::vector<Line>& lines, Sink& sink);
bool ReadSendmail(const Fields& headers, const std::vector<Line>& lines, Sink& sink);
bool ReadExchange(const std::vector<Line>& lines, Sink& sink);
bool ReadGmail(const std::vector<Line>& lines, Sink& sink);
bool ReadOpenSmtpd(const std::vector<Line>& lines, Sink& sink);
bool ReadAu(const std::vector<Line>& lines, Sink& sink);

}  // namespace tayori::feedback::text
