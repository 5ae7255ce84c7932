-- The change feed every node's search index follows. Each change an index must see (a pair saved or
-- edited, a vector written, a pair deleted) takes the next number of one sequence, in the
-- transaction that makes it. Numbers are taken in one order and committed in another, so a
-- follower treats a missing number as a gap to look at again until no transaction that could
-- hold it is still running.
CREATE SEQUENCE pair_change_seq;

ALTER TABLE qa_embedding ADD COLUMN change_seq BIGINT;
UPDATE qa_embedding SET change_seq = nextval('pair_change_seq');
ALTER TABLE qa_embedding ALTER COLUMN change_seq SET NOT NULL;
CREATE INDEX qa_embedding_change_idx ON qa_embedding (change_seq);

-- The SHA-256 of the text the stored vector was made from. An edited pair keeps its last vector
-- (search still finds it by meaning) until the new one is written; the vector is current while
-- this equals text_hash.
ALTER TABLE qa_embedding ADD COLUMN vector_text_hash CHAR(64);
UPDATE qa_embedding SET vector_text_hash = text_hash WHERE vector IS NOT NULL;

-- A deleted pair leaves its number here, so that followers drop it too; pruned after a retention
-- period, past which a follower that was away rebuilds its index instead.
CREATE TABLE qa_pair_deletion (
    change_seq BIGINT PRIMARY KEY,
    qa_pair_id UUID NOT NULL,
    deleted_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX qa_pair_deletion_time_idx ON qa_pair_deletion (deleted_at);
