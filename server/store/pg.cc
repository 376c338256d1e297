#include "store/pg.h"

#include <cstddef>
#include <cstring>
#include <utility>

#include "runtime/metrics.h"

#include <cstdlib>

#include <libpq-fe.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace tsodso::store {
namespace {

// Map an SQLSTATE to the status code callers act on.
absl::StatusCode CodeForSqlState(std::string_view state) {
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  if (state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" || state == "57P03") {
    return absl::StatusCode::kUnavailable;
  }
  // query_canceled: the statement ran past statement_timeout (or was
  // cancelled by an administrator). Its transaction rolled back: nothing
  // was applied, and the caller may ask again later.
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;
  // Other data and constraint errors mean the gateway sent something it
  // should not have: an internal error, not the caller's.
  return absl::StatusCode::kInternal;
}

// Session-level (not local to a transaction): it holds until the session
// ends. The value is in milliseconds.
constexpr char kSetStatementTimeout[] = "SELECT set_config('statement_timeout', $1, false)";

std::string Trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string DsnHost(const std::string& dsn) {
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), nullptr);
  std::string host;
  if (opts != nullptr) {
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val != nullptr && std::string_view(o->keyword) == "host") host = o->val;
    }
    PQconninfoFree(opts);
  }
  return host.empty() ? "localhost (default)" : host;
}

PingResult Ping(const std::string& dsn, int timeout_s) {
  const std::string timeout = std::to_string(timeout_s);
  static const char* const kKeys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), dsn.c_str(), nullptr};
  switch (PQpingParams(kKeys, values, /*expand_dbname=*/1)) {
    case PQPING_OK:
      return PingResult::kAccepting;
    case PQPING_REJECT:
      return PingResult::kRejecting;
    case PQPING_NO_RESPONSE:
      return PingResult::kNoResponse;
    case PQPING_NO_ATTEMPT:
      break;
  }
  return PingResult::kBadDsn;
}

