-- What each call was for (pairs' vectors, search queries, probes), kept apart in the report.
-- The rollup's key gains the purpose; dropping the old key differs between the databases.
ALTER TABLE embedding_cost ADD COLUMN purpose VARCHAR(16) NOT NULL DEFAULT 'DOCUMENT';
ALTER TABLE embedding_cost_rollup ADD COLUMN purpose VARCHAR(16) NOT NULL DEFAULT 'DOCUMENT';
ALTER TABLE embedding_cost_rollup DROP PRIMARY KEY;
ALTER TABLE embedding_cost_rollup ADD PRIMARY KEY (bucket_start, model, purpose);
