// The demo party registry of config/gateway.yaml, built in code so that the
// domain tests need no file: a TSO that sees every PCC, two aggregators with
// PCC lists, and the DSO operator. The fuzz targets use it too, so it
// needs no test framework.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "core/registry/party_registry.h"

namespace tsodso::testing {

inline core::PartyRegistry SampleRegistry() {
  std::vector<core::Pcc> pccs = {
      {"PS_SUD", "Milano PS Sud", {220, 23}},
      {"PS_OVEST", "Milano PS Ovest", {220, 23}},
      {"PS_EST", "Milano PS Est", {132, 15}},
  };
  std::vector<core::Party> parties;
  parties.push_back({"tso-terna", core::Role::kTso, "urn:tsodso:party:tso-terna", {}, true});
  parties.push_back({"agg-1", core::Role::kAggregator, "urn:tsodso:party:agg-1", {"PS_SUD"}, false});
  parties.push_back({"agg-2", core::Role::kAggregator, "urn:tsodso:party:agg-2", {"PS_OVEST", "PS_EST"}, false});
  parties.push_back({"dso-operator", core::Role::kDsoOperator, "urn:tsodso:party:dso-operator", {}, false});
  auto reg = core::PartyRegistry::Create(std::move(pccs), std::move(parties), "sample");
  if (!reg.ok()) {
    std::fprintf(stderr, "sample registry: %s\n", reg.status().ToString().c_str());
    std::abort();
  }
  return std::move(*reg);
}

}  // namespace tsodso::testing
