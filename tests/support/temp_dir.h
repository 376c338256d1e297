// Temporary directories for tests, removed at the end unless the test
// failed (then kept for the post-mortem; the path is printed).
#pragma once

#include <string>

namespace tsodso::testing {

class TempDir {
 public:
  // Create /tmp/tsodso-<prefix>-XXXXXX, traversable by the postgres user.
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace tsodso::testing
