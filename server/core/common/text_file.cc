#include "core/common/text_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

absl::StatusOr<std::string> ReadTextFile(const std::string& path, const std::string& from) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(from.empty() ? "" : from + ": ", "cannot read '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tsodso::core
