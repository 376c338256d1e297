#include "store/schedule_store.h"

#include "store/prequalification_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace tsodso::store {
namespace {

// Create the head when new and lock it either way, in one round trip: the
// no-op update takes the row lock even on a row committed a moment ago.
constexpr char kLockHead[] =
    "INSERT INTO schedule_heads (portfolio_id) VALUES ($1) ON CONFLICT (portfolio_id) "
    "DO UPDATE SET latest_revision = schedule_heads.latest_revision RETURNING latest_revision, "
    "(SELECT (extract(epoch FROM received_at) * 1000000)::bigint FROM schedules s "
    "WHERE s.portfolio_id = $1 AND s.revision = schedule_heads.latest_revision)";
constexpr char kInsertSchedule[] =
    "INSERT INTO schedules (portfolio_id, revision, pcc_id, party_id, resolution_minutes, first_start, end_time, "
    "received_at, receipt) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), to_timestamp($7::bigint), "
    "to_timestamp($8::bigint / 1000000.0), $9)";
// One round trip for all intervals: the values travel as arrays.
constexpr char kInsertIntervals[] =
    "INSERT INTO schedule_intervals (portfolio_id, revision, start_time, p_mw, q_mvar) "
    "SELECT $1, $2, to_timestamp(s), p, q FROM unnest($3::bigint[], $4::float8[], $5::float8[]) AS u(s, p, q)";
constexpr char kMoveHead[] = "UPDATE schedule_heads SET latest_revision = $2 WHERE portfolio_id = $1";
constexpr char kSelectByRevision[] =
    "SELECT revision, pcc_id, party_id, resolution_minutes, (extract(epoch FROM received_at) * 1000000)::bigint "
    "FROM schedules WHERE portfolio_id = $1 AND revision = $2";
constexpr char kSelectAsOf[] =
    "SELECT revision, pcc_id, party_id, resolution_minutes, (extract(epoch FROM received_at) * 1000000)::bigint "
    "FROM schedules WHERE portfolio_id = $1 AND received_at <= to_timestamp($2::bigint / 1000000.0) "
    "ORDER BY received_at DESC, revision DESC LIMIT 1";
constexpr char kSelectIntervals[] =
    "SELECT extract(epoch FROM start_time)::bigint, p_mw, q_mvar IS NULL, coalesce(q_mvar, 0) "
    "FROM schedule_intervals WHERE portfolio_id = $1 AND revision = $2 ORDER BY start_time";
constexpr char kSelectPccWindow[] =
    "SELECT s.portfolio_id, s.revision, s.resolution_minutes, extract(epoch FROM i.start_time)::bigint, i.p_mw, "
    "i.q_mvar IS NULL, coalesce(i.q_mvar, 0), s.party_id FROM schedules s JOIN schedule_intervals i "
    "ON i.portfolio_id = s.portfolio_id AND i.revision = s.revision "
    "WHERE s.pcc_id = $1 AND s.end_time > to_timestamp($2::bigint) AND s.first_start < to_timestamp($3::bigint) "
    "AND s.revision = (SELECT max(l.revision) FROM schedules l WHERE l.portfolio_id = s.portfolio_id "
    "AND l.received_at <= to_timestamp($4::bigint / 1000000.0)) "
    "AND i.start_time < to_timestamp($3::bigint) "
    "AND i.start_time + make_interval(mins => s.resolution_minutes) > to_timestamp($2::bigint) "
    "ORDER BY s.portfolio_id, s.revision, i.start_time";
constexpr char kBreachSpan[] =
    "SELECT extract(epoch FROM min(isp_start))::bigint, extract(epoch FROM max(isp_start))::bigint "
    "FROM schedule_breaches WHERE pcc_id = $1 AND portfolio_id = $2 AND isp_start >= to_timestamp($3::bigint)";
constexpr char kDeleteBreaches[] =
    "DELETE FROM schedule_breaches WHERE pcc_id = $1 AND portfolio_id = $2 AND isp_start >= to_timestamp($3::bigint)";
constexpr char kInsertBreaches[] =
    "INSERT INTO schedule_breaches (pcc_id, isp_start, portfolio_id, reason) "
    "SELECT $1, to_timestamp(s), $2, r FROM unnest($3::bigint[], $4::int[]) AS u(s, r)";
constexpr char kWorstBreaches[] =
    "SELECT extract(epoch FROM isp_start)::bigint, max(reason) FROM schedule_breaches WHERE pcc_id = $1 "
    "AND isp_start >= to_timestamp($2::bigint) AND isp_start < to_timestamp($3::bigint) GROUP BY isp_start";
constexpr char kLatest[] = "SELECT latest_revision FROM schedule_heads WHERE portfolio_id = $1";

// Read an interval from the columns start (epoch seconds), p_mw,
// q_mvar IS NULL, coalesce(q_mvar, 0) beginning at `column`.
core::ScheduleValue IntervalAt(const PgResult& rows, int row, int column) {
  core::ScheduleValue v;
  v.start = absl::FromUnixSeconds(rows.Int64(row, column));
  v.p_mw = rows.Double(row, column + 1);
  if (rows.Text(row, column + 2) != "t") v.q_mvar = rows.Double(row, column + 3);
  return v;
}

}  // namespace

