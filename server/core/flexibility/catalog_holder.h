// The flexibility scenarios in force, swapped whole when their inputs
// change: readers keep the catalog they took for as long as they use it.
#pragma once

#include "core/common/swappable.h"
#include "core/flexibility/engine.h"

namespace tsodso::core {

using FlexCatalogHolder = Swappable<FlexCatalog>;

}  // namespace tsodso::core
