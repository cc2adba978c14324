#include "dkim/signed_data.h"

#include <algorithm>

namespace tayori::dkim {
namespace {

// Passes on the first `remaining` bytes, counts everything.
class LimitSink final : public ByteSink {
 public:
  LimitSink(ByteSink* next, std::optional<uint64_t> limit) : next_(next), limit_(limit) {}
  void Write(std::string_view bytes) override {
    if (!limit_) {
      next_->Write(bytes);
    } else if (seen_ < *limit_) {
      next_->Write(bytes.substr(0, static_cast<size_t>(std::min<uint64_t>(bytes.size(), *limit_ - seen_))));
    }
    seen_ += bytes.size();
  }

 private:
  ByteSink* next_;
  std::optional<uint64_t> limit_;
  uint64_t seen_ = 0;
};

}  // namespace

BodyHash ComputeBodyHash(std::string_view body, Canonicalization c, std::optional<uint64_t> limit,
                         Sha256Hasher* hasher) {
  hasher->Reset();
  BodyHash out;
  if (limit) {
    LimitSink sink(hasher, limit);
    BodyCanonicalizer canon(c, &sink);
    canon.Update(body);
    canon.Finish();
    out.canonical_length = canon.output_size();
  } else {
    BodyCanonicalizer canon(c, hasher);
    canon.Update(body);
    canon.Finish();
    out.canonical_length = canon.output_size();
  }
  out.digest = hasher->Finish();
  return out;
}

void WriteSignedHeaderData(const std::vector<HeaderField>& fields, const std::vector<std::string>& signed_headers,
                           Canonicalization c, std::string_view signature_field, ByteSink* sink) {
  // used[i] marks fields already consumed by an earlier occurrence of their
  // name in h=, so the second "from" takes the next From up, and so on.
  std::vector<bool> used(fields.size(), false);
  std::string data;
  data.reserve(1024);
  for (const std::string& name : signed_headers) {
    for (size_t i = fields.size(); i-- > 0;) {
      if (used[i] || !EqualsIgnoreCase(fields[i].name, name)) continue;
      used[i] = true;
      AppendCanonicalHeader(fields[i].field, c, &data);
      data += "\r\n";
      break;
    }
  }
  AppendCanonicalHeader(signature_field, c, &data);
  sink->Write(data);
}

}  // namespace tayori::dkim
