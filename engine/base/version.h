// The version this binary was built as (the project's CMake version) and
// its build type, for --version and tayori_build_info.
#pragma once

namespace tayori {

const char* Version();
const char* BuildType();

}  // namespace tayori
