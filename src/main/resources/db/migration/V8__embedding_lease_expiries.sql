-- A call lost to a crash is not the row's fault: a claim whose lease ran out is taken over without
-- charging another attempt, and counted here instead. A text that keeps killing its worker still
-- stops: after embedding.max-retries lost leases it is a dead letter.
ALTER TABLE qa_embedding ADD COLUMN lease_expiries INTEGER NOT NULL DEFAULT 0;
