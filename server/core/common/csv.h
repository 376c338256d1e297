// A small reader for the DSO's CSV inputs (network models, DER placement,
// resource registries): comma-separated, a header row, no quoting. Errors
// name the source file, the row (as a spreadsheet shows it) and the column.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tsodso::core {

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int Column(const std::string& name) const;
};

// Split text into header and rows; blank lines are skipped, cells trimmed.
Csv ParseCsv(const std::string& text);

// Read a number cell; when absent or empty, `fallback` if not required.
absl::Status Field(const Csv& csv, size_t row, const std::string& name, bool required, double fallback, double* out,
                   const std::string& source);

// Read a text cell; an absent or empty required cell is an error.
absl::Status TextField(const Csv& csv, size_t row, const std::string& name, bool required, std::string* out,
                       const std::string& source);

}  // namespace tsodso::core
