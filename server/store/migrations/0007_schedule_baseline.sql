-- The aggregated baseline reads a PCC's schedules by their span.
CREATE INDEX schedules_pcc_span ON schedules (pcc_id, end_time);
