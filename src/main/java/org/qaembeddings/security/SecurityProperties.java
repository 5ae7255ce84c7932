package org.qaembeddings.security;

import java.util.ArrayList;
import java.util.List;
import org.qaembeddings.system.Sha256;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code security.*}: who may call the API.
 *
 * @param apiKey one key that every {@code /api/**} call must present as {@code Authorization: Bearer <key>}
 * @param apiKeys more such keys (e.g. {@code SECURITY_API_KEYS=k1,k2}), so that keys can be rotated
 * @param adminKey a key that may also call the admin endpoints (batch, retry, failed list, costs) and
 *     see health details
 * @param adminKeys more admin keys
 * @param protectedMode with no key set, listen on the loopback interface only and refuse to start
 *     on any other address; {@code false} lets an unauthenticated service listen anywhere (behind a
 *     proxy that authenticates, say)
 * @param rateLimit the per-client limit on write calls
 */
@ConfigurationProperties("security")
public record SecurityProperties(
        String apiKey,
        List<String> apiKeys,
        String adminKey,
        List<String> adminKeys,
        @DefaultValue("true") boolean protectedMode,
        @DefaultValue RateLimit rateLimit) {

    /** Shorter keys can be guessed; 16 characters is the floor, 32 random ones are better. */
    static final int MIN_KEY_LENGTH = 16;

    /**
     * A token bucket per client (its API key, or its address when no key is set) over the calls
     * that write: POST, PUT, PATCH and DELETE under {@code /api/}.
     *
     * @param writesPerSecond the sustained rate allowed; 0 turns the limit off
     * @param burst how many writes a client that was idle may make at once
     */
    public record RateLimit(
            @DefaultValue("200") double writesPerSecond,
            @DefaultValue("2000") int burst) {
        public RateLimit {
            if (!(writesPerSecond >= 0) || Double.isInfinite(writesPerSecond)) {
                throw new IllegalArgumentException(
                        "security.rate-limit.writes-per-second must be 0 (off) or more, was " + writesPerSecond);
            }
            if (burst < 1) {
                throw new IllegalArgumentException("security.rate-limit.burst must be at least 1, was " + burst);
            }
        }

        boolean enabled() {
            return writesPerSecond > 0;
        }
    }

    public SecurityProperties {
        apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
        adminKeys = adminKeys == null ? List.of() : List.copyOf(adminKeys);
        check("security.api-key", apiKey);
        check("security.admin-key", adminKey);
        for (int i = 0; i < apiKeys.size(); i++) {
            check("security.api-keys[" + i + "]", apiKeys.get(i));
        }
        for (int i = 0; i < adminKeys.size(); i++) {
            check("security.admin-keys[" + i + "]", adminKeys.get(i));
        }
    }

    /** Names the property and the rule, never the key. */
    private static void check(String property, String key) {
        if (key == null) {
            return;
        }
        if (key.length() < MIN_KEY_LENGTH) {
            throw new IllegalArgumentException(
                    property + " must be at least " + MIN_KEY_LENGTH + " characters, was " + key.length());
        }
        if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException(property + " must be printable ASCII without spaces");
        }
    }

    /** SHA-256 digests of the keys that may call {@code /api/**}: every key, admin keys included. */
    List<byte[]> clientKeyDigests() {
        List<byte[]> digests = new ArrayList<>(adminKeyDigests());
        if (apiKey != null) {
            digests.add(digest(apiKey));
        }
        apiKeys.forEach(k -> digests.add(digest(k)));
        return digests;
    }

    List<byte[]> adminKeyDigests() {
        List<byte[]> digests = new ArrayList<>();
        if (adminKey != null) {
            digests.add(digest(adminKey));
        }
        adminKeys.forEach(k -> digests.add(digest(k)));
        return digests;
    }

    boolean keysConfigured() {
        return apiKey != null || adminKey != null || !apiKeys.isEmpty() || !adminKeys.isEmpty();
    }

    static byte[] digest(String key) {
        return Sha256.digest(key);
    }

    @Override
    public String toString() {
        // the record's own toString would print the keys
        return "SecurityProperties[apiKeys=" + (apiKeys.size() + (apiKey == null ? 0 : 1)) + ", adminKeys="
                + (adminKeys.size() + (adminKey == null ? 0 : 1)) + ", protectedMode=" + protectedMode + ", rateLimit="
                + rateLimit + "]";
    }
}
