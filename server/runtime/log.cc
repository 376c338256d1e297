#include "runtime/log.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string_view>

#include "spdlog/pattern_formatter.h"

namespace tsodso::runtime::log {
namespace {

thread_local std::vector<Field> scoped;

void Append(spdlog::memory_buf_t& dest, std::string_view text) { dest.append(text.data(), text.data() + text.size()); }

// A JSON string; bytes that are not UTF-8 become U+FFFD, so that a line
// stays valid JSON whatever a message quotes.
std::string Quoted(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ValueText(const Field& f, bool json) {
  if (const auto* s = std::get_if<std::string>(&f.value)) return json ? Quoted(*s) : *s;
  if (const auto* i = std::get_if<int64_t>(&f.value)) return std::to_string(*i);
  return fmt::format("{:.6g}", std::get<double>(f.value));
}

// The fields in force, each key once with its innermost value, in the
// order the keys first appeared.
std::vector<const Field*> InForce() {
  std::vector<const Field*> out;
  for (const Field& f : scoped) {
    bool replaced = false;
    for (const Field*& seen : out) {
      if (seen->key == f.key) {
        seen = &f;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(&f);
  }
  return out;
}

// %& : the fields, as " key=value" (text) or ',"key":value' (JSON).
class FieldsFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit FieldsFlag(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    for (const Field* f : InForce()) {
      if (json_) {
        Append(dest, ",");
        Append(dest, Quoted(f->key));
        Append(dest, ":");
      } else {
        Append(dest, " ");
        Append(dest, f->key);
        Append(dest, "=");
      }
      Append(dest, ValueText(*f, json_));
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<FieldsFlag>(json_); }

 private:
  const bool json_;
};

// %* : the message as a JSON string.
class QuotedMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    Append(dest, Quoted(std::string_view(msg.payload.data(), msg.payload.size())));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<QuotedMessageFlag>(); }
};

}  // namespace

bool ParseFormat(const std::string& name, Format* format) {
  if (name == "text") {
    *format = Format::kText;
    return true;
  }
  if (name == "json") {
    *format = Format::kJson;
    return true;
  }
  return false;
}

std::unique_ptr<spdlog::formatter> MakeFormatter(Format format) {
  const bool json = format == Format::kJson;
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<FieldsFlag>('&', json);
  if (json) {
    formatter->add_flag<QuotedMessageFlag>('*');
    formatter->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","message":%*%&})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v%&");
  }
  return formatter;
}

void SetFormat(Format format) { spdlog::set_formatter(MakeFormatter(format)); }

Scope::Scope(std::initializer_list<Field> fields) : count_(fields.size()) {
  scoped.insert(scoped.end(), fields.begin(), fields.end());
}

Scope::Scope(std::vector<Field> fields) : count_(fields.size()) {
  scoped.insert(scoped.end(), std::make_move_iterator(fields.begin()), std::make_move_iterator(fields.end()));
}

Scope::~Scope() { scoped.erase(scoped.end() - static_cast<std::ptrdiff_t>(count_), scoped.end()); }

}  // namespace tsodso::runtime::log
