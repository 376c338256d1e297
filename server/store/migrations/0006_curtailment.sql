-- Curtailments of the red phase and, per affected aggregator, its notice:
-- the payload it was sent, how often, and when it was acknowledged.
CREATE TABLE curtailments (
  curtailment_id uuid PRIMARY KEY,
  pcc_id text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL CHECK (valid_to > valid_from),
  text text NOT NULL,
  issued_by text NOT NULL,
  issued_at timestamptz NOT NULL
);

CREATE TABLE curtailment_notices (
  curtailment_id uuid NOT NULL REFERENCES curtailments (curtailment_id),
  aggregator text NOT NULL,
  payload bytea NOT NULL,
  deliveries integer NOT NULL DEFAULT 1,
  last_seq bigint NOT NULL DEFAULT 0,
  acknowledged_at timestamptz,
  PRIMARY KEY (curtailment_id, aggregator)
);
CREATE INDEX curtailment_notices_open ON curtailment_notices (aggregator) WHERE acknowledged_at IS NULL;
