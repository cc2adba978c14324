// Where Message-IDs and MIME boundaries get their randomness. Passed into
// Render (like the time) so tests and golden files are deterministic.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tayori::render {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void Fill(char* out, size_t n) = 0;
};

// The OpenSSL CSPRNG (crypto/primitives.h RandomBytes); thread-safe.
class SystemRandom final : public RandomSource {
 public:
  void Fill(char* out, size_t n) override;
};

// A deterministic sequence (splitmix64) for tests, previews and benchmarks.
// Never for real mail: Message-IDs would repeat across runs. Not thread-safe.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void Fill(char* out, size_t n) override;

 private:
  uint64_t state_;
};

}  // namespace tayori::render
