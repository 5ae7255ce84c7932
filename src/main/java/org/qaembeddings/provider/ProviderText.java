package org.qaembeddings.provider;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Text that came from the provider (error messages, model names) made safe to log, store and show.
 * Control characters (C0, DEL, C1, which hold CR, LF and the terminal's escape sequences) are
 * written as {@code \\uXXXX}, so that a provider cannot forge log lines or colour a terminal. Anything
 * that resembles the API key is masked, however it was spelled back: the key whole or without its
 * {@code sk-} prefix, in any case, base64, hex or percent-encoded (some or all of its bytes), or any
 * slice of {@value #SLICE} characters or more of any of those.
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
            forms.add(HexFormat.of().formatHex(bytes));
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
        boolean[] masked = new boolean[text.length()];
        // the text as it is, and with every %XX decoded (a key percent-encoded in part or whole)
        boolean any = markSlices(text, null, null, masked);
        if (text.indexOf('%') >= 0) {
            StringBuilder decoded = new StringBuilder(text.length());
            int[] from = new int[text.length()];
            int[] to = new int[text.length()];
            for (int i = 0; i < text.length(); ) {
                int n = decoded.length();
                from[n] = i;
                if (text.charAt(i) == '%'
                        && i + 2 < text.length()
                        && HexFormat.isHexDigit(text.charAt(i + 1))
                        && HexFormat.isHexDigit(text.charAt(i + 2))) {
                    decoded.append((char) HexFormat.fromHexDigits(text, i + 1, i + 3));
                    i += 3;
                } else {
                    decoded.append(text.charAt(i));
                    i++;
                }
                to[n] = i;
            }
            any |= markSlices(decoded.toString(), from, to, masked);
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

    /**
     * Marks in {@code masked} (positions of the original text) every slice of {@code view} that is
     * a slice of the key; {@code from} and {@code to} map the view's characters to the original's
     * (null when the view is the original).
     */
    private boolean markSlices(String view, int[] from, int[] to, boolean[] masked) {
        String lower = view.toLowerCase(Locale.ROOT);
        if (lower.length() != view.length()) {
            lower = view; // a case mapping changed the length: fall back to the exact spelling
        }
        boolean any = false;
        for (int i = 0; i + SLICE <= lower.length(); i++) {
            if (slices.contains(lower.substring(i, i + SLICE))) {
                int start = from == null ? i : from[i];
                int end = to == null ? i + SLICE : to[i + SLICE - 1];
                for (int j = start; j < end; j++) {
                    masked[j] = true;
                }
                any = true;
            }
        }
        return any;
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
