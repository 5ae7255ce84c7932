package org.qaembeddings.qa;

import java.time.Instant;
import java.util.UUID;

/** A row of qa_pair. */
record QaPair(UUID id, String question, String answer, Instant createdAt, Instant updatedAt) {}
