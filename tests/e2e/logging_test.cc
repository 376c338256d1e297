// The daemon's log as a log shipper reads it: with `log_format: json`,
// every line it writes, its own and gRPC's, is one JSON object with time,
// level and message, and the fields of what it is about (party, method,
// code, duration, seq).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

TEST(LoggingTest, JsonFormatWritesOneObjectPerLine) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  opts.log_format = "json";
  opts.log_level = "debug";
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);

  // A write, a refusal, and a handshake gRPC itself refuses (another CA).
  ASSERT_TRUE(gw->ClientAs("operator")->PublishNotice(NoticeRequest("logged")).ok());
  {
    // A subscription that receives it and ends: its lines carry the seq.
    FeedCollector tso(*gw, "tso", All());
    ASSERT_TRUE(tso.WaitForEvents(1));
  }
  EXPECT_FALSE(gw->ClientAs("tso")->PublishNotice(NoticeRequest("refused")).ok());
  EXPECT_FALSE(gw->ClientAs("foreign")->WhoAmI().ok());
  ASSERT_EQ(gw->Terminate(), 0);

  const std::vector<std::string> lines = absl::StrSplit(gw->Log(), '\n', absl::SkipWhitespace());
  ASSERT_GT(lines.size(), 5u);
  int refused = 0;
  int from_grpc = 0;  // the refused handshake, as gRPC reports it
  int accessed = 0;
  int ended = 0;
  for (const std::string& line : lines) {
    ASSERT_TRUE(nlohmann::json::accept(line)) << "not JSON: " << line;
    const nlohmann::json j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    if (j["message"].get<std::string>().find("PublishNotice") != std::string::npos &&
        j["message"].get<std::string>().find("PERMISSION_DENIED") != std::string::npos) {
      ++refused;
    }
    if (j["message"].get<std::string>().rfind("grpc ", 0) == 0) ++from_grpc;
    // The access log (debug): party, method, code and duration, no body.
    if (j["message"] == "call finished" && j.value("method", "") == "/tsodso.v1.OperatorService/PublishNotice" &&
        j.value("code", "") == "OK") {
      EXPECT_TRUE(j.contains("party") && j["duration_ms"].is_number()) << line;
      EXPECT_EQ(line.find("logged"), std::string::npos) << "a request body in the access log: " << line;
      ++accessed;
    }
    if (j["message"].get<std::string>().find("subscription ended") != std::string::npos) {
      EXPECT_EQ(j.value("seq", int64_t{-1}), 1) << line;
      EXPECT_EQ(j.value("code", ""), "CANCELLED") << line;
      EXPECT_TRUE(j.contains("party")) << line;
      ++ended;
    }
  }
  EXPECT_EQ(ended, 1) << gw->Log();
  EXPECT_GE(refused, 1) << gw->Log();
  EXPECT_GE(from_grpc, 1) << gw->Log();
  EXPECT_EQ(accessed, 1) << gw->Log();
}

}  // namespace
}  // namespace tsodso::testing
