#include "store/forecast_store.h"

namespace tsodso::store {
namespace {

constexpr char kInsert[] =
    "INSERT INTO forecasts (forecast_id, pcc_id, kind, issued_at, first_start, end_time, body) VALUES ($1, $2, $3, "
    "to_timestamp($4::bigint / 1000000.0), to_timestamp($5::bigint), to_timestamp($6::bigint), $7)";
constexpr char kLatest[] =
    "SELECT forecast_id, (extract(epoch FROM issued_at) * 1000000)::bigint, extract(epoch FROM first_start)::bigint, "
    "extract(epoch FROM end_time)::bigint, body FROM forecasts WHERE pcc_id = $1 AND kind = $2 "
    "AND issued_at <= to_timestamp($3::bigint / 1000000.0) ORDER BY issued_at DESC LIMIT 1";

}  // namespace

absl::Status InsertForecast(PgConnection& conn, const StoredForecast& f) {
  return conn
      .Exec(kInsert, {f.forecast_id, f.pcc_id, f.kind, absl::ToUnixMicros(f.issued_at),
                      absl::ToUnixSeconds(f.first_start), absl::ToUnixSeconds(f.end), Param::Bytes(f.body)})
      .status();
}

absl::StatusOr<std::optional<StoredForecast>> LatestForecast(PgConnection& conn, const std::string& pcc_id, int kind,
                                                             absl::Time as_of) {
  auto r = conn.Exec(kLatest, {pcc_id, kind, absl::ToUnixMicros(as_of)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<StoredForecast>();
  StoredForecast f;
  f.forecast_id = r->Text(0, 0);
  f.pcc_id = pcc_id;
  f.kind = kind;
  f.issued_at = absl::FromUnixMicros(r->Int64(0, 1));
  f.first_start = absl::FromUnixSeconds(r->Int64(0, 2));
  f.end = absl::FromUnixSeconds(r->Int64(0, 3));
  f.body = r->Bytes(0, 4);
  return std::optional(std::move(f));
}

}  // namespace tsodso::store
