-- One row per RPC, chained by SHA-256: hash = H(prev_hash, id, at_us, party,
-- method, outcome, digests). The head row names the last link, so that a
-- truncated tail is detectable too. Appends take the head row's lock, which
-- keeps ids gap-free and the chain linear.
CREATE TABLE audit_log (
  id bigint PRIMARY KEY,
  at_us bigint NOT NULL,
  party_id text NOT NULL,
  method text NOT NULL,
  outcome text NOT NULL,
  request_digest text NOT NULL,
  response_digest text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id bigint NOT NULL,
  last_hash text NOT NULL
);
INSERT INTO audit_head (singleton, last_id, last_hash)
  VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');
