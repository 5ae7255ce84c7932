package org.qaembeddings.embedding;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import org.qaembeddings.cost.CallPurpose;
import org.qaembeddings.cost.CostService;
import org.qaembeddings.provider.EmbeddingProvider;
import org.qaembeddings.provider.ProviderFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Embeds search queries with the setting whose vectors answer them. The node's own setting goes
 * through the node's gate; an earlier one, while a change of setting is re-embedded, through a gate
 * of its own around a provider made for it: billed, within the budget and behind a circuit, like
 * every call. A template changes the texts of pairs, not those of queries, so a setting that differs
 * only in its template is served by the node's own provider.
 */
@Component
public class QueryEmbedding implements DisposableBean {

    /** The provider and gate of an earlier setting. */
    private record Other(EmbeddingSetting setting, EmbeddingProvider provider, ProviderGate gate) {}

    private final ProviderGate gate;
    private final EmbeddingSetting current;
    private final ProviderFactory factory;
    private final CostService costs;
    private final Clock clock;
    private final MeterRegistry meters;
    private final EmbeddingProperties properties;
    private Other other;

    QueryEmbedding(
            ProviderGate gate,
            EmbeddingWorker worker,
            ProviderFactory factory,
            CostService costs,
            Clock clock,
            MeterRegistry meters,
            EmbeddingProperties properties) {
        this.gate = gate;
        this.current = worker.setting();
        this.factory = factory;
        this.costs = costs;
        this.clock = clock;
        this.meters = meters;
        this.properties = properties;
    }

    /** The vector of {@code query} in the space of {@code setting}, or why there is none. */
    public ProviderGate.Outcome embed(EmbeddingSetting setting, String query) {
        ProviderGate through;
        try {
            through = gateFor(setting);
        } catch (IllegalArgumentException cannotBeMade) {
            return new ProviderGate.NotSent(
                    "no provider for the setting " + setting.key() + " can be made here (" + cannotBeMade.getMessage()
                            + ")",
                    clock.instant());
        }
        return through.call(List.of(query), false, CallPurpose.QUERY);
    }

    private synchronized ProviderGate gateFor(EmbeddingSetting setting) {
        if (sameVectors(setting, current)) {
            closeOther();
            return gate;
        }
        if (other == null || !other.setting().key().equals(setting.key())) {
            closeOther();
            EmbeddingProvider provider = factory.create(setting.provider(), setting.model(), setting.dimensions());
            other = new Other(setting, provider, new ProviderGate(provider, costs, clock, meters, properties));
        }
        return other.gate();
    }

    /** Whether a query's vector is the same under both settings: same provider, model and width. */
    private static boolean sameVectors(EmbeddingSetting a, EmbeddingSetting b) {
        return a.provider().equals(b.provider()) && a.model().equals(b.model()) && a.dimensions() == b.dimensions();
    }

    private void closeOther() {
        if (other != null) {
            other.provider().close();
            other = null;
        }
    }

    @Override
    public synchronized void destroy() {
        closeOther();
    }
}
