#include "core/common/csv.h"

#include <cmath>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tsodso::core {

int Csv::Column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Csv ParseCsv(const std::string& text) {
  Csv csv;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cols;
    for (absl::string_view c : absl::StrSplit(line, ',')) cols.emplace_back(absl::StripAsciiWhitespace(c));
    if (first) {
      csv.header = std::move(cols);
      first = false;
    } else {
      csv.rows.push_back(std::move(cols));
    }
  }
  return csv;
}

absl::Status Field(const Csv& csv, size_t row, const std::string& name, bool required, double fallback, double* out,
                   const std::string& source) {
  const int col = csv.Column(name);
  if (col < 0 || static_cast<size_t>(col) >= csv.rows[row].size() || csv.rows[row][col].empty()) {
    if (required) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": row ", row + 2, ": ", name, ": missing"));
    }
    *out = fallback;
    return absl::OkStatus();
  }
  if (!absl::SimpleAtod(csv.rows[row][col], out) || !std::isfinite(*out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": row ", row + 2, ": ", name, ": '", csv.rows[row][col], "' is not a number"));
  }
  return absl::OkStatus();
}

absl::Status TextField(const Csv& csv, size_t row, const std::string& name, bool required, std::string* out,
                       const std::string& source) {
  const int col = csv.Column(name);
  if (col < 0 || static_cast<size_t>(col) >= csv.rows[row].size() || csv.rows[row][col].empty()) {
    if (required) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": row ", row + 2, ": ", name, ": missing"));
    }
    out->clear();
    return absl::OkStatus();
  }
  *out = csv.rows[row][col];
  return absl::OkStatus();
}

}  // namespace tsodso::core
