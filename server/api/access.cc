#include "api/access.h"

#include <google/protobuf/descriptor.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace tsodso::api {
namespace {

using core::Role;
using core::RoleBit;

constexpr core::RoleMask kEveryone = core::kAllRoles;
constexpr core::RoleMask kOperator = RoleBit(Role::kDsoOperator);
constexpr core::RoleMask kTso = RoleBit(Role::kTso);
constexpr core::RoleMask kAggregator = RoleBit(Role::kAggregator);

// "the DSO operator", "the TSO", "an aggregator", joined with "or".
std::string RolesText(core::RoleMask roles) {
  std::vector<std::string> names;
  if ((roles & RoleBit(Role::kDsoOperator)) != 0) names.push_back("the DSO operator");
  if ((roles & RoleBit(Role::kTso)) != 0) names.push_back("the TSO");
  if ((roles & RoleBit(Role::kAggregator)) != 0) names.push_back("an aggregator");
  return absl::StrJoin(names, " or ");
}

}  // namespace

const std::vector<AccessRule>& AccessTable() {
  // Reads that every party may make show it only what it may see (its PCCs,
  // its portfolios); what changes the DSO's state is for one role.
  static const std::vector<AccessRule> table = {
      {"tsodso.v1.RegistryService.WhoAmI", kEveryone},
      {"tsodso.v1.RegistryService.ListPccs", kEveryone},
      {"tsodso.v1.OperatorService.PublishNotice", kOperator},
      {"tsodso.v1.OperatorService.DeclareIntervention", kOperator},
      {"tsodso.v1.OperatorService.IssueCurtailment", kOperator},
      {"tsodso.v1.OperatorService.GetCurtailmentStatus", kOperator},
      {"tsodso.v1.FlexibilityService.GetFlexibility", kEveryone},
      {"tsodso.v1.ForecastService.GetForecast", kEveryone},
      {"tsodso.v1.BidValidationService.ValidateMeritOrder", kTso},
      {"tsodso.v1.BidValidationService.GetTrafficLights", kEveryone},
      {"tsodso.v1.ScheduleService.SubmitSchedule", kAggregator},
      // A schedule is private to the aggregator that made it, and the DSO.
      {"tsodso.v1.ScheduleService.GetSchedule", kOperator | kAggregator},
      {"tsodso.v1.PrequalificationService.RequestPrequalification", kAggregator},
      {"tsodso.v1.CurtailmentService.AcknowledgeNotice", kAggregator},
      {"tsodso.v1.FeedService.Subscribe", kEveryone},
  };
  return table;
}

const Rpc& FindRpc(std::string_view service_full_name, std::string_view method) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Rpc>, std::less<>> found;
  const std::string full = absl::StrCat(std::string(service_full_name), ".", std::string(method));
  std::lock_guard lock(mu);
  if (auto it = found.find(full); it != found.end()) return *it->second;
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full);
  const AccessRule* rule = nullptr;
  for (const AccessRule& r : AccessTable()) {
    if (full == r.method) rule = &r;
  }
  if (descriptor == nullptr || rule == nullptr) {
    spdlog::critical("RPC {} is {}", full, descriptor == nullptr ? "not in proto/" : "not in the access table");
    std::abort();
  }
  auto rpc = std::make_unique<Rpc>(Rpc{
      std::string(method), absl::StrCat("/", std::string(service_full_name), "/", std::string(method)), rule->roles});
  return *found.emplace(full, std::move(rpc)).first->second;
}

absl::Status CheckAccess(const Rpc& rpc, const core::Party& party) {
  if ((rpc.roles & RoleBit(party.role)) != 0) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(rpc.name, " is reserved to ", RolesText(rpc.roles), "; party '",
                                                  party.id, "' has role ", core::RoleName(party.role)));
}

}  // namespace tsodso::api
