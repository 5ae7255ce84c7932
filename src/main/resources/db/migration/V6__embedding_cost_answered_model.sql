-- A call is priced and reported by the model asked for; the name the answer gave, when it was
-- another (OpenAI answers text-embedding-ada-002-v2 for text-embedding-ada-002), is kept beside it.
ALTER TABLE embedding_cost ADD COLUMN answered_model VARCHAR(200);
