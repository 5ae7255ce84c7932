package org.qaembeddings.system;

import java.util.Random;
import java.util.UUID;

/** Generates request bodies for the fuzz test: valid ones, and mutations of them of many kinds. */
final class FuzzBodies {

    private static final String[] VALUES = {
        "\"q?\"",
        "\"\"",
        "\"   \"",
        "null",
        "true",
        "0",
        "-1",
        "1e309",
        "99999999999999999999",
        "[]",
        "{}",
        "[\"a\"]",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"'; DROP TABLE qa_pair; --\"",
        "\"\\\"\\\\\"",
        "\"\\n\\t\"",
        "\"\u00e9\u4e2d\ud83d\ude00\"",
        "NaN",
        "\"" + "x".repeat(2001) + "\"",
        "\"" + UUID.randomUUID() + "\""
    };
    private static final String[] KEYS = {
        "question",
        "answer",
        "qaPairIds",
        "maxRetries",
        "id",
        "status",
        "vector",
        "QUESTION",
        "",
        "question ",
        "__proto__"
    };

    private FuzzBodies() {}

    static String next(Random random) {
        String valid = valid(random);
        return switch (random.nextInt(8)) {
            case 0 -> valid;
            case 1 -> valid.substring(0, random.nextInt(valid.length() + 1)); // truncated
            case 2 -> flipCharacters(valid, random);
            case 3 -> object(random);
            case 4 -> insertAnywhere(valid, random);
            case 5 -> "[" + valid + "," + valid + "]";
            case 6 -> "{\"question\":" + value(random) + ",\"answer\":" + value(random) + "}";
            default ->
                "{\"qaPairIds\":[" + value(random) + "," + value(random) + "],\"maxRetries\":" + value(random) + "}";
        };
    }

    private static String valid(Random random) {
        return switch (random.nextInt(3)) {
            case 0 ->
                "{\"question\":\"Fuzz question " + random.nextInt(1000) + "?\",\"answer\":\"Answer " + random.nextInt()
                        + "\"}";
            case 1 -> "{\"qaPairIds\":[\"" + UUID.randomUUID() + "\"]}";
            default -> "{\"maxRetries\":" + (1 + random.nextInt(10)) + "}";
        };
    }

    private static String value(Random random) {
        return VALUES[random.nextInt(VALUES.length)];
    }

    private static String object(Random random) {
        StringBuilder b = new StringBuilder("{");
        int fields = random.nextInt(4);
        for (int f = 0; f < fields; f++) {
            if (f > 0) {
                b.append(',');
            }
            b.append('"')
                    .append(KEYS[random.nextInt(KEYS.length)])
                    .append("\":")
                    .append(value(random));
        }
        return b.append('}').toString();
    }

    private static String flipCharacters(String s, Random random) {
        char[] chars = s.toCharArray();
        for (int n = 1 + random.nextInt(3); n > 0 && chars.length > 0; n--) {
            chars[random.nextInt(chars.length)] = (char) random.nextInt(0x250);
        }
        return new String(chars);
    }

    private static String insertAnywhere(String s, Random random) {
        int at = random.nextInt(s.length() + 1);
        String[] inserts = {"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\u0000", "\u001f", "\ud800", " ", "null"};
        return s.substring(0, at) + inserts[random.nextInt(inserts.length)] + s.substring(at);
    }
}
