package org.qaembeddings.provider;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Text that came from the provider (error messages, model names) made safe to log, store and show.
 * Control characters (C0, DEL, C1, which hold CR, LF and the terminal's escape sequences) are
 * written as {@code \\uXXXX}, so that a provider cannot forge log lines or colour a terminal. Anything
 * that resembles the API key is masked, however it was spelled back: the key whole or without its
 * {@code sk-} prefix, in any case, base64 or URL-encoded, or any slice of {@value #SLICE} characters
 * or more of any of those.
 */
final class ProviderText {

    static final int SLICE = 12;
    private static final String MASK = "***";
    /** Key-shaped tokens of other credentials a provider may echo (ours is masked however it is spelled). */
    private static final Pattern SECRET_LIKE = Pattern.compile("(sk|key|api)[-_][A-Za-z0-9_\\-]{6,}");

    /** Every {@value #SLICE}-character slice of every spelling of the key, lower-cased. */
    private final Set<String> slices = new HashSet<>();

    ProviderText(String apiKey) {
        if (apiKey == null || apiKey.isEmpty()) {
            return;
        }
        for (String spelling : spellings(apiKey)) {
            String lower = spelling.toLowerCase(Locale.ROOT);
            for (int i = 0; i + SLICE <= lower.length(); i++) {
                slices.add(lower.substring(i, i + SLICE));
            }
        }
    }

    private static List<String> spellings(String key) {
        List<String> forms = new ArrayList<>();
        forms.add(key);
        int dash = key.indexOf('-');
        if (dash > 0 && dash < key.length() - 1) {
            forms.add(key.substring(dash + 1));
        }
        for (String form : List.copyOf(forms)) {
            byte[] bytes = form.getBytes(StandardCharsets.UTF_8);
            forms.add(Base64.getEncoder().encodeToString(bytes));
            forms.add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
            forms.add(URLEncoder.encode(form, StandardCharsets.UTF_8));
        }
        return forms;
    }

    /** {@code text} with control characters escaped and anything like the key masked. */
    String clean(String text) {
        if (text == null) {
            return null;
        }
        return SECRET_LIKE.matcher(escapeControls(mask(text))).replaceAll(MASK);
    }

    private String mask(String text) {
        if (slices.isEmpty() || text.length() < SLICE) {
            return text;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.length() != text.length()) {
            lower = text; // a case mapping changed the length: fall back to the exact spelling
        }
        boolean[] masked = new boolean[text.length()];
        boolean any = false;
        for (int i = 0; i + SLICE <= lower.length(); i++) {
            if (slices.contains(lower.substring(i, i + SLICE))) {
                for (int j = i; j < i + SLICE; j++) {
                    masked[j] = true;
                }
                any = true;
            }
        }
        if (!any) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            if (!masked[i]) {
                out.append(text.charAt(i));
            } else if (i == 0 || !masked[i - 1]) {
                out.append(MASK);
            }
        }
        return out.toString();
    }

    static String escapeControls(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7F && c <= 0x9F);
            if (control && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (control) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
