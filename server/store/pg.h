// A thin owner of one libpq connection: parameterised statements, explicit
// transactions, and PostgreSQL errors mapped to absl::Status once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace tsodso::store {

class AnswerBatch;
class EventBatch;

// One statement parameter: text, bytes (sent in binary, for bytea) or NULL.
struct Param {
  std::optional<std::string> value;
  bool binary = false;

  Param(std::nullopt_t) {}                              // NOLINT: SQL NULL
  Param(std::string v) : value(std::move(v)) {}         // NOLINT
  Param(const char* v) : value(std::string(v)) {}       // NOLINT
  Param(std::string_view v) : value(std::string(v)) {}  // NOLINT
  Param(int64_t v) : value(std::to_string(v)) {}        // NOLINT
  Param(int v) : value(std::to_string(v)) {}            // NOLINT
  static Param Bytes(std::string v) {
    Param p(std::move(v));
    p.binary = true;
    return p;
  }
};

// Return a PostgreSQL array literal of the items, each quoted (so any text
// is safe) — for one-statement inserts of many rows with unnest. NULL
// items are written as the unquoted word NULL when `null_word` is set.
std::string ArrayLiteral(const std::vector<std::string>& items, bool null_word = false);

class PgResult {
 public:
  explicit PgResult(PGresult* res);
  int rows() const;
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  int64_t Int64(int row, int col) const;
  // A float8 column in text form, exactly (subnormal values included).
  double Double(int row, int col) const;
  // The command tag, e.g. "COMMIT" or "ROLLBACK".
  std::string CommandStatus() const;
  // Decode a bytea column returned in text (hex) form.
  std::string Bytes(int row, int col) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> res_;
};

// Settings every session of a connection gets, again after a reconnection.
struct SessionOptions {
  // PostgreSQL cancels a statement that runs longer (statement_timeout):
  // the statement fails with DEADLINE_EXCEEDED and its transaction rolls
  // back, so a runaway query or a lock held without end cannot keep a
  // worker forever. 0: no limit.
  int statement_timeout_ms = 0;
};

// One statement of a pipeline: SQL with $1, $2, ... and its parameters.
struct Statement {
  std::string_view sql;
  std::vector<Param> params;
};

class PgConnection {
 public:
  // Connect; on failure the error names the host from the DSN and the cause.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Open(const std::string& dsn, const SessionOptions& session = {});
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Run one parameterised statement ($1, $2, ...). A statement with
  // parameters is prepared on its first use on this connection and
  // executed as prepared from then on: PostgreSQL parses and plans it once
  // per connection, not once per call.
  absl::StatusOr<PgResult> Exec(std::string_view sql, const std::vector<Param>& params = {});
  // Run a script of several statements without parameters (migrations).
  absl::Status ExecScript(std::string_view sql);
  // Run the statements in order in one round trip (libpq's pipeline mode):
  // the server runs each as it arrives and the answers come back together.
  // The first that fails is returned and the ones after it are not run;
  // outside a transaction they are one implicit transaction, all or none.
  absl::StatusOr<std::vector<PgResult>> ExecPipeline(const std::vector<Statement>& statements);

  // Send `sql` (one statement without parameters, e.g. a SAVEPOINT) ahead of
  // the next Exec, ExecPipeline or ExecScript, in the same round trip (a
  // script's just before it); its failure is that call's. A statement
  // deferred and never followed is not sent: see `DropDeferred`.
  void Defer(std::string sql) { deferred_.push_back(std::move(sql)); }
  // Whether statements wait to be sent with the next Exec.
  bool deferred() const { return !deferred_.empty(); }
  // Forget the deferred statements, unsent, and the failure of any sent.
  void DropDeferred() {
    deferred_.clear();
    deferred_status_ = absl::OkStatus();
  }
  // The failure of a deferred statement since the last DropDeferred (the
  // Exec it went with failed with the same status).
  const absl::Status& deferred_status() const { return deferred_status_; }

