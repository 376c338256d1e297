-- The event log. Sequence numbers come from a single counter row that each
-- publishing transaction updates just before it commits: the row lock makes
-- publishers take numbers in commit order, so a reader that has seen seq N
-- can never later find a smaller seq committed after it, and a rolled-back
-- transaction gives its numbers back (the log has no gaps).
CREATE TABLE event_seq (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_seq bigint NOT NULL
);
INSERT INTO event_seq (singleton, last_seq) VALUES (true, 0);

CREATE TABLE events (
  seq bigint PRIMARY KEY,
  published_at timestamptz NOT NULL,
  topic integer NOT NULL,
  pcc_id text NOT NULL DEFAULT '',
  recipient_party_id text NOT NULL DEFAULT '',
  audience integer NOT NULL,
  payload bytea NOT NULL
);

-- Operator notices, the first event source.
CREATE TABLE notices (
  notice_id uuid PRIMARY KEY,
  severity integer NOT NULL,
  text text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL CHECK (valid_to > valid_from),
  pcc_ids text[] NOT NULL,
  published_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Answers to state-changing requests, so that a retry with the same key is
-- answered from here instead of being applied twice.
CREATE TABLE idempotency_keys (
  party_id text NOT NULL,
  method text NOT NULL,
  idempotency_key text NOT NULL,
  request_digest text NOT NULL,
  response bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (party_id, method, idempotency_key)
);
