package org.qaembeddings.embedding;

import static org.qaembeddings.system.Timestamps.toDb;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.qaembeddings.provider.Float32;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The pairs' changes in the order of their change numbers (V9), for followers that keep a copy
 * (each node's search index). A follower keeps a {@link Position}: the highest number it has read
 * and the numbers below it it has not seen yet (gaps). A gap is a change whose transaction had
 * not committed when the numbers after it were read, or a number that never commits (rolled back,
 * or taken by a row that changed again since); it is read again on every poll until the
 * {@link ChangeHorizon} says no transaction that could hold it is still running. So a change that
 * commits late is never skipped, and no node needs a message from another.
 */
@Component
public class ChangeFeed {

    /** The most gap numbers a position holds one by one; past it they merge into one range, read whole. */
    static final int MAX_GAP_NUMBERS = 100_000;
    /** Gap ranges up to this long are looked up number by number, longer ones as a range. */
    private static final int LOOKUP_BY_NUMBER = 1_000;

    /**
     * A vector of a pair: the setting that made it (null before settings were recorded), the vector
     * (null where only the state was read), and whether it was made from the pair's current text.
     */
    public record Slot(String setting, float[] vector, boolean current) {}

    /**
     * A pair as a follower needs it, or its deletion (then only {@code seq} and {@code id} are set).
     * {@code vectors} holds the pair's vector, first, and the one kept from the setting before the
     * last switch, when there is one.
     */
    public record Change(
            long seq,
            UUID id,
            boolean deleted,
            String question,
            String answer,
            EmbeddingStatus status,
            List<Slot> vectors) {

        public Change {
            vectors = vectors == null ? List.of() : List.copyOf(vectors);
        }

        /** A pair with one vector, or none when {@code vector} and {@code setting} are null. */
        public Change(
                long seq,
                UUID id,
                boolean deleted,
                String question,
                String answer,
                EmbeddingStatus status,
                String setting,
                float[] vector,
                boolean vectorCurrent) {
            this(
                    seq,
                    id,
                    deleted,
                    question,
                    answer,
                    status,
                    vector == null && setting == null ? List.of() : List.of(new Slot(setting, vector, vectorCurrent)));
        }

        public static Change deletion(long seq, UUID id) {
            return new Change(seq, id, true, null, null, null, List.of());
        }

        /** The pair's own vector (not the one kept from before), or null. */
        public float[] vector() {
            return vectors.isEmpty() ? null : vectors.get(0).vector();
        }

        /** The setting of the pair's own vector, or null. */
        public String setting() {
            return vectors.isEmpty() ? null : vectors.get(0).setting();
        }

        /** Whether the pair's own vector was made from its current text. */
        public boolean vectorCurrent() {
            return !vectors.isEmpty() && vectors.get(0).current();
        }

        /** The pair's vector made by the setting {@code settingKey}, its own or the one kept, or null. */
        public float[] vectorOf(String settingKey) {
            for (Slot slot : vectors) {
                if (settingKey.equals(slot.setting())) {
                    return slot.vector();
                }
            }
            return null;
        }

        /** Whether the pair has a vector made by the setting {@code settingKey} from its current text. */
        public boolean freshFor(String settingKey) {
            for (Slot slot : vectors) {
                if (slot.current() && settingKey.equals(slot.setting())) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Numbers {@code from..to} not seen yet, which may still commit while {@code horizon} is not
     * {@link ChangeHorizon#ended()}.
     */
    public record Gap(long from, long to, long horizon) {
        long size() {
            return to - from + 1;
        }
    }

    /** Where a follower stands: every number up to {@code read} is applied, but those in {@code gaps}. */
    public record Position(long read, List<Gap> gaps) {
        public static final Position START = new Position(0, List.of());

        public Position {
            gaps = List.copyOf(gaps);
        }

        /** A compact text form, to keep with a follower's copy. */
        public String encode() {
            StringBuilder out = new StringBuilder(Long.toString(read));
            for (Gap gap : gaps) {
                out.append(';')
                        .append(gap.from())
                        .append('-')
                        .append(gap.to())
                        .append('@')
                        .append(gap.horizon());
            }
            return out.toString();
        }

        public static Position decode(String text) {
            String[] parts = text.split(";");
            List<Gap> gaps = new ArrayList<>();
            for (int i = 1; i < parts.length; i++) {
                int dash = parts[i].indexOf('-');
                int at = parts[i].indexOf('@');
                gaps.add(new Gap(
                        Long.parseLong(parts[i].substring(0, dash)),
                        Long.parseLong(parts[i].substring(dash + 1, at)),
                        Long.parseLong(parts[i].substring(at + 1))));
            }
            return new Position(Long.parseLong(parts[0]), gaps);
        }
    }

    /**
     * What one read found, in the order to apply it (a later entry for a pair is newer), and where
     * the follower then stands. {@code caughtUp} when nothing more was waiting past it.
     */
    public record Batch(List<Change> changes, Position next, boolean caughtUp) {}

    private static final String PAIR_COLUMNS = """
            SELECT e.change_seq, e.qa_pair_id, p.question, p.answer, e.status, e.text_hash, e.vector_text_hash,
                   e.vector_setting, e.vector, e.previous_setting, e.previous_vector, e.previous_text_hash
              FROM qa_embedding e JOIN qa_pair p ON p.id = e.qa_pair_id""";

    private final JdbcClient jdbc;
    private final ChangeHorizon horizon;
    private final SwitchRepository settings;
    /** Each setting's template, by key: a setting never changes once recorded. */
    private final Map<String, Optional<EmbeddingText>> templates = new ConcurrentHashMap<>();

    ChangeFeed(JdbcClient jdbc, ChangeHorizon horizon, SwitchRepository settings) {
        this.jdbc = jdbc;
        this.horizon = horizon;
        this.settings = settings;
    }

    /**
     * The changes after {@code from}, at most about {@code limit} new ones, and the gaps of
     * {@code from} that have filled.
     */
    public Batch read(Position from, int limit) {
        long ended = horizon.ended();
        List<Change> pairs = jdbc.sql(PAIR_COLUMNS + " WHERE e.change_seq > :after ORDER BY e.change_seq LIMIT :limit")
                .param("after", from.read())
                .param("limit", limit)
                .query(this::pair)
                .list();
        List<Change> deletions = jdbc.sql("""
                        SELECT change_seq, qa_pair_id FROM qa_pair_deletion
                         WHERE change_seq > :after ORDER BY change_seq LIMIT :limit""")
                .param("after", from.read())
                .param("limit", limit)
                .query(ChangeFeed::deletion)
                .list();
        // a full page may end before the other's last number: read up to where both are complete
        long upTo = Long.MAX_VALUE;
        boolean full = false;
        if (pairs.size() == limit) {
            upTo = pairs.get(limit - 1).seq();
            full = true;
        }
        if (deletions.size() == limit) {
            upTo = Math.min(upTo, deletions.get(limit - 1).seq());
            full = true;
        }
        List<Change> fresh = new ArrayList<>(pairs.size() + deletions.size());
        for (Change c : pairs) {
            if (c.seq() <= upTo) {
                fresh.add(c);
            }
        }
        for (Change c : deletions) {
            if (c.seq() <= upTo) {
                fresh.add(c);
            }
        }
        fresh.sort(Comparator.comparingLong(Change::seq));
        List<Change> fills = filled(from.gaps());
        long begun = horizon.begun();

        Set<Long> found = new HashSet<>();
        fills.forEach(c -> found.add(c.seq()));
        List<Gap> gaps = new ArrayList<>();
        for (Gap gap : from.gaps()) {
            if (gap.horizon() <= ended) {
                continue; // every transaction that could hold these numbers had ended before the read
            }
            gaps.addAll(without(gap, found));
        }
        long read = from.read();
        for (Change c : fresh) {
            if (c.seq() > read + 1) {
                gaps.add(new Gap(read + 1, c.seq() - 1, begun));
            }
            read = c.seq();
        }
        List<Change> changes = new ArrayList<>(fresh.size() + fills.size());
        changes.addAll(fresh);
        changes.addAll(fills);
        return new Batch(changes, new Position(read, bounded(gaps)), !full);
    }

    /** The pairs' current state, vectors included, for those that still exist. */
    public List<Change> current(Collection<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return jdbc.sql(PAIR_COLUMNS + " WHERE e.qa_pair_id IN (:ids)")
                .param("ids", ids)
                .query(this::pair)
                .list();
    }

    /**
     * The pairs' current texts and state without their vectors (null; {@code vectorCurrent} and
     * {@code setting} still tell whether the stored vector is current), for those that still exist:
     * what a search shows of its hits.
     */
    public List<Change> texts(Collection<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("""
                        SELECT e.change_seq, e.qa_pair_id, p.question, p.answer, e.status, e.vector_setting,
                               e.vector IS NOT NULL AND e.vector_text_hash = e.text_hash AS vector_current,
                               e.previous_setting, e.previous_text_hash
                          FROM qa_embedding e JOIN qa_pair p ON p.id = e.qa_pair_id
                         WHERE e.qa_pair_id IN (:ids)""")
                .param("ids", ids)
                .query((rs, n) -> {
                    List<Slot> slots = new ArrayList<>(2);
                    if (rs.getString("vector_setting") != null || rs.getBoolean("vector_current")) {
                        slots.add(new Slot(rs.getString("vector_setting"), null, rs.getBoolean("vector_current")));
                    }
                    previous(rs, null).ifPresent(slots::add);
                    return new Change(
                            rs.getLong("change_seq"),
                            rs.getObject("qa_pair_id", UUID.class),
                            false,
                            rs.getString("question"),
                            rs.getString("answer"),
                            EmbeddingStatus.valueOf(rs.getString("status")),
                            slots);
                })
                .list();
    }

    /** Removes deletions older than {@code before}; a follower whose copy is older rebuilds it. */
    public int pruneDeletions(Instant before) {
        return jdbc.sql("DELETE FROM qa_pair_deletion WHERE deleted_at < :before")
                .param("before", toDb(before))
                .update();
    }

    /** The changes whose numbers fall in {@code gaps}. */
    private List<Change> filled(List<Gap> gaps) {
        List<Change> out = new ArrayList<>();
        List<Long> numbers = new ArrayList<>();
        for (Gap gap : gaps) {
            if (gap.size() <= LOOKUP_BY_NUMBER) {
                for (long n = gap.from(); n <= gap.to(); n++) {
                    numbers.add(n);
                }
            } else {
                out.addAll(jdbc.sql(PAIR_COLUMNS + " WHERE e.change_seq BETWEEN :from AND :to ORDER BY e.change_seq")
                        .param("from", gap.from())
                        .param("to", gap.to())
                        .query(this::pair)
                        .list());
                out.addAll(jdbc.sql("SELECT change_seq, qa_pair_id FROM qa_pair_deletion "
                                + "WHERE change_seq BETWEEN :from AND :to")
                        .param("from", gap.from())
                        .param("to", gap.to())
                        .query(ChangeFeed::deletion)
                        .list());
            }
        }
        for (int i = 0; i < numbers.size(); i += LOOKUP_BY_NUMBER) {
            List<Long> chunk = numbers.subList(i, Math.min(numbers.size(), i + LOOKUP_BY_NUMBER));
            out.addAll(jdbc.sql(PAIR_COLUMNS + " WHERE e.change_seq IN (:seqs)")
                    .param("seqs", chunk)
                    .query(this::pair)
                    .list());
            out.addAll(jdbc.sql("SELECT change_seq, qa_pair_id FROM qa_pair_deletion WHERE change_seq IN (:seqs)")
                    .param("seqs", chunk)
                    .query(ChangeFeed::deletion)
                    .list());
        }
        out.sort(Comparator.comparingLong(Change::seq));
        return out;
    }

    /** {@code gap} less the numbers in {@code found}. */
    private static List<Gap> without(Gap gap, Set<Long> found) {
        List<Gap> out = new ArrayList<>();
        long start = gap.from();
        if (gap.size() <= LOOKUP_BY_NUMBER) {
            for (long n = gap.from(); n <= gap.to(); n++) {
                if (found.contains(n)) {
                    if (n > start) {
                        out.add(new Gap(start, n - 1, gap.horizon()));
                    }
                    start = n + 1;
                }
            }
        }
        if (start <= gap.to()) {
            out.add(new Gap(start, gap.to(), gap.horizon()));
        }
        return out;
    }

    /** Past {@link #MAX_GAP_NUMBERS}, the gaps merge into one range: more is read again, but memory stays bounded. */
    private static List<Gap> bounded(List<Gap> gaps) {
        long numbers = 0;
        for (Gap gap : gaps) {
            numbers += gap.size();
        }
        if (numbers <= MAX_GAP_NUMBERS || gaps.size() <= 1) {
            return gaps;
        }
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        long latest = Long.MIN_VALUE;
        for (Gap gap : gaps) {
            from = Math.min(from, gap.from());
            to = Math.max(to, gap.to());
            latest = Math.max(latest, gap.horizon());
        }
        return List.of(new Gap(from, to, latest));
    }

    private Change pair(ResultSet rs, int n) throws SQLException {
        byte[] vector = rs.getBytes("vector");
        List<Slot> slots = new ArrayList<>(2);
        if (vector != null) {
            slots.add(new Slot(
                    rs.getString("vector_setting"),
                    Float32.decode(vector),
                    rs.getString("text_hash").equals(rs.getString("vector_text_hash"))));
        }
        byte[] previous = rs.getBytes("previous_vector");
        if (previous != null) {
            previous(rs, Float32.decode(previous)).ifPresent(slots::add);
        }
        return new Change(
                rs.getLong("change_seq"),
                rs.getObject("qa_pair_id", UUID.class),
                false,
                rs.getString("question"),
                rs.getString("answer"),
                EmbeddingStatus.valueOf(rs.getString("status")),
                slots);
    }

    /**
     * The vector kept from the setting before the last switch; it is current while it was made from
     * the text the pair has, rendered with that setting's template.
     */
    private Optional<Slot> previous(ResultSet rs, float[] vector) throws SQLException {
        String setting = rs.getString("previous_setting");
        if (setting == null) {
            return Optional.empty();
        }
        String hash = rs.getString("previous_text_hash");
        String question = rs.getString("question");
        String answer = rs.getString("answer");
        boolean current = hash != null
                && templates
                        .computeIfAbsent(
                                setting, key -> settings.find(key).map(found -> new EmbeddingText(found.template())))
                        .map(template -> template.hash(question, answer).equals(hash))
                        .orElse(false);
        return Optional.of(new Slot(setting, vector, current));
    }

    private static Change deletion(ResultSet rs, int n) throws SQLException {
        return Change.deletion(rs.getLong("change_seq"), rs.getObject("qa_pair_id", UUID.class));
    }
}
