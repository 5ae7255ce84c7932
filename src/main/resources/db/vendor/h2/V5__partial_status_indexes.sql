-- H2 has no partial indexes and no storage options: it keeps the indexes of V1-V4 (see the
-- PostgreSQL V5). This file keeps the version numbers of both databases in step.
SELECT 1;
