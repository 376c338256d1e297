-- Inputs that changed while a replica was computing a PCC: the cycle it
-- completes was computed from the inputs before, so the PCC is due again at
-- once rather than at its next slot (the mark would otherwise be lost with
-- the completion's move of due_at).
ALTER TABLE pcc_work ADD COLUMN marked_while_leased boolean NOT NULL DEFAULT false;
