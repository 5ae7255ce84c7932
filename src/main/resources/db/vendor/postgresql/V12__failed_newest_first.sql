-- The dashboard lists failures newest first, a page at a time: read from an index in that order
-- instead of sorting every failed row.
CREATE INDEX qa_embedding_failed_recent_idx ON qa_embedding (updated_at, qa_pair_id) WHERE status = 'FAILED';
