// The log lines: text with key=value fields, or one valid JSON object per
// line with the fields as keys, whatever the message holds.
#include "runtime/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "spdlog/sinks/ostream_sink.h"

namespace tsodso::runtime::log {
namespace {

// Lines written through the default logger, formatted as `format`.
class LogTest : public ::testing::Test {
 protected:
  void Use(Format format) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("log-test", sink);
    logger->set_formatter(MakeFormatter(format));
    logger->set_level(spdlog::level::debug);
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(logger);
  }
  void TearDown() override {
    if (previous_) spdlog::set_default_logger(previous_);
  }
  std::vector<std::string> Lines() {
    std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
    return lines;
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(LogTest, JsonLinesCarryTheScopesFieldsAndStayValid) {
  Use(Format::kJson);
  {
    Scope call({{"party", "agg-1"}, {"method", "/tsodso.v1.ScheduleService/SubmitSchedule"}});
    spdlog::info("schedule {} \"stored\"\n\tfor {}", "s-1", "PS_SUD");
    Log(spdlog::level::info, {{"code", "OK"}, {"duration_ms", 4.25}, {"seq", int64_t{1042}}}, "call finished");
    Log(spdlog::level::debug, {{"party", "agg-2"}}, "the innermost value wins");
  }
  spdlog::warn("no fields here: {}", std::string("bad \xC3\x28 bytes"));

  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u) << out_.str();
  std::vector<nlohmann::json> parsed;
  for (const std::string& line : lines) {
    ASSERT_TRUE(nlohmann::json::accept(line)) << line;
    parsed.push_back(nlohmann::json::parse(line));
  }
  EXPECT_EQ(parsed[0]["level"], "info");
  EXPECT_EQ(parsed[0]["message"], "schedule s-1 \"stored\"\n\tfor PS_SUD");
  EXPECT_EQ(parsed[0]["party"], "agg-1");
  EXPECT_EQ(parsed[0]["method"], "/tsodso.v1.ScheduleService/SubmitSchedule");
  EXPECT_TRUE(parsed[0]["time"].get<std::string>().ends_with("Z"));
  EXPECT_FALSE(parsed[0].contains("code"));

  EXPECT_EQ(parsed[1]["code"], "OK");
  EXPECT_DOUBLE_EQ(parsed[1]["duration_ms"].get<double>(), 4.25);
  EXPECT_EQ(parsed[1]["seq"].get<int64_t>(), 1042);
  EXPECT_EQ(parsed[1]["party"], "agg-1");

  EXPECT_EQ(parsed[2]["level"], "debug");
  EXPECT_EQ(parsed[2]["party"], "agg-2");
  EXPECT_EQ(lines[2].find("agg-1"), std::string::npos) << lines[2];

  // The scope ended with its block; bytes that are not UTF-8 are replaced.
  EXPECT_FALSE(parsed[3].contains("party"));
  EXPECT_EQ(parsed[3]["message"], "no fields here: bad \xEF\xBF\xBD( bytes");
}

TEST_F(LogTest, TextLinesFollowTheMessageWithKeyValueFields) {
  Use(Format::kText);
  {
    Scope call({{"party", "tso-terna"}});
    Log(spdlog::level::info, {{"code", "PERMISSION_DENIED"}, {"duration_ms", 0.5}}, "call finished");
  }
  spdlog::info("plain");
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].ends_with(" info call finished party=tso-terna code=PERMISSION_DENIED duration_ms=0.5"))
      << lines[0];
  EXPECT_TRUE(lines[1].ends_with(" info plain")) << lines[1];
}

TEST(LogFormatTest, ParsesTheTwoFormatsOnly) {
  Format f = Format::kText;
  EXPECT_TRUE(ParseFormat("json", &f));
  EXPECT_EQ(f, Format::kJson);
  EXPECT_TRUE(ParseFormat("text", &f));
  EXPECT_EQ(f, Format::kText);
  EXPECT_FALSE(ParseFormat("JSON", &f));
}

}  // namespace
}  // namespace tsodso::runtime::log
