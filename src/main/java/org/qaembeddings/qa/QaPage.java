package org.qaembeddings.qa;

import java.util.List;

/** One page of pairs, oldest first. */
record QaPage(List<QaPairView> items, int page, int size, long totalItems, long totalPages) {}
