// Shorthands shared by the end-to-end tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lib/client.h"
#include "store/pg.h"
#include "support/feed_collector.h"
#include "support/gateway_process.h"
#include "support/pg_cluster.h"

namespace tsodso::testing {

// Wait until `ready` holds, polling; false on timeout.
template <typename Ready>
bool WaitUntil(Ready ready, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ready();
}

// The integer in the first row and column of `sql` (a count) on `db`; -1,
// with a failed expectation, when it cannot be read.
inline int64_t QueryCount(store::PgConnection& db, std::string_view sql, const std::vector<store::Param>& params = {}) {
  auto r = db.Exec(sql, params);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
  return r.ok() ? r->Int64(0, 0) : -1;
}

// The same on a connection of its own to `dsn`.
inline int64_t QueryCount(const std::string& dsn, std::string_view sql, const std::vector<store::Param>& params = {}) {
  auto conn = store::PgConnection::Open(dsn);
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? QueryCount(**conn, sql, params) : -1;
}

inline v1::PublishNoticeRequest NoticeRequest(const std::string& text, std::vector<std::string> pccs = {},
                                              std::string key = "") {
  static std::atomic<int> counter{0};
  v1::PublishNoticeRequest req;
  req.set_idempotency_key(key.empty() ? "e2e-" + std::to_string(getpid()) + "-" + std::to_string(++counter) : key);
  req.set_severity(v1::SEVERITY_WARNING);
  req.set_text(text);
  for (auto& p : pccs) req.add_pcc_ids(p);
  return req;
}

// Publish as the operator and return the seqs of the events written.
inline std::vector<int64_t> Publish(client::Client& op, const std::string& text, std::vector<std::string> pccs = {}) {
  auto r = op.PublishNotice(NoticeRequest(text, std::move(pccs)));
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  return {r->event_seqs().begin(), r->event_seqs().end()};
}

// A gateway on a fresh database of the shared test cluster.
inline std::unique_ptr<GatewayProcess> StartGateway(GatewayOptions options = {}) {
  if (options.dsn.empty()) options.dsn = PgCluster::Get().NewDatabase();
  auto gw = std::make_unique<GatewayProcess>(options);
  auto st = gw->Start();
  EXPECT_TRUE(st.ok()) << st;
  return st.ok() ? std::move(gw) : nullptr;
}

inline v1::SubscribeRequest All(int64_t resume_after = 0) {
  v1::SubscribeRequest req;
  req.set_resume_after_seq(resume_after);
  return req;
}

}  // namespace tsodso::testing
