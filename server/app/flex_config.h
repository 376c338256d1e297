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

// Read a scenario file (inventory, profiles, load) for `pcc_id`.
absl::StatusOr<core::FlexScenario> LoadScenario(const std::string& path, const std::string& pcc_id,
                                                const std::string& name,
                                                const std::map<std::string, core::DerClass>& classes);

}  // namespace tsodso::app
