-- Rows per status, moved in the same transaction as the rows themselves, so the health figures
-- read 64 small rows instead of counting a million. Each count is spread over 16 slots: concurrent
-- transactions add to a random slot and rarely wait for one another.
CREATE TABLE qa_embedding_count (
    status VARCHAR(16) NOT NULL,
    slot   SMALLINT    NOT NULL,
    n      BIGINT      NOT NULL,
    PRIMARY KEY (status, slot)
);
INSERT INTO qa_embedding_count (status, slot, n)
SELECT s.status, g.slot, 0
  FROM (VALUES ('PENDING'), ('PROCESSING'), ('COMPLETED'), ('FAILED')) AS s (status)
 CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15)) AS g (slot);
UPDATE qa_embedding_count
   SET n = (SELECT COUNT(*) FROM qa_embedding e WHERE e.status = qa_embedding_count.status)
 WHERE slot = 0;

-- Dead letters are counted from this index alone, one count per error kind, which needs every
-- FAILED row to say its kind (rows failed before error_kind existed were all provider failures).
UPDATE qa_embedding SET error_kind = 'TRANSIENT' WHERE status = 'FAILED' AND error_kind IS NULL;
ALTER TABLE qa_embedding ADD CONSTRAINT qa_embedding_failed_kind_chk CHECK (status <> 'FAILED' OR error_kind IS NOT NULL);
CREATE INDEX qa_embedding_failed_idx ON qa_embedding (status, error_kind, attempts);