  // Reconnect when the connection was lost; cheap when it is healthy.
  absl::Status EnsureConnected();
  bool healthy() const;
  const std::string& host() const { return host_; }

  // LISTEN support: the socket to wait on, and the payloads of the
  // notifications received so far (consumes them).
  int socket() const;
  absl::StatusOr<std::vector<std::string>> DrainNotifications();

  // The batches of the group transaction running on this connection (null
  // outside a group): AppendEvents numbers events into the first, and
  // RememberResponse adds answers to the second, each written with its
  // batch before the group's COMMIT. A group whose events are numbered
  // (EventBatch::numbered) holds the event counter's lock from its BEGIN to
  // its COMMIT, so no other group runs beside it, on this replica or
  // another; an unnumbered group takes the counter only at its end.
  EventBatch* event_batch() const { return event_batch_; }
  AnswerBatch* answer_batch() const { return answer_batch_; }
  void set_group_batches(EventBatch* events, AnswerBatch* answers) {
    event_batch_ = events;
    answer_batch_ = answers;
  }

 private:
  PgConnection(PGconn* conn, std::string dsn, std::string host, SessionOptions session);
  absl::Status ErrorFrom(PGresult* res, std::string_view sql);
  // Apply session_ to the current session.
  absl::Status ApplySession();

  // Return the name of the statement prepared for `sql`, preparing it now
  // when it is new.
  absl::StatusOr<std::string> Prepared(const std::string& sql, int params);
  // ExecPipeline; `failed_at` is the index of the statement that failed.
  absl::StatusOr<std::vector<PgResult>> Pipeline(const std::vector<Statement>& statements, size_t* failed_at);

  PGconn* conn_;
  std::string dsn_;
  std::string host_;
  SessionOptions session_;
  // SQL text -> name of its prepared statement on this session; emptied
  // when the session is replaced by a reconnection.
  std::unordered_map<std::string, std::string> prepared_;
  std::vector<std::string> deferred_;
  absl::Status deferred_status_;
  EventBatch* event_batch_ = nullptr;
  AnswerBatch* answer_batch_ = nullptr;
};

// Name the host (or socket directory) a DSN points at, for error messages.
std::string DsnHost(const std::string& dsn);

// What a server answers to a connection attempt made without logging in.
enum class PingResult {
  kAccepting,   // it accepts connections
  kRejecting,   // it runs but refuses them: starting up or shutting down
  kNoResponse,  // nothing answered (or not within timeout_s)
  kBadDsn,      // the DSN could not be parsed
};
// Ask the server at `dsn` whether it accepts connections (PQping).
PingResult Ping(const std::string& dsn, int timeout_s = 2);

// COMMIT the open transaction. A COMMIT that fails because the connection
// died reports UNAVAILABLE (the outcome is unknown); one that PostgreSQL
// answers with ROLLBACK (the transaction had failed, or a deferred check
// failed at COMMIT) reports ABORTED.
absl::Status Commit(PgConnection& conn);

// Run `body` inside BEGIN ... COMMIT; roll back when it fails. A COMMIT that
// fails because the connection died reports UNAVAILABLE: the outcome is
// unknown and the caller must retry with its idempotency key.
template <typename Body>
absl::Status InTransaction(PgConnection& conn, Body&& body) {
  if (auto st = conn.EnsureConnected(); !st.ok()) return st;
  if (auto r = conn.Exec("BEGIN"); !r.ok()) return r.status();
  absl::Status st;
  try {
    st = body();
  } catch (...) {
    // Never hand a connection back inside a transaction: the next user's
    // COMMIT would commit this work.
    (void)conn.Exec("ROLLBACK");
    throw;
  }
  if (!st.ok()) {
    (void)conn.Exec("ROLLBACK");
    return st;
  }
  return Commit(conn);
}

}  // namespace tsodso::store