absl::StatusOr<ScheduleHead> LockScheduleHead(PgConnection& conn, const std::string& portfolio_id) {
  auto r = conn.Exec(kLockHead, {portfolio_id});
  if (!r.ok()) return r.status();
  ScheduleHead head;
  head.revision = r->Int64(0, 0);
  if (!r->IsNull(0, 1)) head.received_at = absl::FromUnixMicros(r->Int64(0, 1));
  return head;
}

absl::Status InsertSchedule(PgConnection& conn, const core::Schedule& s, absl::Time received_at,
                            const std::string& receipt) {
  const int64_t minutes = absl::ToInt64Minutes(s.resolution);
  std::vector<std::string> starts, ps, qs;
  for (const core::ScheduleValue& v : s.intervals) {
    starts.push_back(absl::StrCat(absl::ToUnixSeconds(v.start)));
    ps.push_back(absl::StrFormat("%.17g", v.p_mw));
    qs.push_back(v.q_mvar.has_value() ? absl::StrFormat("%.17g", *v.q_mvar) : "NULL");
  }
  // The schedule, its intervals and the head's move in one round trip.
  return conn
      .ExecPipeline(
          {{kInsertSchedule,
            {s.portfolio_id, s.revision, s.pcc_id, s.submitted_by, minutes,
             absl::ToUnixSeconds(s.intervals.front().start), absl::ToUnixSeconds(s.end()),
             absl::ToUnixMicros(received_at), Param::Bytes(receipt)}},
           {kInsertIntervals,
            {s.portfolio_id, s.revision, ArrayLiteral(starts), ArrayLiteral(ps), ArrayLiteral(qs, /*null_word=*/true)}},
           {kMoveHead, {s.portfolio_id, s.revision}}})
      .status();
}

