package org.qaembeddings.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.lucene.codecs.perfield.PerFieldPostingsFormat;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qaembeddings.embedding.ChangeFeed;
import org.qaembeddings.embedding.EmbeddingStatus;

/** The Lucene index on its own: what it keeps across a restart, and what it does with a directory it cannot use. */
class SearchIndexTest {

    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    @TempDir
    Path dir;

    private static ChangeFeed.Change pair(long seq, UUID id, String question, float[] vector) {
        return new ChangeFeed.Change(
                seq, id, false, question, "an answer", EmbeddingStatus.COMPLETED, "m", vector, true);
    }

    /** An index in {@link #dir} holding one pair, committed at {@code committedAt} and closed. */
    private void commitOnePair(String question, float[] vector, Instant committedAt) throws IOException {
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, UUID.randomUUID(), question, vector)));
            index.commit(new ChangeFeed.Position(1, List.of()), committedAt);
        }
    }

    private static float[] vector(int dimensions, long seed) {
        Random random = new Random(seed);
        float[] v = new float[dimensions];
        for (int i = 0; i < dimensions; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    @Test
    void segmentsAreNotMergedUntilTheFirstCatchUp() throws IOException {
        // an index past its rebuild: caught up and merged down once, as a restarted node finds it
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, UUID.randomUUID(), "Kept from before?", vector(8, 1))));
            index.refresh();
            index.caughtUp();
            await().atMost(Duration.ofSeconds(30)).until(index::compacted);
            index.commit(new ChangeFeed.Position(1, List.of()), NOW);
        }
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).isNull();
            assertThat(index.compacted()).isTrue();
            // one segment per refresh, as a catch-up writes them: far past what a tier holds
            for (int i = 0; i < 12; i++) {
                index.apply(List.of(pair(2 + i, UUID.randomUUID(), "Changed while away " + i + "?", vector(8, i))));
                index.refresh();
            }
            assertThat(index.segments()).as("no merge while catching up").isEqualTo(13);

            index.caughtUp();

            await().atMost(Duration.ofSeconds(30)).until(() -> {
                index.refresh();
                return index.segments() < 13;
            });
            assertThat(index.size()).isEqualTo(13);
        }
    }

    @Test
    void graphIsSearchedWiderAsItGrows() {
        assertThat(SearchIndex.candidates(10, 0)).isEqualTo(SearchIndex.KNN_CANDIDATES);
        assertThat(SearchIndex.candidates(10, 200_000)).isEqualTo(100);
        assertThat(SearchIndex.candidates(10, 1_000_000)).isEqualTo(400);
        assertThat(SearchIndex.candidates(10, 100_000_000)).isEqualTo(SearchIndex.MAX_KNN_CANDIDATES);
        assertThat(SearchIndex.candidates(150, 0))
                .as("never fewer than the hits asked for")
                .isEqualTo(150);
    }

    @Test
    void aReopenedIndexKeepsItsDocumentsAndTheChangePositionOfItsLastCommit() throws IOException {
        UUID id = UUID.randomUUID();
        ChangeFeed.Position position = new ChangeFeed.Position(42, List.of(new ChangeFeed.Gap(40, 41, 7)));
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).isEqualTo("no index yet");
            index.apply(List.of(pair(42, id, "How do I reset my password?", vector(8, 1))));
            index.commit(position, NOW);
        }
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).isNull();
            assertThat(index.committedPosition()).isEqualTo(position);
            assertThat(index.keyword("resetting passwords", 10))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
        }
    }

    @Test
    void aRebuiltIndexIsMergedDownInTheBackgroundOnceAndItsCommitSaysSo() throws IOException {
        List<UUID> ids = new ArrayList<>();
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.compacted()).isFalse();
            for (int page = 0; page < 3; page++) { // a refresh per page: a segment per page
                List<ChangeFeed.Change> changes = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    UUID id = UUID.randomUUID();
                    ids.add(id);
                    changes.add(pair(ids.size(), id, "Question " + ids.size() + "?", vector(8, ids.size())));
                }
                index.apply(changes);
                index.refresh();
            }
            index.commit(new ChangeFeed.Position(ids.size(), List.of()), NOW);
            assertThat(index.segments()).isEqualTo(3);
            assertThat(index.vectorCount("m", 8))
                    .as("the vectors of all segments: what the graph's search width grows with")
                    .isEqualTo(30);

            index.caughtUp();
            await().atMost(Duration.ofSeconds(30)).until(index::compacted);
            assertThat(index.segments()).isEqualTo(1);
            assertThat(index.size()).isEqualTo(30);
            assertThat(index.semantic(vector(8, 7), "m", 1, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(ids.get(6));
            index.commit(new ChangeFeed.Position(ids.size(), List.of()), NOW);
        }
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.compacted()).isTrue();
        }
    }

    @Test
    void anIndexCommittedBeforeItsMergeIsMergedAfterTheNextStart() throws IOException {
        commitOnePair("Merged later?", vector(8, 1), NOW);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).isNull();
            assertThat(index.compacted()).isFalse();
            index.caughtUp();
            await().atMost(Duration.ofSeconds(30)).until(index::compacted);
        }
    }

    @Test
    void anEditedTextIsSearchableAtOnceWithoutPuttingItsUnchangedVectorIntoTheGraphAgain() throws IOException {
        UUID id = UUID.randomUUID();
        float[] v = vector(16, 1);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, id, "How do I reset my password?", v)));
            index.refresh();
            index.caughtUp();
            assertThat(index.vectorsInserted()).isEqualTo(1);

            ChangeFeed.Change edited = new ChangeFeed.Change(
                    2, id, false, "How do I change my username?", "an answer", EmbeddingStatus.PENDING, "m", v, false);
            index.apply(List.of(edited));
            index.refresh();
            assertThat(index.vectorsInserted())
                    .as("the vector is the one indexed")
                    .isEqualTo(1);
            assertThat(index.keyword("username", 5))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
            assertThat(index.keyword("password", 5)).isEmpty();
            assertThat(index.semantic(v, "m", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
            assertThat(index.semantic(v, "m", 5, true))
                    .as("the vector is of the old text")
                    .isEmpty();
            assertThat(index.size()).isEqualTo(1);

            float[] renewed = vector(16, 2);
            index.apply(List.of(pair(3, id, "How do I change my username?", renewed)));
            index.refresh();
            assertThat(index.vectorsInserted()).isEqualTo(2);
            assertThat(index.semantic(renewed, "m", 5, true))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
            assertThat(index.semantic(renewed, "m", 1, false).get(0).score()).isCloseTo(1.0f, offset(1e-5f));
        }
    }

    @Test
    void aReopenedIndexFindsItsVectorsThroughTheBloomFiltersOfItsKeyFields() throws IOException {
        UUID id = UUID.randomUUID();
        UUID other = UUID.randomUUID();
        float[] v = vector(16, 3);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, id, "Where is my invoice?", v)));
            index.commit(new ChangeFeed.Position(1, List.of()), NOW);
        }
        try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(dir))) {
            FieldInfos fields = FieldInfos.getMergedFieldInfos(reader);
            for (String key : List.of("id", "vectorOf", "vectorSlot", "vectorKey")) {
                assertThat(fields.fieldInfo(key).getAttribute(PerFieldPostingsFormat.PER_FIELD_FORMAT_KEY))
                        .as(key)
                        .isEqualTo("BloomFilter");
            }
            assertThat(fields.fieldInfo("question").getAttribute(PerFieldPostingsFormat.PER_FIELD_FORMAT_KEY))
                    .isEqualTo("Lucene912");
        }
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).isNull();
            // a catch-up's two kinds of change: an edited text, and another pair's new vector
            index.apply(List.of(
                    pair(2, id, "Where is my last invoice?", v), pair(3, other, "Can I pay by card?", vector(16, 4))));
            index.refresh();
            assertThat(index.vectorsInserted())
                    .as("the edited pair's vector was found in the segment written before the reopen")
                    .isEqualTo(1);
            assertThat(index.semantic(v, "m", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id, other);
            assertThat(index.keyword("last invoice", 5))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
        }
    }

    @Test
    void aVectorRemovedAndRestoredBeforeARefreshIsStillIndexed() throws IOException {
        UUID id = UUID.randomUUID();
        float[] v = vector(16, 3);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, id, "Restored?", v)));
            index.refresh();
            index.caughtUp();
            index.apply(List.of(pair(2, id, "Restored?", null))); // the searched index still holds the vector
            index.apply(List.of(pair(3, id, "Restored?", v)));
            index.refresh();
            assertThat(index.semantic(v, "m", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
        }
    }

    @Test
    void aVectorWhoseKeyIsLeftOnADeletedDocumentIsPutIntoTheGraphAgain() throws IOException {
        UUID id = UUID.randomUUID();
        float[] a = vector(16, 5);
        float[] b = vector(16, 6);
        // the lookup walks a segment's keys in order: b's must come after a's
        if (SearchIndex.vectorKey(new ChangeFeed.Slot("m", a, true))
                        .compareTo(SearchIndex.vectorKey(new ChangeFeed.Slot("m", b, true)))
                > 0) {
            float[] t = a;
            a = b;
            b = t;
        }
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, id, "Changed back?", a)));
            index.refresh();
            index.caughtUp();
            // a new index is merged down once caught up: done before, it cannot drop b's document below
            await().atMost(Duration.ofSeconds(30)).until(index::compacted);
            // b, then a again before a refresh: one segment holds b's document, deleted, and a's;
            // other pairs beside them keep the segment's deleted share too low for Lucene to merge
            // it away before the lookup
            List<ChangeFeed.Change> page = new ArrayList<>();
            page.add(pair(2, id, "Changed back?", b));
            for (int i = 0; i < 30; i++) {
                page.add(pair(100 + i, UUID.randomUUID(), "Beside " + i + "?", vector(16, 100 + i)));
            }
            index.apply(page);
            index.apply(List.of(pair(3, id, "Changed back?", a)));
            index.refresh();
            index.apply(List.of(pair(4, id, "Changed back?", b)));
            index.refresh();
            assertThat(index.vectorsInserted()).isEqualTo(34);
            assertThat(index.semantic(b, "m", 1, false)).singleElement().satisfies(hit -> {
                assertThat(hit.id()).isEqualTo(id);
                assertThat(hit.score()).as("the pair's vector is b").isCloseTo(1.0f, offset(1e-5f));
            });
        }
    }

    @Test
    void aDeletedPairLeavesBothItsWordsAndItsVector() throws IOException {
        UUID id = UUID.randomUUID();
        float[] v = vector(16, 4);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, id, "Deleted soon?", v)));
            index.refresh();
            assertThat(index.keyword("deleted", 5))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
            assertThat(index.semantic(v, "m", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
            index.apply(List.of(ChangeFeed.Change.deletion(2, id)));
            index.refresh();
            assertThat(index.keyword("deleted", 5)).isEmpty();
            assertThat(index.semantic(v, "m", 5, false)).isEmpty();
            assertThat(index.size()).isZero();
        }
    }

    @Test
    void aPairsVectorsOfTwoSettingsAreSearchedApartUntilTheKeptOneIsDropped() throws IOException {
        UUID id = UUID.randomUUID();
        UUID other = UUID.randomUUID();
        float[] made = vector(8, 11);
        float[] kept = vector(16, 12);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            // its own vector of the new setting, and the one kept from the old, made from an older text
            index.apply(List.of(
                    new ChangeFeed.Change(
                            1,
                            id,
                            false,
                            "Switched?",
                            "a",
                            EmbeddingStatus.COMPLETED,
                            List.of(new ChangeFeed.Slot("new", made, true), new ChangeFeed.Slot("old", kept, false))),
                    new ChangeFeed.Change(
                            2, other, false, "Not yet?", "a", EmbeddingStatus.COMPLETED, "old", vector(16, 13), true)));
            index.refresh();
            assertThat(index.semantic(made, "new", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
            assertThat(index.semantic(kept, "old", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id, other);
            assertThat(index.semantic(kept, "old", 5, true))
                    .as("freshness is per setting")
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(other);
            assertThat(index.semantic(made, "new", 5, true))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);

            index.apply(List.of(new ChangeFeed.Change(
                    3, id, false, "Switched?", "a", EmbeddingStatus.COMPLETED, "new", made, true)));
            index.refresh();
            assertThat(index.semantic(kept, "old", 5, false))
                    .as("the kept vector was dropped")
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(other);
            assertThat(index.semantic(made, "new", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);

            index.apply(List.of(ChangeFeed.Change.deletion(4, other)));
            index.refresh();
            assertThat(index.semantic(kept, "old", 5, false)).isEmpty();
        }
    }

    @Test
    void anIndexOfAnotherLayoutIsRebuilt() throws IOException {
        try (FSDirectory directory = FSDirectory.open(dir);
                IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig())) {
            writer.setLiveCommitData(
                    Map.of("layout", "1", "position", ChangeFeed.Position.START.encode(), "committedAt", NOW.toString())
                            .entrySet());
            writer.commit();
        }
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).contains("another version");
        }
    }

    @Test
    void anIndexOlderThanTheFeedsDeletionsIsRebuilt() throws IOException {
        commitOnePair("Old?", null, NOW.minusSeconds(7200));
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).contains("older than");
            assertThat(index.committedPosition()).isEqualTo(ChangeFeed.Position.START);
            assertThat(index.size()).isZero();
        }
    }

    @Test
    void aCorruptIndexIsRebuiltFromTheStart() throws IOException {
        commitOnePair("Soon corrupt?", vector(8, 2), NOW);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> !f.getFileName().toString().equals("write.lock"))
                    .toList()) {
                byte[] bytes = Files.readAllBytes(file);
                for (int i = 0; i < bytes.length; i += 7) {
                    bytes[i] ^= 0x5A;
                }
                Files.write(file, bytes);
            }
        }
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            assertThat(index.rebuildReason()).contains("could not be");
            assertThat(index.committedPosition()).isEqualTo(ChangeFeed.Position.START);
            assertThat(index.size()).isZero();
            UUID id = UUID.randomUUID();
            index.apply(List.of(pair(1, id, "Rebuilt?", vector(8, 3))));
            index.refresh();
            assertThat(index.keyword("rebuilt", 5))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(id);
        }
    }

    @Test
    void aDirectoryAnotherProcessHoldsIsRefusedNotWiped() throws IOException {
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(pair(1, UUID.randomUUID(), "Kept?", null)));
            index.commit(new ChangeFeed.Position(1, List.of()), NOW);
            assertThatThrownBy(() -> SearchIndex.open(dir, NOW.minusSeconds(3600)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by another process");
            index.refresh();
            assertThat(index.size()).isEqualTo(1);
        }
    }

    @Test
    void vectorsAsWideAsRemoteModelsMakeAreIndexedAndNeverComparedAcrossModels() throws IOException {
        UUID small = UUID.randomUUID();
        UUID large = UUID.randomUUID();
        UUID otherModel = UUID.randomUUID();
        float[] target = vector(3072, 9);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(
                    pair(1, small, "Small?", vector(1536, 4)),
                    pair(2, large, "Large?", target),
                    new ChangeFeed.Change(
                            3, otherModel, false, "Other?", "a", EmbeddingStatus.COMPLETED, "other", target, true)));
            index.refresh();
            assertThat(index.semantic(target, "m", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(large);
            assertThat(index.semantic(target, "m", 5, false).get(0).score()).isCloseTo(1.0f, offset(1e-5f));
            assertThat(index.semantic(vector(1536, 4), "m", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(small);
        }
    }

    @Test
    void staleVectorsAreLeftOutWhenOnlyFreshOnesAreAskedFor() throws IOException {
        UUID stale = UUID.randomUUID();
        UUID fresh = UUID.randomUUID();
        float[] v = vector(8, 5);
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(
                    new ChangeFeed.Change(1, stale, false, "Edited?", "a", EmbeddingStatus.PENDING, "m", v, false),
                    pair(2, fresh, "Current?", vector(8, 6))));
            index.refresh();
            assertThat(index.semantic(v, "m", 5, false))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(stale, fresh);
            assertThat(index.semantic(v, "m", 5, true))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(fresh);
        }
    }

    @Test
    void aMinimumShareOfTheQuerysWordsKeepsOutPairsThatShareOnlyOne() throws IOException {
        UUID most = UUID.randomUUID();
        UUID one = UUID.randomUUID();
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(
                    pair(1, most, "rotate signing keys weekly", null), pair(2, one, "keys to the office", null)));
            index.refresh();
            // four words (stop words aside): "rotate", "sign", "key", "monthly"
            String query = "rotate the signing keys monthly";
            assertThat(index.keyword(query, 10))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(most, one);
            assertThat(index.keyword(query, 10, 0.75))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(most);
            assertThat(index.keyword(query, 10, 1.0)).isEmpty();
            assertThat(index.keyword("the of and", 10, 0.75))
                    .as("only stop words")
                    .isEmpty();
        }
    }

    @Test
    void aPairDeletedInTheSameBatchAsItsSaveLeavesTheIndex() throws IOException {
        UUID id = UUID.randomUUID();
        UUID kept = UUID.randomUUID();
        try (SearchIndex index = SearchIndex.open(dir, NOW.minusSeconds(3600))) {
            index.apply(List.of(
                    pair(1, id, "Deleted soon?", vector(8, 7)),
                    pair(2, kept, "Deleted never?", vector(8, 8)),
                    ChangeFeed.Change.deletion(3, id)));
            index.refresh();
            assertThat(index.size()).isEqualTo(1);
            assertThat(index.keyword("deleted", 5))
                    .extracting(SearchIndex.Scored::id)
                    .containsExactly(kept);
        }
    }
}
