#include "base/version.h"

namespace tayori {

const char* Version() { return TAYORI_BASE_VERSION; }
const char* BuildType() { return TAYORI_BASE_BUILD_TYPE; }

}  // namespace tayori
