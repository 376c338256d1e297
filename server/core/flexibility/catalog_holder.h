// The flexibility scenarios in force, swapped whole when their inputs
// change: readers keep the catalog they took for as long as they use it.
#pragma once

#include <memory>
#include <mutex>

#include "core/flexibility/engine.h"

namespace tsodso::core {

class FlexCatalogHolder {
 public:
  std::shared_ptr<const FlexCatalog> Get() const {
    std::lock_guard lock(mu_);
    return catalog_;
  }
  void Set(std::shared_ptr<const FlexCatalog> catalog) {
    std::lock_guard lock(mu_);
    catalog_ = std::move(catalog);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const FlexCatalog> catalog_ = std::make_shared<FlexCatalog>();
};

}  // namespace tsodso::core
