// Whole-file reads: the configuration, the network model, the profiles, the
// client's certificates and the CLI's input files.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace tsodso::core {

// Return the file's contents; NOT_FOUND naming `from` (the option that
// referred to it), when given, and the path.
absl::StatusOr<std::string> ReadTextFile(const std::string& path, const std::string& from = "");

}  // namespace tsodso::core
