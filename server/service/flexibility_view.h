// A PCC's flexibility as a party may see it: the TSO and the DSO get the
// class breakdown, the area's vertices and the grid-limited area; an
// aggregator gets the PCC aggregate only (the rest describes other parties'
// portfolios and the DSO's network).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/flexibility/engine.h"
#include "core/pcc/pcc_network.h"
#include "service/context.h"
#include "store/db_pool.h"

namespace tsodso::service {

struct FlexQuery {
  std::string pcc_id;
  std::string scenario;  // empty: the current one
  absl::Time from;
  absl::Time to;
  bool include_vertices = false;
  bool include_grid_limited = false;
};

struct FlexViewInterval {
  core::FlexInterval flex;
  std::vector<core::ClassFlex> by_class;              // when the breakdown is shown
  std::optional<core::GridLimitedFlex> grid_limited;  // when asked for
};

struct FlexView {
  std::string scenario;
  absl::Duration interval;
  bool breakdown = false;
  std::string breakdown_note;
  std::vector<FlexViewInterval> intervals;
};

// Compute the view; takes CPU time (seconds with the grid-limited area) and
// reads the schedules through `pool`, so call it from a thread that may
// block. Gives up with UNAVAILABLE when the gateway is stopping.
absl::StatusOr<FlexView> FlexibilityView(const Context& ctx, store::DbPool& pool, const Caller& caller,
                                         const FlexQuery& query);

}  // namespace tsodso::service
