package org.qaembeddings.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Provider text is escaped and masked before anything logs or stores it. */
class ProviderTextTest {

    private static final String KEY = "sk-proj-Abc123Def456Ghi789Jkl012";
    private final ProviderText text = new ProviderText(KEY);

    @Test
    void theKeyIsMaskedHoweverItIsSpelledBack() {
        String withoutPrefix = KEY.substring(3);
        String[] echoes = {
            KEY,
            KEY.toUpperCase(Locale.ROOT),
            KEY.toLowerCase(Locale.ROOT),
            withoutPrefix,
            "proj-Abc123Def456Ghi",
            KEY.substring(10, 22),
            KEY.substring(10, 22).toUpperCase(Locale.ROOT),
            Base64.getEncoder().encodeToString(KEY.getBytes(StandardCharsets.UTF_8)),
            Base64.getUrlEncoder().withoutPadding().encodeToString(withoutPrefix.getBytes(StandardCharsets.UTF_8)),
            Base64.getEncoder()
                    .encodeToString(KEY.getBytes(StandardCharsets.UTF_8))
                    .toLowerCase(Locale.ROOT)
        };
        for (String echo : echoes) {
            String cleaned = text.clean("Incorrect API key provided: " + echo + ". You can find your key at x.");
            assertThat(cleaned)
                    .as(echo)
                    .doesNotContainIgnoringCase(echo)
                    .contains("***")
                    .startsWith("Incorrect API key provided: ")
                    .endsWith(". You can find your key at x.");
        }
    }

    @Test
    void aKeyWithCharactersThatUrlEncodingChangesIsMaskedEncoded() {
        String key = "sk-test+secret/key=0123456789";
        String encoded = URLEncoder.encode(key, StandardCharsets.UTF_8);
        assertThat(encoded).isNotEqualTo(key);
        assertThat(new ProviderText(key).clean("bad key " + encoded)).isEqualTo("bad key ***");
    }

    @Test
    void aKeyPercentEncodedByteByByteOrInHexIsMaskedToo() {
        StringBuilder everyByte = new StringBuilder();
        for (byte b : KEY.getBytes(StandardCharsets.UTF_8)) {
            everyByte.append(String.format("%%%02X", b));
        }
        String[] echoes = {
            everyByte.toString(),
            everyByte.toString().toLowerCase(Locale.ROOT),
            KEY.replace("-", "%2D"),
            HexFormat.of().formatHex(KEY.getBytes(StandardCharsets.UTF_8)),
            HexFormat.of().withUpperCase().formatHex(KEY.substring(3).getBytes(StandardCharsets.UTF_8))
        };
        for (String echo : echoes) {
            String cleaned = text.clean("key=" + echo + " rejected");
            assertThat(cleaned).as(echo).isEqualTo("key=*** rejected");
        }
        // half encoded, half not: the slice that spans both is still found
        String half = everyByte.substring(0, everyByte.length() / 2) + KEY.substring(KEY.length() / 2);
        assertThat(text.clean("key=" + half))
                .as(half)
                .doesNotContain("Ghi789Jkl012")
                .doesNotContainIgnoringCase("%41%62%63");
    }

    @Test
    void shortOrUnrelatedTextIsLeftAlone() {
        assertThat(text.clean("model 'text-embedding-3-small' does not support dimensions"))
                .isEqualTo("model 'text-embedding-3-small' does not support dimensions");
        // eleven characters of the key are not yet a slice of it
        assertThat(text.clean("id Abc123Def45 ok")).isEqualTo("id Abc123Def45 ok");
        assertThat(new ProviderText(null).clean("no key configured")).isEqualTo("no key configured");
    }

    @Test
    void controlCharactersAreEscapedSoNoLineCanBeForged() {
        String forged = "bad\r\n2026-12-01 ERROR forged line\u001b[31mred\u009b31m\u0000\u007f";
        String cleaned = text.clean(forged);
        assertThat(cleaned)
                .doesNotContain("\r")
                .doesNotContain("\n")
                .doesNotContain("\u001b")
                .doesNotContain("\u009b")
                .doesNotContain("\u0000")
                .doesNotContain("\u007f");
        assertThat(cleaned)
                .isEqualTo("bad\\u000d\\u000a2026-12-01 ERROR forged line\\u001b[31mred\\u009b31m\\u0000\\u007f");
        assertThat(text.clean("tabs\tand café stay")).isEqualTo("tabs\\u0009and café stay");
    }

    @Test
    void otherKeyShapedTokensAreMaskedToo() {
        assertThat(text.clean("your key sk-other-0123456789 is revoked")).isEqualTo("your key *** is revoked");
    }
}
