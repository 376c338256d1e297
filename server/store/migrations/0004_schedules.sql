-- Aggregators' schedules: every revision kept, none overwritten.
CREATE TABLE schedule_heads (
  portfolio_id text PRIMARY KEY,
  latest_revision bigint NOT NULL DEFAULT 0
);

CREATE TABLE schedules (
  portfolio_id text NOT NULL REFERENCES schedule_heads (portfolio_id),
  revision bigint NOT NULL CHECK (revision >= 1),
  pcc_id text NOT NULL,
  party_id text NOT NULL,
  resolution_minutes integer NOT NULL,
  first_start timestamptz NOT NULL,
  end_time timestamptz NOT NULL CHECK (end_time > first_start),
  received_at timestamptz NOT NULL,
  receipt bytea NOT NULL,
  PRIMARY KEY (portfolio_id, revision)
);
CREATE INDEX schedules_received ON schedules (portfolio_id, received_at);

CREATE TABLE schedule_intervals (
  portfolio_id text NOT NULL,
  revision bigint NOT NULL,
  start_time timestamptz NOT NULL,
  p_mw double precision NOT NULL,
  q_mvar double precision,
  PRIMARY KEY (portfolio_id, revision, start_time),
  FOREIGN KEY (portfolio_id, revision) REFERENCES schedules (portfolio_id, revision)
);

-- Intervals where a portfolio's latest schedule would take the network
-- beyond a limit, per ISP: what makes the traffic light yellow for
-- schedules. A new revision replaces its portfolio's rows.
CREATE TABLE schedule_breaches (
  pcc_id text NOT NULL,
  isp_start timestamptz NOT NULL,
  portfolio_id text NOT NULL,
  reason integer NOT NULL,
  PRIMARY KEY (pcc_id, isp_start, portfolio_id)
);
