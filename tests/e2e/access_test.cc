// The access table enforced by the real daemon: every RPC of every service in
// proto/ called as each role over mutual TLS, with an empty request. A role
// the table does not name must be refused with PERMISSION_DENIED before the
// request is even looked at; a role it names must get past the check (an
// empty request may still be refused for what it lacks). The RPCs are found
// from the protobuf descriptors and called through the generic stub, so that
// an RPC added to proto/ is called here without changing this file.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "api/access.h"
#include "e2e/e2e_util.h"
#include "e2e/generic_call.h"
#include "support/status_testing.h"

namespace tsodso::testing {
namespace {

struct RoleCert {
  std::string cert;  // demo certificate name
  core::Role role;   // the role the registry gives its party
};

// The roles the access table is written for, with one demo party each.
const std::vector<RoleCert>& Roles() {
  static const std::vector<RoleCert> roles = {
      {"operator", core::Role::kDsoOperator}, {"tso", core::Role::kTso}, {"agg1", core::Role::kAggregator}};
  return roles;
}

bool IsAccessRefusal(const grpc::Status& st) {
  return st.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
         st.error_message().find("is reserved to") != std::string::npos;
}

TEST(AccessEndToEndTest, EveryRpcAsEveryRoleGetsWhatTheAccessTableSays) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  std::map<std::string, core::RoleMask> table;
  for (const api::AccessRule& r : api::AccessTable()) table[r.method] = r.roles;

  const auto methods = MethodsInProto();
  ASSERT_GE(methods.size(), 15u);
  int calls = 0;
  std::ostringstream report;
  for (const RoleCert& role : Roles()) {
    grpc::GenericStub stub(ChannelAs(*gw, role.cert));
    for (const google::protobuf::MethodDescriptor* method : methods) {
      const std::string full = method->full_name();
      auto rule = table.find(full);
      ASSERT_NE(rule, table.end()) << full << " has no line in the access table";
      ASSERT_FALSE(method->client_streaming()) << full << ": client streaming is not called by this test";
      const std::string path = "/" + method->service()->full_name() + "/" + method->name();
      grpc::Status st;
      if (method->server_streaming()) {
        FirstMessage stream(stub, path);
        st = stream.Wait();
      } else {
        st = CallUnary(stub, path);
      }
      ++calls;
      report << "  " << role.cert << " " << full << ": " << st.error_code() << " " << st.error_message() << "\n";
      const bool allowed = (rule->second & core::RoleBit(role.role)) != 0;
      if (allowed) {
        EXPECT_FALSE(IsAccessRefusal(st))
            << full << " as " << role.cert << " is allowed but was refused: " << st.error_message();
        // A role the table names is past the identity check too.
        EXPECT_NE(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << full << " as " << role.cert;
      } else {
        EXPECT_TRUE(IsAccessRefusal(st)) << full << " as " << role.cert << " must be refused, got " << st.error_code()
                                         << " " << st.error_message();
        EXPECT_NE(st.error_message().find(method->name()), std::string::npos) << st.error_message();
      }
    }
  }
  std::cout << "calls made: " << calls << "\n" << report.str();
  EXPECT_GE(calls, 15 * 3);
  EXPECT_TRUE(gw->Alive()) << gw->Log();
}

TEST(AccessEndToEndTest, RefusedNoticeOfAnAggregatorLeavesNothingInTheFeed) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  // The aggregator asks twice with a complete request and the same key; both
  // are refused, and neither may have written an event or taken the key.
  const std::string key = "access-e2e-" + std::to_string(getpid());
  auto agg = gw->ClientAs("agg1");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = agg->PublishNotice(NoticeRequest("from the aggregator", {}, key));
    EXPECT_TRUE(StatusIs(r, absl::StatusCode::kPermissionDenied, {"PublishNotice", "is reserved to", "agg-1"}))
        << "attempt " << attempt;
  }
  // The operator's notice under the same key is its own, not an answer kept
  // for the refused calls.
  auto op = gw->ClientAs("operator");
  auto published = op->PublishNotice(NoticeRequest("from the operator", {}, key));
  ASSERT_TRUE(published.ok()) << published.status();
  ASSERT_EQ(published->event_seqs_size(), 1);
  const int64_t marker = published->event_seqs(0);

  // Everything up to the operator's notice, replayed from the start: one
  // notice, the operator's.
  std::vector<v1::Event> seen;
  std::promise<void> finished;
  std::thread guard([&, f = finished.get_future()] {
    if (f.wait_for(std::chrono::seconds(30)) == std::future_status::timeout) op->Cancel();
  });
  auto st = op->Subscribe(All(), [&](const v1::Event& e) {
    if (e.has_heartbeat()) return true;
    seen.push_back(e);
    return e.seq() < marker;
  });
  finished.set_value();
  guard.join();
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().seq(), marker);
  int notices = 0;
  for (const v1::Event& e : seen) {
    if (e.topic() != v1::TOPIC_NOTICE) continue;
    ++notices;
    EXPECT_EQ(e.notice().text(), "from the operator") << "seq " << e.seq();
  }
  EXPECT_EQ(notices, 1);
}

}  // namespace
}  // namespace tsodso::testing
