-- PostgreSQL only. Index each status's rows where they are looked for, and no other: a row that
-- becomes COMPLETED (nearly all of them) then leaves every status index instead of getting a new
-- entry in each, which halves the cost of writing a vector and keeps the indexes as small as the
-- work waiting. Queries name the status as a literal so that the planner can match the predicates.
DROP INDEX qa_embedding_pending_idx;
DROP INDEX qa_embedding_lease_idx;
DROP INDEX qa_embedding_staleness_idx;
DROP INDEX qa_embedding_failed_idx;
CREATE INDEX qa_embedding_pending_idx ON qa_embedding (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX qa_embedding_lease_idx ON qa_embedding (lease_until) WHERE status = 'PROCESSING';
CREATE INDEX qa_embedding_staleness_idx ON qa_embedding (status, pending_since) WHERE status IN ('PENDING', 'PROCESSING');
CREATE INDEX qa_embedding_failed_idx ON qa_embedding (error_kind, attempts, next_attempt_at) WHERE status = 'FAILED';

-- Vectors are float32 noise to a compressor: store them out of line without trying.
ALTER TABLE qa_embedding ALTER COLUMN vector SET STORAGE EXTERNAL;
