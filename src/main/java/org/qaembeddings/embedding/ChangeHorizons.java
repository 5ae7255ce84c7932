package org.qaembeddings.embedding;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The change horizon of the database in use. PostgreSQL's own transaction ids serve every node
 * that shares it. An embedded H2 database is opened by this process alone, so every writer is in
 * this JVM, and a counter of writing transactions here is exact.
 */
@Configuration(proxyBeanMethods = false)
class ChangeHorizons {

    @Bean
    ChangeHorizon changeHorizon(DataSource dataSource, JdbcClient jdbc) throws SQLException {
        String product;
        try (Connection connection = dataSource.getConnection()) {
            product = connection.getMetaData().getDatabaseProductName();
        }
        return "PostgreSQL".equalsIgnoreCase(product) ? new Postgres(jdbc) : new InProcess();
    }

    /**
     * Transaction ids: {@code pg_current_xact_id()} gives the writer its id before it takes a
     * number (a transaction has none until it first writes, and the statement that takes the
     * number would otherwise get it only after); the snapshot's xmin and xmax are the horizons.
     */
    static final class Postgres implements ChangeHorizon {
        private static final Object ENLISTED = new Object();
        private final JdbcClient jdbc;

        Postgres(JdbcClient jdbc) {
            this.jdbc = jdbc;
        }

        @Override
        public void enlist() {
            if (!TransactionSynchronizationManager.isSynchronizationActive()) {
                throw new IllegalStateException("a change number must be taken in a transaction");
            }
            if (TransactionSynchronizationManager.hasResource(ENLISTED)) {
                return;
            }
            jdbc.sql("SELECT pg_current_xact_id()::text").query(String.class).single();
            TransactionSynchronizationManager.bindResource(ENLISTED, Boolean.TRUE);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(ENLISTED);
                }
            });
        }

        @Override
        public long ended() {
            return jdbc.sql("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
                    .query(String.class)
                    .single()
                    .transform(Long::parseLong);
        }

        @Override
        public long begun() {
            return jdbc.sql("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
                    .query(String.class)
                    .single()
                    .transform(Long::parseLong);
        }
    }

    /**
     * Tickets handed to writing transactions in this JVM, in order, and given back when each ends
     * (committed or rolled back): the lowest ticket still out is the horizon of ended ones, the
     * next to hand out that of begun ones.
     */
    static final class InProcess implements ChangeHorizon {
        private final AtomicLong next = new AtomicLong(1);
        private final ConcurrentSkipListSet<Long> running = new ConcurrentSkipListSet<>();

        @Override
        public void enlist() {
            if (!TransactionSynchronizationManager.isSynchronizationActive()) {
                throw new IllegalStateException("a change number must be taken in a transaction");
            }
            Object key = this;
            if (TransactionSynchronizationManager.hasResource(key)) {
                return;
            }
            long ticket;
            synchronized (this) {
                ticket = next.getAndIncrement();
                running.add(ticket);
            }
            TransactionSynchronizationManager.bindResource(key, ticket);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(key);
                    running.remove(ticket);
                }
            });
        }

        @Override
        public long ended() {
            synchronized (this) {
                return running.isEmpty() ? next.get() : running.first();
            }
        }

        @Override
        public long begun() {
            return next.get();
        }
    }
}
