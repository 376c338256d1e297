// Prequalification: before an aggregator's asset may bid, the DSO checks it
// against its private DER registry (connected where claimed, technical
// data within the connection agreement, in no other portfolio).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/registry/party_registry.h"

namespace tsodso::core {

// Asset types as the registry and the requests name them.
bool IsAssetType(const std::string& type);

// What an asset is rated for: apparent power and the P and Q it can take,
// MW / Mvar, generator convention (injection positive; a load has
// p_min_mw < 0). The registry holds it as the connection agreement, a
// claim as the aggregator's data.
struct AssetRatings {
  double sn_mva = 0;
  double p_min_mw = 0, p_max_mw = 0;
  double q_min_mvar = 0, q_max_mvar = 0;
};

// Check ratings: finite, sn_mva > 0, each minimum at most its maximum.
// Errors (INVALID_ARGUMENT) read "<where>.<field>: ...".
absl::Status CheckRatings(const AssetRatings& ratings, const std::string& where);

// An asset in the DSO's registry with its connection agreement (DSO-private:
// the bus never leaves the gateway).
struct RegisteredAsset {
  std::string id;  // the public connection point id
  std::string pcc_id;
  std::string bus;
  std::string type;
  AssetRatings agreement;
};

// What an aggregator claims about an asset.
struct AssetClaim {
  std::string id;
  std::string type;
  std::string pcc_id;
  AssetRatings ratings;
};

// The asset's standing qualification, when it has one.
struct Qualification {
  std::string aggregator;
  absl::Time valid_until;
  double p_min_mw = 0, p_max_mw = 0;
};

enum class QualificationReason {
  kNone,
  kUnknownAsset,        // not in the DSO's registry
  kNotAtPcc,            // connected below another PCC
  kTypeMismatch,        // the registry knows it as another type
  kOutsideAgreement,    // Sn, P or Q range beyond the connection agreement
  kInAnotherPortfolio,  // qualified for another aggregator and not expired
};
const char* QualificationReasonName(QualificationReason reason);

struct AssetDecision {
  std::string id;
  bool qualified = false;
  QualificationReason reason = QualificationReason::kNone;
  absl::Time valid_until;             // when qualified
  double p_min_mw = 0, p_max_mw = 0;  // the qualified range
};

// Most assets one request may name (each is locked while it is decided).
inline constexpr size_t kMaxClaims = 1000;

// Check a request before any decision: 1 to kMaxClaims assets, unique ids, a
// known type, finite data, sn > 0, min <= max, a PCC the aggregator may
// see. Errors (INVALID_ARGUMENT) name the asset and the field.
absl::Status CheckClaims(const std::vector<AssetClaim>& claims, const Party& aggregator, const PartyRegistry& registry);

// Decide one claim by `aggregator` at `now`; a qualification runs for
// `validity`. Technical data may exceed the agreement by `tolerance`
// (share) to allow for rounding in the aggregator's data. An asset below a
// PCC the aggregator may not see is unknown to it, and an asset another
// aggregator holds is refused before its data are compared, so that
// nothing about either can be learnt by asking.
AssetDecision Decide(const AssetClaim& claim, const RegisteredAsset* registered,
                     const std::optional<Qualification>& standing, const Party& aggregator, absl::Time now,
                     absl::Duration validity, double tolerance = 0.01);

}  // namespace tsodso::core