PgResult::PgResult(PGresult* res) : res_(res, PQclear) {}
int PgResult::rows() const { return PQntuples(res_.get()); }
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(res_.get(), row, col), PQgetlength(res_.get(), row, col));
}
std::string ArrayLiteral(const std::vector<std::string>& items, bool null_word) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    if (null_word && items[i] == "NULL") {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

int64_t PgResult::Int64(int row, int col) const { return std::stoll(PQgetvalue(res_.get(), row, col)); }
// strtod, not stod: a subnormal value PostgreSQL stores and returns must read
// back as itself, not throw.
double PgResult::Double(int row, int col) const { return std::strtod(PQgetvalue(res_.get(), row, col), nullptr); }
std::string PgResult::CommandStatus() const { return PQcmdStatus(res_.get()); }
std::string PgResult::Bytes(int row, int col) const {
  size_t len = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col)), &len);
  std::string out(reinterpret_cast<const char*>(raw), len);
  PQfreemem(raw);
  return out;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& dsn,
                                                                 const SessionOptions& session) {
  std::string host = DsnHost(dsn);
  // Defaults that keep a lost database host from hanging a worker for the
  // kernel's TCP timeouts; anything in the DSN itself overrides them.
  static const char* const kKeys[] = {"connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
                                      "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
  const char* values[] = {"5", "1", "10", "5", "3", "15000", dsn.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(kKeys, values, /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string cause = conn ? Trimmed(PQerrorMessage(conn)) : "out of memory";
    if (conn) PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("database at host ", host, " unreachable: ", cause));
  }
  // Silence NOTICE chatter (e.g. "relation already exists, skipping").
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<PgConnection> out(new PgConnection(conn, dsn, std::move(host), session));
  TSODSO_RETURN_IF_ERROR(out->ApplySession());
  return out;
}

PgConnection::PgConnection(PGconn* conn, std::string dsn, std::string host, SessionOptions session)
    : conn_(conn), dsn_(std::move(dsn)), host_(std::move(host)), session_(session) {}

absl::Status PgConnection::ApplySession() {
  if (session_.statement_timeout_ms <= 0) return absl::OkStatus();
  // Set here rather than through libpq's `options`, which a DSN carrying
  // its own `options` would silently replace.
  auto set = Exec(kSetStatementTimeout, {std::to_string(session_.statement_timeout_ms)});
  return set.ok() ? absl::OkStatus() : set.status();
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

absl::Status PgConnection::EnsureConnected() {
  if (healthy()) return absl::OkStatus();
  runtime::Metrics::Get().db_reconnects.Add({}).Increment();
  PQreset(conn_);
  prepared_.clear();  // a new session knows none of them
  if (!healthy()) {
    return absl::UnavailableError(
        absl::StrCat("database at host ", host_, " unreachable: ", Trimmed(PQerrorMessage(conn_))));
  }
  return ApplySession();
}

absl::Status PgConnection::ErrorFrom(PGresult* res, std::string_view sql) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = Trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
  absl::StatusCode code = state ? CodeForSqlState(state) : absl::StatusCode::kUnavailable;
  if (!healthy()) code = absl::StatusCode::kUnavailable;
  // By SQLSTATE class (08 connection, 23 constraint, 40 rollback, 57
  // operator intervention, ...); "none" when the server sent none (the
  // connection is gone).
  runtime::Metrics& metrics = runtime::Metrics::Get();
  const std::string sqlstate_class = state != nullptr && std::strlen(state) >= 2 ? std::string(state, 2) : "none";
  metrics.db_errors.Add({{"sqlstate_class", sqlstate_class}}).Increment();
  if (state != nullptr && std::string_view(state) == "57014") metrics.db_statement_timeouts.Add({}).Increment();
  std::string first_line(sql.substr(0, sql.find('\n')));
  return absl::Status(code, absl::StrCat("database at host ", host_, ": ", message, state ? " [SQLSTATE " : "",
                                         state ? state : "", state ? "]" : "", " in: ", first_line.substr(0, 80)));
}

absl::StatusOr<PgResult> PgConnection::Exec(std::string_view sql, const std::vector<Param>& params) {
  if (!deferred_.empty()) {
    absl::StatusOr<std::vector<PgResult>> results = ExecPipeline({{sql, params}});
    if (!results.ok()) return results.status();
    return std::move(results->back());
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  values.reserve(params.size());
  for (const Param& p : params) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  std::string statement(sql);
  PGresult* res = nullptr;
  if (params.empty()) {
    res = PQexecParams(conn_, statement.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
  } else {
    auto name = Prepared(statement, static_cast<int>(params.size()));
    if (!name.ok()) return name.status();
    res = PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()), values.data(), lengths.data(),
                         formats.data(), 0);
  }
  ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(res);
  absl::Status err = ErrorFrom(res, sql);
  if (res) PQclear(res);
  return err;
}

absl::StatusOr<std::vector<PgResult>> PgConnection::ExecPipeline(const std::vector<Statement>& statements) {
  // Deferred statements go first, in the same round trip; their results
  // are not the caller's.
  // Taken out first (a Statement only views its SQL, which must outlive
  // the call): a failure leaves nothing deferred.
  const std::vector<std::string> sent = std::exchange(deferred_, {});
  std::vector<Statement> all;
  for (const std::string& d : sent) all.push_back({d, {}});
  all.insert(all.end(), statements.begin(), statements.end());
  const size_t deferred = sent.size();
  if (all.empty()) return std::vector<PgResult>();
  size_t failed_at = 0;
  absl::StatusOr<std::vector<PgResult>> results = Pipeline(all, &failed_at);
  if (!results.ok()) {
    if (failed_at < deferred) deferred_status_ = results.status();
    return results.status();
  }
  results->erase(results->begin(), results->begin() + static_cast<std::ptrdiff_t>(deferred));
  return results;
}

absl::StatusOr<std::vector<PgResult>> PgConnection::Pipeline(const std::vector<Statement>& statements,
                                                             size_t* failed_at) {
  *failed_at = 0;
  // Statements with parameters are prepared first, each in a round trip of
  // its own the first time only.
  std::vector<std::string> names(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) {
    if (statements[i].params.empty()) continue;
    TSODSO_ASSIGN_OR_RETURN(names[i],
                            Prepared(std::string(statements[i].sql), static_cast<int>(statements[i].params.size())));
  }
  if (PQenterPipelineMode(conn_) == 0) return ErrorFrom(nullptr, statements.front().sql);
  // Send everything, then read every answer: a pipeline is only left once
  // its results up to the sync point have been read.
  bool sent = true;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const Statement& st = statements[i];
    if (st.params.empty()) {
      const std::string sql(st.sql);
      sent = PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
      continue;
    }
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const Param& p : st.params) {
      values.push_back(p.value ? p.value->data() : nullptr);
      lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
      formats.push_back(p.binary ? 1 : 0);
    }
    sent = PQsendQueryPrepared(conn_, names[i].c_str(), static_cast<int>(st.params.size()), values.data(),
                               lengths.data(), formats.data(), 0) == 1;
  }
  if (!sent || PQpipelineSync(conn_) == 0) {
    absl::Status err = ErrorFrom(nullptr, statements.front().sql);
    // A connection that cannot send is lost; EnsureConnected resets it.
    (void)PQexitPipelineMode(conn_);
    return err;
  }
  std::vector<PgResult> results;
  absl::Status first_error;
  for (size_t i = 0; i < statements.size(); ++i) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {
      if (first_error.ok()) {
        first_error = ErrorFrom(nullptr, statements[i].sql);
        *failed_at = i;
      }
      break;
    }
    const ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      results.emplace_back(res);
    } else {
      // After a failure the server skips the rest up to the sync point
      // (PGRES_PIPELINE_ABORTED); the first failure is the one to report.
      if (first_error.ok() && status != PGRES_PIPELINE_ABORTED) {
        first_error = ErrorFrom(res, statements[i].sql);
        *failed_at = i;
      }
      PQclear(res);
    }
    // Each statement's results end with a null.
    while (PGresult* extra = PQgetResult(conn_)) {
      PQclear(extra);
    }
  }
  // The sync point's own result.
  while (PGresult* res = PQgetResult(conn_)) {
    const bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (sync) break;
  }
  if (PQexitPipelineMode(conn_) == 0) {
    // Out of step with the server (results left unread): a session left in
    // pipeline mode would refuse every later statement, so start a new one.
    if (first_error.ok()) first_error = ErrorFrom(nullptr, statements.front().sql);
    PQreset(conn_);
    prepared_.clear();
    if (healthy()) (void)ApplySession();
  }
  if (!first_error.ok()) return first_error;
  if (results.size() != statements.size()) return ErrorFrom(nullptr, statements.front().sql);
  return results;
}

