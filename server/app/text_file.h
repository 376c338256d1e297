// Whole-file reads for the configuration and offline commands.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace tsodso::app {

// Return the file's contents; the error names `from` (the file or key that
// referred to it) and the path.
inline absl::StatusOr<std::string> ReadTextFile(const std::string& path, const std::string& from = "") {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(from.empty() ? "" : from + ": ", "cannot read '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tsodso::app
