-- The dashboard lists failures newest first, a page at a time (H2 has no partial indexes).
CREATE INDEX qa_embedding_failed_recent_idx ON qa_embedding (status, updated_at, qa_pair_id);
