-- Prequalification: every decision kept, and per asset the standing
-- qualification (the latest one granted).
CREATE TABLE prequalification_decisions (
  decision_id bigserial PRIMARY KEY,
  resource_id text NOT NULL,
  aggregator text NOT NULL,
  qualified boolean NOT NULL,
  reason integer NOT NULL,
  valid_until timestamptz,
  p_min_mw double precision,
  p_max_mw double precision,
  decided_at timestamptz NOT NULL
);
CREATE INDEX prequalification_decisions_resource ON prequalification_decisions (resource_id, decided_at);

CREATE TABLE qualifications (
  resource_id text PRIMARY KEY,
  aggregator text NOT NULL,
  valid_until timestamptz NOT NULL,
  p_min_mw double precision NOT NULL,
  p_max_mw double precision NOT NULL,
  decided_at timestamptz NOT NULL
);
