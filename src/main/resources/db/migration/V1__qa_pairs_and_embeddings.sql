-- Runs unchanged on PostgreSQL and on H2 in PostgreSQL mode.
CREATE TABLE qa_pair (
    id         UUID PRIMARY KEY,
    question   VARCHAR(2000)  NOT NULL,
    answer     VARCHAR(20000) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Listing pages in creation order.
CREATE INDEX qa_pair_created_idx ON qa_pair (created_at, id);

-- One row per pair, written in the same transaction as the pair; it goes when the pair goes.
CREATE TABLE qa_embedding (
    qa_pair_id      UUID PRIMARY KEY REFERENCES qa_pair (id) ON DELETE CASCADE,
    status          VARCHAR(16) NOT NULL,
    -- SHA-256 (hex) of the text the current vector is, or is to be, made from: the compare-and-set key.
    text_hash       CHAR(64)    NOT NULL,
    -- When the current text started waiting for a vector; null once it has one (staleness).
    pending_since   TIMESTAMP WITH TIME ZONE,
    -- A PENDING row is not claimed before this time.
    next_attempt_at TIMESTAMP WITH TIME ZONE,
    -- A PROCESSING row whose lease has passed is claimable again (its worker is presumed dead).
    lease_until     TIMESTAMP WITH TIME ZONE,
    -- Claims of the current text: a claim that is never answered still counts.
    attempts        INTEGER     NOT NULL DEFAULT 0,
    last_error      VARCHAR(1000),
    model           VARCHAR(200),
    dimensions      INTEGER,
    -- float32 little-endian, dimensions * 4 bytes
    vector          BYTEA,
    updated_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT qa_embedding_status_chk CHECK (status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'))
);

CREATE INDEX qa_embedding_pending_idx ON qa_embedding (status, next_attempt_at);
CREATE INDEX qa_embedding_lease_idx ON qa_embedding (status, lease_until);
