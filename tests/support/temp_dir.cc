#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace tsodso::testing {

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/tsodso-" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) std::abort();
  path_ = buf.data();
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  const bool keep = ::testing::Test::HasFailure() || std::getenv("TSODSO_KEEP_TEST_DIRS") != nullptr;
  if (keep) {
    std::fprintf(stderr, "[ kept     ] %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace tsodso::testing
