// Inputs of the text fuzz targets that hold several files: the files follow
// each other, separated by a line "%%" (so that seeds stay readable text).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tsodso::fuzz {

inline constexpr char kFileSeparator[] = "\n%%\n";

// Split `text` at each separator into at most `n` files; missing ones are
// empty, and the last takes whatever follows.
inline std::vector<std::string> SplitFiles(const std::string& text, size_t n) {
  std::vector<std::string> out;
  size_t from = 0;
  while (out.size() + 1 < n) {
    const size_t at = text.find(kFileSeparator, from);
    if (at == std::string::npos) break;
    out.push_back(text.substr(from, at - from));
    from = at + sizeof kFileSeparator - 1;
  }
  out.push_back(text.substr(from));
  out.resize(n);
  return out;
}

inline std::pair<std::string, std::string> SplitTwo(const std::string& text) {
  std::vector<std::string> files = SplitFiles(text, 2);
  return {std::move(files[0]), std::move(files[1])};
}

}  // namespace tsodso::fuzz
