// The DSO-private flexibility inputs: DER classes, and per PCC the
// scenarios (inventory of DER groups, their profiles, the PCC load).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/capability/der_class.h"
#include "core/flexibility/engine.h"

namespace tsodso::app {

// Read config/der-classes.yaml: defaults per kind, overridden per class.
absl::StatusOr<std::map<std::string, core::DerClass>> LoadDerClasses(const std::string& path);

// Year profiles read from CSV, by path: scenarios that name the same file
// (a DSO's PCCs share their class profiles) hold one copy.
using ProfileCache = std::map<std::string, std::shared_ptr<core::YearProfile>>;

// Read a scenario file (inventory, profiles, load) for `pcc_id`; with
// `profiles`, CSV profiles come from and go into it.
absl::StatusOr<core::FlexScenario> LoadScenario(const std::string& path, const std::string& pcc_id,
                                                const std::string& name,
                                                const std::map<std::string, core::DerClass>& classes,
                                                ProfileCache* profiles = nullptr);

}  // namespace tsodso::app
