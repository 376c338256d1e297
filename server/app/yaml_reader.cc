#include "app/yaml_reader.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace tsodso::app {
namespace fs = std::filesystem;

std::string ResolvedPath(const std::string& path, const fs::path& base) {
  return fs::path(path).is_relative() ? (base / path).lexically_normal().string() : path;
}

absl::Status YamlSyntaxError(const std::string& file, const YAML::Exception& e) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": line ", e.mark.line + 1, ": ", e.msg));
}

YamlSection::YamlSection(const YAML::Node& node, std::string path, std::string file, std::string label)
    : node_(node), path_(std::move(path)), file_(std::move(file)), label_(std::move(label)) {}

YamlSection YamlSection::Sub(const std::string& key) { return YamlSection(Get(key), Key(key), file_, label_); }

std::string YamlSection::Where() const {
  return label_.empty() ? file_ + ": " : absl::StrCat(file_, ": ", label_, ": ");
}

absl::Status YamlSection::CheckIsMap() const {
  if (node_.IsMap()) return absl::OkStatus();
  if (path_.empty()) return absl::InvalidArgumentError(absl::StrCat(Where(), "must be a mapping"));
  return Error(path_, "must be a mapping");
}

std::string YamlSection::Key(const std::string& key) const {
  return path_.empty() ? key : absl::StrCat(path_, ".", key);
}

absl::Status YamlSection::Error(const std::string& key_path, const std::string& reason) const {
  return absl::InvalidArgumentError(absl::StrCat(Where(), "key '", key_path, "': ", reason));
}

bool YamlSection::Has(const std::string& key) {
  const YAML::Node n = Get(key);
  return n.IsDefined() && !n.IsNull();
}

YAML::Node YamlSection::Get(const std::string& key) {
  used_.insert(key);
  // Nothing under a missing section or a scalar (CheckIsMap reports that).
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  // Read through a const node: operator[] on a mutable one adds the key.
  return std::as_const(node_)[key];
}

namespace {
std::string Shown(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : "?"; }
}  // namespace

absl::Status YamlSection::String(const std::string& key, std::string* out, bool required) {
  if (!Has(key)) return required ? Error(Key(key), "is required") : absl::OkStatus();
  const YAML::Node n = Get(key);
  if (!n.IsScalar()) return Error(Key(key), "must be a string");
  *out = n.Scalar();
  return absl::OkStatus();
}

absl::Status YamlSection::Int(const std::string& key, int* out, int min, int max, bool required) {
  if (!Has(key)) return required ? Error(Key(key), "is required") : absl::OkStatus();
  const YAML::Node n = Get(key);
  int v = 0;
  if (!n.IsScalar() || !YAML::convert<int>::decode(n, v)) {
    return Error(Key(key), absl::StrCat("must be an integer, got '", Shown(n), "'"));
  }
  if (v < min || v > max) return Error(Key(key), absl::StrCat("must be between ", min, " and ", max, ", got ", v));
  *out = v;
  return absl::OkStatus();
}

absl::Status YamlSection::Bool(const std::string& key, bool* out) {
  if (!Has(key)) return absl::OkStatus();
  const YAML::Node n = Get(key);
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    return Error(Key(key), absl::StrCat("must be true or false, got '", Shown(n), "'"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status YamlSection::Double(const std::string& key, double* out, bool required) {
  if (!Has(key)) return required ? Error(Key(key), "is required") : absl::OkStatus();
  const YAML::Node n = Get(key);
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
    return Error(Key(key), absl::StrCat("must be a number, got '", Shown(n), "'"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status YamlSection::Path(const std::string& key, std::string* out, const fs::path& base, bool required) {
  TSODSO_RETURN_IF_ERROR(String(key, out, required));
  if (!out->empty()) *out = ResolvedPath(*out, base);
  return absl::OkStatus();
}

absl::Status YamlSection::OnlyKeys(std::initializer_list<const char*> keys) const {
  YamlSection probe = *this;
  for (const char* key : keys) probe.used_.insert(key);
  return probe.Finish();
}

absl::Status YamlSection::Finish() const {
  if (!node_.IsMap()) return absl::OkStatus();
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (!used_.count(key)) return absl::InvalidArgumentError(absl::StrCat(Where(), "unknown key '", Key(key), "'"));
  }
  return absl::OkStatus();
}

}  // namespace tsodso::app
