-- Fenced claims: every claim writes a token of its own into the rows it takes, and every write of a
-- claimed row (complete, fail, hand back) must name it. A worker whose lease ran out while another
-- worker claimed the row since finds its token gone and changes nothing.
ALTER TABLE qa_embedding ADD COLUMN claim_token BIGINT;
