#include "render/random_source.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "crypto/primitives.h"

namespace tayori::render {

void SystemRandom::Fill(char* out, size_t n) {
  std::string bytes = crypto::RandomBytes(n);
  std::memcpy(out, bytes.data(), n);
}

void SeededRandom::Fill(char* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    std::memcpy(out + i, &z, std::min<size_t>(8, n - i));
  }
}

}  // namespace tayori::render