absl::StatusOr<StoredSchedule> ReadSchedule(PgConnection& conn, const std::string& portfolio_id, int64_t revision,
                                            absl::Time as_of) {
  auto head = revision > 0 ? conn.Exec(kSelectByRevision, {portfolio_id, revision})
                           : conn.Exec(kSelectAsOf, {portfolio_id, absl::ToUnixMicros(as_of)});
  if (!head.ok()) return head.status();
  if (head->rows() == 0) {
    return absl::NotFoundError(revision > 0
                                   ? absl::StrCat("revision: portfolio '", portfolio_id, "' has no revision ", revision)
                                   : absl::StrCat("as_of: portfolio '", portfolio_id, "' had no schedule at ",
                                                  absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", as_of, absl::UTCTimeZone())));
  }
  StoredSchedule out;
  core::Schedule& s = out.schedule;
  s.portfolio_id = portfolio_id;
  s.revision = head->Int64(0, 0);
  s.pcc_id = head->Text(0, 1);
  s.submitted_by = head->Text(0, 2);
  s.resolution = absl::Minutes(head->Int64(0, 3));
  out.received_at = absl::FromUnixMicros(head->Int64(0, 4));
  auto rows = conn.Exec(kSelectIntervals, {portfolio_id, s.revision});
  if (!rows.ok()) return rows.status();
  for (int i = 0; i < rows->rows(); ++i) {
    s.intervals.push_back(IntervalAt(*rows, i, 0));
  }
  auto latest = conn.Exec(kLatest, {portfolio_id});
  if (!latest.ok()) return latest.status();
  out.latest_revision = latest->Int64(0, 0);
  return out;
}

namespace {

// Each portfolio's latest revision received by `as_of`, when it overlaps
// [from, to), with its intervals inside the window, in portfolio order.
absl::StatusOr<std::vector<core::Schedule>> ReadPccSchedules(PgConnection& conn, const std::string& pcc_id,
                                                             absl::Time from, absl::Time to, absl::Time as_of) {
  auto rows = conn.Exec(kSelectPccWindow,
                        {pcc_id, absl::ToUnixSeconds(from), absl::ToUnixSeconds(to), absl::ToUnixMicros(as_of)});
  if (!rows.ok()) return rows.status();
  std::vector<core::Schedule> out;
  for (int i = 0; i < rows->rows(); ++i) {
    const std::string portfolio = rows->Text(i, 0);
    const int64_t revision = rows->Int64(i, 1);
    if (out.empty() || out.back().portfolio_id != portfolio || out.back().revision != revision) {
      core::Schedule& s = out.emplace_back();
      s.portfolio_id = portfolio;
      s.pcc_id = pcc_id;
      s.revision = revision;
      s.resolution = absl::Minutes(rows->Int64(i, 2));
      s.submitted_by = rows->Text(i, 7);
    }
    out.back().intervals.push_back(IntervalAt(*rows, i, 3));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<core::PlacedBaseline>> ReadPlacedSchedules(PgConnection& conn, const std::string& pcc_id,
                                                                      absl::Time from, absl::Time to, absl::Time as_of,
                                                                      const core::GridCatalog& grids,
                                                                      const core::PccNetwork* network) {
  auto schedules = ReadPccSchedules(conn, pcc_id, from, to, as_of);
  if (!schedules.ok()) return schedules.status();
  std::vector<core::PlacedBaseline> out;
  for (size_t first = 0; first < schedules->size();) {
    size_t last = first;
    while (last < schedules->size() && (*schedules)[last].portfolio_id == (*schedules)[first].portfolio_id) ++last;
    const std::vector<core::Schedule> own(schedules->begin() + first, schedules->begin() + last);
    core::PlacedBaseline placed{{}, core::AggregateBaseline(own, from, to)};
    if (network != nullptr) {
      // Where the DSO knows the portfolio to be: its aggregator's
      // qualified assets below this PCC.
      auto qualified = QualifiedAssetsOf(conn, own.front().submitted_by, as_of);
      if (!qualified.ok()) return qualified.status();
      placed.buses = core::BusesOf(grids, *network, *qualified);
    }
    out.push_back(std::move(placed));
    first = last;
  }
  return out;
}

absl::StatusOr<std::optional<std::pair<absl::Time, absl::Time>>> ScheduleBreachSpan(PgConnection& conn,
                                                                                    const std::string& pcc_id,
                                                                                    const std::string& portfolio_id,
                                                                                    absl::Time since) {
  auto r = conn.Exec(kBreachSpan, {pcc_id, portfolio_id, absl::ToUnixSeconds(since)});
  if (!r.ok()) return r.status();
  if (r->IsNull(0, 0)) return std::optional<std::pair<absl::Time, absl::Time>>();
  return std::optional(
      std::pair{absl::FromUnixSeconds(r->Int64(0, 0)), absl::FromUnixSeconds(r->Int64(0, 1)) + core::kIsp});
}

absl::StatusOr<std::map<absl::Time, core::Light>> ReplaceScheduleBreaches(
    PgConnection& conn, const std::string& pcc_id, const std::string& portfolio_id, absl::Time since, absl::Time from,
    absl::Time to, const std::map<absl::Time, core::LightReason>& breaches) {
  const int64_t lo = absl::ToUnixSeconds(from), hi = absl::ToUnixSeconds(to);
  // The portfolio's old breaches out, its new ones in, and the worst of
  // every portfolio's read back, in one round trip.
  std::vector<Statement> statements = {{kDeleteBreaches, {pcc_id, portfolio_id, absl::ToUnixSeconds(since)}}};
  if (!breaches.empty()) {
    std::vector<std::string> starts, reasons;
    for (const auto& [t, reason] : breaches) {
      starts.push_back(absl::StrCat(absl::ToUnixSeconds(t)));
      reasons.push_back(absl::StrCat(static_cast<int>(reason)));
    }
    statements.push_back({kInsertBreaches, {pcc_id, portfolio_id, ArrayLiteral(starts), ArrayLiteral(reasons)}});
  }
  statements.push_back({kWorstBreaches, {pcc_id, lo, hi}});
  auto results = conn.ExecPipeline(statements);
  if (!results.ok()) return results.status();
  const PgResult& worst = results->back();
  std::map<absl::Time, core::Light> out;
  for (absl::Time t = from; t < to; t += core::kIsp) out[t] = {};
  for (int i = 0; i < worst.rows(); ++i) {
    out[absl::FromUnixSeconds(worst.Int64(i, 0))] = {core::LightState::kYellow,
                                                     static_cast<core::LightReason>(worst.Int64(i, 1))};
  }
  return out;
}

}  // namespace tsodso::store