absl::StatusOr<std::string> PgConnection::Prepared(const std::string& sql, int params) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  // The statements are the store's named constants, so the set stays small.
  const std::string name = absl::StrCat("tsodso_", prepared_.size() + 1);
  PGresult* res = PQprepare(conn_, name.c_str(), sql.c_str(), params, nullptr);
  const ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK) {
    absl::Status err = ErrorFrom(res, sql);
    if (res) PQclear(res);
    return err;
  }
  PQclear(res);
  prepared_.emplace(sql, name);
  return name;
}

absl::Status PgConnection::ExecScript(std::string_view sql) {
  // Statements deferred go first: a script runs in a round trip of its own.
  if (!deferred_.empty()) TSODSO_RETURN_IF_ERROR(ExecPipeline({}).status());
  std::string script(sql);
  PGresult* res = PQexec(conn_, script.c_str());
  ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  absl::Status out = absl::OkStatus();
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) out = ErrorFrom(res, sql);
  if (res) PQclear(res);
  return out;
}

absl::Status Commit(PgConnection& conn) {
  auto r = conn.Exec("COMMIT");
  if (!r.ok()) return r.status();
  // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK.
  if (r->CommandStatus() == "ROLLBACK") return absl::AbortedError("transaction was rolled back at COMMIT");
  return absl::OkStatus();
}

int PgConnection::socket() const { return PQsocket(conn_); }

absl::StatusOr<std::vector<std::string>> PgConnection::DrainNotifications() {
  if (PQconsumeInput(conn_) == 0) {
    return absl::UnavailableError(absl::StrCat("database at host ", host_, ": ", Trimmed(PQerrorMessage(conn_))));
  }
  std::vector<std::string> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.emplace_back(n->extra ? n->extra : "");
    PQfreemem(n);
  }
  return out;
}

}  // namespace tsodso::store
