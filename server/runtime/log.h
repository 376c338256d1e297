// The gateway's log lines: human-readable text (the default) or one JSON
// object per line (`log_format: json`), for log shippers.
//
// A line carries the fields of every Scope alive on its thread, innermost
// last: a call's worker opens one with the party and the method, so that
// every line the call writes names them; a line about one outcome adds its
// own (code, duration, seq, pcc) with Log(). In text they follow the
// message as key=value; in JSON they are keys of the object beside time,
// level and message:
//
//   2026-12-06T14:02:11.102Z info call finished party=agg-1 method=/tsodso.v1.ScheduleService/SubmitSchedule code=OK
//   duration_ms=4.1
//   {"time":"2026-12-06T14:02:11.102Z","level":"info","message":"call finished","party":"agg-1",...,"duration_ms":4.1}
//
// Fields live in a thread-local list: they reach the lines of loggers that
// format on the calling thread, which is every logger of the gateway.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "spdlog/spdlog.h"

namespace tsodso::runtime::log {

enum class Format { kText, kJson };

// Parse "text" or "json".
bool ParseFormat(const std::string& name, Format* format);

// The formatter of `format`'s lines.
std::unique_ptr<spdlog::formatter> MakeFormatter(Format format);
// Format every line of every logger this way from now on.
void SetFormat(Format format);

struct Field {
  Field(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  Field(std::string k, const char* v) : key(std::move(k)), value(std::string(v)) {}
  Field(std::string k, int64_t v) : key(std::move(k)), value(v) {}
  Field(std::string k, int v) : key(std::move(k)), value(static_cast<int64_t>(v)) {}
  Field(std::string k, double v) : key(std::move(k)), value(v) {}
  std::string key;
  std::variant<std::string, int64_t, double> value;
};

// Adds its fields to every line this thread writes while it lives. A key
// given twice shows once, with the innermost value.
class Scope {
 public:
  Scope(std::initializer_list<Field> fields);
  explicit Scope(std::vector<Field> fields);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  size_t count_;
};

// Write one line with `fields` of its own.
template <typename... Args>
void Log(spdlog::level::level_enum level, std::initializer_list<Field> fields, spdlog::format_string_t<Args...> fmt,
         Args&&... args) {
  if (!spdlog::should_log(level)) return;
  Scope scope(fields);
  spdlog::log(level, fmt, std::forward<Args>(args)...);
}

}  // namespace tsodso::runtime::log
