package org.qaembeddings.provider;

import java.util.Arrays;
import java.util.Base64;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads an OpenAI embeddings answer token by token: the vectors go straight into float arrays, and
 * everything else is skipped, so memory grows with the vectors asked for, never with a tree of
 * whatever the provider sent. Fields may come in any order. Any deviation is a
 * {@link ProviderException.Reason#BAD_ANSWER}.
 */
final class AnswerParser {

    /**
     * What the answer held: a vector per input (by index), the reported token count (null when
     * absent or insane), the model name.
     */
    record Parsed(float[][] vectors, Integer promptTokens, String model) {}

    private final JsonMapper json;

    AnswerParser(JsonMapper json) {
        this.json = json;
    }

    Parsed parse(byte[] body, int expected) {
        float[][] vectors = new float[expected][];
        Integer promptTokens = null;
        String model = null;
        boolean sawData = false;
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("response is not a JSON object");
            }
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "data" -> {
                        if (value != JsonToken.START_ARRAY) {
                            throw invalid("response has no data array");
                        }
                        readData(p, vectors);
                        sawData = true;
                    }
                    case "usage" -> promptTokens = value == JsonToken.START_OBJECT ? readUsage(p) : skip(p, null);
                    case "model" -> model = value == JsonToken.VALUE_STRING ? p.getString() : skip(p, null);
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw invalid("response has content after its end");
            }
        } catch (JacksonException e) {
            throw invalid("response is not JSON");
        }
        if (!sawData) {
            throw invalid("response has no data array");
        }
        int width = -1;
        for (int i = 0; i < expected; i++) {
            if (vectors[i] == null) {
                int found = (int) Arrays.stream(vectors).filter(v -> v != null).count();
                throw invalid("response has " + found + " embeddings for " + expected + " inputs");
            }
            if (width == -1) {
                width = vectors[i].length;
            } else if (vectors[i].length != width) {
                throw invalid("embeddings of different lengths in one response");
            }
        }
        return new Parsed(vectors, promptTokens, model);
    }

    private static <T> T skip(JsonParser p, T result) {
        p.skipChildren();
        return result;
    }

    private static void readData(JsonParser p, float[][] vectors) {
        int items = 0;
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.START_OBJECT) {
                throw invalid("data holds something that is not an embedding object");
            }
            if (++items > vectors.length) {
                throw invalid(
                        "response has more than " + vectors.length + " embeddings for " + vectors.length + " inputs");
            }
            Integer index = null;
            float[] vector = null;
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("index".equals(name)) {
                    if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
                        throw invalid("embedding without an integer index");
                    }
                    index = p.getIntValue();
                } else if ("embedding".equals(name)) {
                    vector = value == JsonToken.VALUE_STRING
                            ? base64Vector(p.getString(), items - 1)
                            : numbers(p, value, items - 1);
                } else {
                    p.skipChildren();
                }
            }
            if (index == null) {
                throw invalid("embedding without an integer index");
            }
            if (index < 0 || index >= vectors.length || vectors[index] != null) {
                throw invalid("embedding index " + index + " is out of range or repeated");
            }
            if (vector == null) {
                throw invalid("embedding " + index + " is not a non-empty array of numbers");
            }
            vectors[index] = vector;
        }
    }

    private static float[] numbers(JsonParser p, JsonToken value, int item) {
        if (value != JsonToken.START_ARRAY) {
            throw invalid("embedding " + item + " is not a non-empty array of numbers");
        }
        float[] values = new float[256];
        int n = 0;
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.VALUE_NUMBER_INT && token != JsonToken.VALUE_NUMBER_FLOAT) {
                throw invalid("embedding " + item + " holds a value that is not a number");
            }
            float f = finite((float) p.getDoubleValue(), item);
            if (n == values.length) {
                values = Arrays.copyOf(values, n * 2); // bounded: the body itself is
            }
            values[n++] = f;
        }
        if (n == 0) {
            throw invalid("embedding " + item + " is not a non-empty array of numbers");
        }
        return Arrays.copyOf(values, n);
    }

    private static float finite(float f, int item) {
        if (!Float.isFinite(f)) {
            throw invalid("embedding " + item + " holds a value that is not finite");
        }
        return f;
    }

    /** OpenAI's base64 form: the float32 values, little-endian, one after the other. */
    private static float[] base64Vector(String encoded, int item) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw invalid("embedding " + item + " is neither numbers nor base64");
        }
        if (bytes.length == 0 || bytes.length % Float.BYTES != 0) {
            throw invalid("embedding " + item + " is base64 of " + bytes.length + " bytes, not of float32 values");
        }
        float[] vector = Float32.decode(bytes);
        for (float f : vector) {
            finite(f, item);
        }
        return vector;
    }

    /**
     * The reported {@code prompt_tokens} when it is an int of at least 0; else null (absent,
     * negative, overflowing, not a number).
     */
    private static Integer readUsage(JsonParser p) {
        Integer tokens = null;
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if ("prompt_tokens".equals(name)
                    && value == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() == JsonParser.NumberType.INT
                    && p.getIntValue() >= 0) {
                tokens = p.getIntValue();
            } else {
                p.skipChildren();
            }
        }
        return tokens;
    }

    static ProviderException invalid(String what) {
        return ProviderException.badAnswer("invalid provider response: " + what);
    }
}
