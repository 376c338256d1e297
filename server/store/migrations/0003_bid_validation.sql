-- Merit-order-list validations: the TSO's list as received and the DSO's
-- answer, kept for audit ("what did we answer, to which list").
CREATE TABLE mol_validations (
  party_id text NOT NULL,
  validation_id text NOT NULL,
  isp_start timestamptz NOT NULL,
  direction integer NOT NULL,
  request bytea NOT NULL,
  response bytea NOT NULL,
  validated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (party_id, validation_id)
);
CREATE INDEX mol_validations_isp ON mol_validations (isp_start);

-- Traffic light per PCC and ISP: what the latest MOL validation of each
-- direction called for, whether schedules breach a limit, and whether the
-- operator declared direct intervention. An ISP without a
-- row is green. Rows are locked while a change is decided, so concurrent
-- validations of one ISP publish their changes in order.
CREATE TABLE traffic_lights (
  pcc_id text NOT NULL,
  isp_start timestamptz NOT NULL,
  up_state integer NOT NULL DEFAULT 1,
  up_reason integer NOT NULL DEFAULT 0,
  down_state integer NOT NULL DEFAULT 1,
  down_reason integer NOT NULL DEFAULT 0,
  schedule_state integer NOT NULL DEFAULT 1,
  schedule_reason integer NOT NULL DEFAULT 0,
  intervention boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pcc_id, isp_start)
);

-- Direct interventions declared (or lifted) by the operator.
CREATE TABLE interventions (
  party_id text NOT NULL,
  idempotency_key text NOT NULL,
  pcc_id text NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL CHECK (valid_to > valid_from),
  lifted boolean NOT NULL DEFAULT false,
  declared_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (party_id, idempotency_key)
);
