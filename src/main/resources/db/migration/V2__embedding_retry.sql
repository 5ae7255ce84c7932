-- Retry of failed embeddings: what kind of failure it was (only TRANSIENT ones are retried by the
-- scheduler), and an index for the health figures (counts by status, oldest pending).
ALTER TABLE qa_embedding ADD COLUMN error_kind VARCHAR(16);
ALTER TABLE qa_embedding ADD CONSTRAINT qa_embedding_error_kind_chk CHECK (error_kind IN ('TRANSIENT', 'PERMANENT'));
CREATE INDEX qa_embedding_staleness_idx ON qa_embedding (status, pending_since);
