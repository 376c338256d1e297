// What the gRPC services share: the use cases' context plus the transport's
// own parts (who is calling, the pools calls run on, the feed).
#pragma once

#include <memory>

#include "api/certificate_check.h"
#include "api/identity.h"
#include "feed/hub.h"
#include "runtime/worker_pool.h"
#include "service/context.h"
#include "store/db_pool.h"
#include "store/group_commit.h"

namespace tsodso::api {

struct FeedOptions {
  size_t queue_capacity = 1024;
  int replay_page = 500;
  // Streams one party may hold open at once; the next is refused with
  // RESOURCE_EXHAUSTED.
  size_t max_streams_per_party = 16;
  // The most recent events the hub keeps in memory, so that subscribers
  // resuming within them read nothing from the log.
  feed::RecentLimits recent;
  // Hand each group's events to the hub as soon as the group commits,
  // rather than after the notification and a read of the log.
  bool hand_over = true;
};

struct ServiceContext : service::Context {
  // Who is calling, from the verified client certificate.
  std::shared_ptr<PartyResolver> identities;
  // Whether a client certificate is still valid (expiry, CRLs in force).
  std::shared_ptr<const CertificateCheck> certificates;
  // Database work, one connection per worker.
  store::DbPool* pool = nullptr;
  // Unary calls' transactions, shared by the calls that arrive together
  // (on `pool`'s workers).
  store::GroupCommit* groups = nullptr;
  // Answers that take CPU time but no database (RunComputed).
  runtime::ComputePool* compute = nullptr;
  feed::FeedHub* hub = nullptr;
  FeedOptions feed;
};

}  // namespace tsodso::api
