-- Every forecast as issued: "what was forecast at time T" is the latest
-- issue of its PCC and kind at or before T.
CREATE TABLE forecasts (
  forecast_id text PRIMARY KEY,
  pcc_id text NOT NULL,
  kind integer NOT NULL,
  issued_at timestamptz NOT NULL,
  first_start timestamptz NOT NULL,
  end_time timestamptz NOT NULL CHECK (end_time > first_start),
  -- The published message (tsodso.v1.Forecast): intervals and inputs.
  body bytea NOT NULL
);
CREATE INDEX forecasts_by_issue ON forecasts (pcc_id, kind, issued_at);
