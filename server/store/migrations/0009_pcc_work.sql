-- Each PCC's flexibility publication, shared among the replicas. A replica
-- claims a due PCC with a lease (FOR UPDATE SKIP LOCKED, so replicas never
-- wait for each other), computes it, and in the transaction that appends
-- its event moves `cycle` on: the move succeeds only for the cycle that
-- was claimed, so a cycle is published once even when a lease ran out
-- and two replicas computed it. Times come from the database's clock, so
-- the replicas' clocks need not agree.
CREATE TABLE pcc_work (
  pcc_id text PRIMARY KEY,
  -- Publications made so far; the next one is cycle + 1.
  cycle bigint NOT NULL DEFAULT 0,
  due_at timestamptz NOT NULL,
  -- The replica computing it, until its lease ends (NULL: nobody).
  leased_by text,
  lease_until timestamptz,
  -- The cycle whose DERs' own figures went out ahead of the grid-limited
  -- ones (a PCC never published, or not for a whole interval).
  preliminary_cycle bigint,
  -- Who published the last cycle and when: a replica takes its own PCCs
  -- first, so work stays where it was while every replica keeps up.
  published_by text,
  published_at timestamptz
);
CREATE INDEX pcc_work_due ON pcc_work (due_at);
