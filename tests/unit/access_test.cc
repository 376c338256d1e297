// The access table against the services in proto/: every RPC has a line,
// every line names an RPC, and each role gets what its line says.
#include "api/access.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "support/status_testing.h"
#include "tsodso/v1/feed.grpc.pb.h"
#include "tsodso/v1/flexibility.grpc.pb.h"
#include "tsodso/v1/forecast.grpc.pb.h"
#include "tsodso/v1/operator.grpc.pb.h"
#include "tsodso/v1/prequalification.grpc.pb.h"
#include "tsodso/v1/registry.grpc.pb.h"
#include "tsodso/v1/schedule.grpc.pb.h"
#include "tsodso/v1/validation.grpc.pb.h"

namespace tsodso::api {
namespace {

namespace fs = std::filesystem;

// The full names of every RPC of every service declared in proto/.
std::set<std::string> RpcsInProto() {
  std::set<std::string> names;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& entry : fs::directory_iterator(fs::path(TSODSO_SOURCE_DIR) / "proto/tsodso/v1")) {
    const std::string file = "tsodso/v1/" + entry.path().filename().string();
    const google::protobuf::FileDescriptor* fd = pool->FindFileByName(file);
    EXPECT_NE(fd, nullptr) << file << " is not linked into the gateway";
    if (fd == nullptr) continue;
    for (int s = 0; s < fd->service_count(); ++s) {
      for (int m = 0; m < fd->service(s)->method_count(); ++m) names.insert(fd->service(s)->method(m)->full_name());
    }
  }
  return names;
}

TEST(AccessTest, EveryRpcInProtoHasExactlyOneLine) {
  const std::set<std::string> rpcs = RpcsInProto();
  ASSERT_GE(rpcs.size(), 15u);
  std::multiset<std::string> lines;
  for (const AccessRule& r : AccessTable()) lines.insert(r.method);
  for (const std::string& rpc : rpcs) EXPECT_EQ(lines.count(rpc), 1u) << rpc << " needs one line in the access table";
  for (const std::string& line : lines) EXPECT_TRUE(rpcs.count(line)) << line << " is not an RPC in proto/";
}

TEST(AccessTest, EveryLineGrantsSomeRoleAndFindsItsPath) {
  for (const AccessRule& r : AccessTable()) {
    EXPECT_NE(r.roles & core::kAllRoles, 0u) << r.method;
    const std::string full = r.method;
    const size_t dot = full.rfind('.');
    const Rpc& rpc = FindRpc(full.substr(0, dot), full.substr(dot + 1));
    EXPECT_EQ(rpc.path, "/" + full.substr(0, dot) + "/" + full.substr(dot + 1));
    EXPECT_EQ(rpc.name, full.substr(dot + 1));
    EXPECT_EQ(rpc.roles, r.roles);
  }
}

TEST(AccessTest, TheMacroNamesTheHandlersRpc) {
  struct Handler {
    static const Rpc& PublishNotice() { return TSODSO_THIS_RPC(v1::OperatorService); }
  };
  EXPECT_EQ(Handler::PublishNotice().path, "/tsodso.v1.OperatorService/PublishNotice");
}

TEST(AccessTest, EachRoleGetsWhatItsLineSays) {
  const core::Role roles[] = {core::Role::kDsoOperator, core::Role::kTso, core::Role::kAggregator};
  for (const AccessRule& r : AccessTable()) {
    const std::string full = r.method;
    const size_t dot = full.rfind('.');
    const Rpc& rpc = FindRpc(full.substr(0, dot), full.substr(dot + 1));
    for (core::Role role : roles) {
      core::Party party;
      party.id = "party-x";
      party.role = role;
      const absl::Status st = CheckAccess(rpc, party);
      if ((r.roles & core::RoleBit(role)) != 0) {
        EXPECT_TRUE(st.ok()) << full << " as " << core::RoleName(role) << ": " << st;
      } else {
        EXPECT_TRUE(::tsodso::testing::StatusIs(st, absl::StatusCode::kPermissionDenied,
                                                {rpc.name, "is reserved to", "party-x", core::RoleName(role)}))
            << full;
      }
    }
  }
}

TEST(AccessTest, WritesBelongToOneRole) {
  // What changes the DSO's state is reserved: the operator's notices and
  // orders, the TSO's validations, the aggregators' schedules and claims.
  const std::map<std::string, core::Role> writes = {
      {"tsodso.v1.OperatorService.PublishNotice", core::Role::kDsoOperator},
      {"tsodso.v1.OperatorService.DeclareIntervention", core::Role::kDsoOperator},
      {"tsodso.v1.OperatorService.IssueCurtailment", core::Role::kDsoOperator},
      {"tsodso.v1.BidValidationService.ValidateMeritOrder", core::Role::kTso},
      {"tsodso.v1.ScheduleService.SubmitSchedule", core::Role::kAggregator},
      {"tsodso.v1.PrequalificationService.RequestPrequalification", core::Role::kAggregator},
      {"tsodso.v1.CurtailmentService.AcknowledgeNotice", core::Role::kAggregator},
  };
  for (const AccessRule& r : AccessTable()) {
    auto it = writes.find(r.method);
    if (it != writes.end()) {
      EXPECT_EQ(r.roles, core::RoleBit(it->second)) << r.method;
    }
  }
}

}  // namespace
}  // namespace tsodso::api
