#include "base/clock.h"

namespace tayori {

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace tayori
