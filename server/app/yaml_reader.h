// Reading the daemon's YAML files into structs: every key a reader does not
// take is reported, and every mistake is worded the same way in every file,
// "<file>: key '<path.to.key>': <what is wrong> (<value>)".
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <initializer_list>
#include <set>
#include <string>

#include "absl/status/status.h"

namespace tsodso::app {

// Return a path named in a file: relative ones are taken from the file's
// directory `base`.
std::string ResolvedPath(const std::string& path, const std::filesystem::path& base);

// Return the error for a file that does not parse (the line of the fault).
absl::Status YamlSyntaxError(const std::string& file, const YAML::Exception& e);

// One YAML mapping that remembers which keys were read, so that every key
// left over (a typo, an option that does not exist) is reported by Finish().
class YamlSection {
 public:
  // `path`: the mapping's key from the top of the file ("" at the top,
  // "feed", "parties[1]"). `label`: how messages name a mapping that is an
  // entry of its own ("class 'pv'"); keys are then named from it.
  YamlSection(const YAML::Node& node, std::string path, std::string file, std::string label = "");

  // The mapping under `key`, read as a section of its own.
  YamlSection Sub(const std::string& key);
  const std::string& file() const { return file_; }

  absl::Status CheckIsMap() const;
  // The full path of `key` in this section.
  std::string Key(const std::string& key) const;
  // An error about the key at `key_path` (a full path, see Key()).
  absl::Status Error(const std::string& key_path, const std::string& reason) const;
  // Whether `key` has a value; marks it read.
  bool Has(const std::string& key);
  // The node of `key`; marks it read.
  YAML::Node Get(const std::string& key);

  // Each reader leaves `out` as it is when the key is absent and not
  // required.
  absl::Status String(const std::string& key, std::string* out, bool required = false);
  absl::Status Int(const std::string& key, int* out, int min, int max, bool required = false);
  absl::Status Bool(const std::string& key, bool* out);
  absl::Status Double(const std::string& key, double* out, bool required = false);
  // A file or directory, resolved from `base`.
  absl::Status Path(const std::string& key, std::string* out, const std::filesystem::path& base, bool required);
  // Report the first key that nothing read.
  absl::Status Finish() const;
  // Report the first key not in `keys` before anything is read: at the top
  // of a file, a misspelt section would otherwise be reported as a missing
  // one. Finish() still reports the keys of `keys` nothing read.
  absl::Status OnlyKeys(std::initializer_list<const char*> keys) const;

 private:
  // "<file>: " or "<file>: <label>: ".
  std::string Where() const;

  YAML::Node node_;
  std::string path_;
  std::string file_;
  std::string label_;
  std::set<std::string> used_;
};

}  // namespace tsodso::app
