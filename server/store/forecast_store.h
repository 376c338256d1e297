// Forecasts in PostgreSQL: every issue kept with its inputs, read back as
// the latest issue at or before a time.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/pg.h"

namespace tsodso::store {

struct StoredForecast {
  std::string forecast_id;
  std::string pcc_id;
  int kind = 0;  // tsodso.v1.ForecastKind
  absl::Time issued_at;
  absl::Time first_start;
  absl::Time end;
  std::string body;  // the encoded tsodso.v1.Forecast
};

// Insert an issue inside an open transaction.
absl::Status InsertForecast(PgConnection& conn, const StoredForecast& forecast);

// Return the latest issue of the PCC and kind at or before `as_of`;
// nullopt when there is none.
absl::StatusOr<std::optional<StoredForecast>> LatestForecast(PgConnection& conn, const std::string& pcc_id, int kind,
                                                             absl::Time as_of);

}  // namespace tsodso::store
