package org.qaembeddings.fault;

import org.qaembeddings.support.Api;
import org.qaembeddings.support.FakeOpenAiServer;
import tools.jackson.databind.JsonNode;

/** What the fault tests check at the end: a pair's stored vector is the one of its current text. */
final class Pipeline {

    private Pipeline() {}

    /**
     * The text the service embeds for a pair under the default template, written out here rather
     * than taken from the service, so that the check does not share the code it checks.
     */
    static String rendered(String question, String answer) {
        return "Question: " + question + "\nAnswer: " + answer;
    }

    /** Whether the pair is COMPLETED with exactly the vector of its current text. */
    static boolean embeddedForCurrentText(Api api, String id, int dimensions) {
        JsonNode pair = api.get("/api/qa-pairs/" + id).json();
        JsonNode embedding = api.get("/api/qa-pairs/" + id + "/embedding").json();
        if (pair == null
                || embedding == null
                || !"COMPLETED".equals(embedding.path("status").asString())) {
            return false;
        }
        float[] expected = FakeOpenAiServer.vectorFor(
                rendered(pair.path("question").asString(), pair.path("answer").asString()), dimensions);
        JsonNode vector = embedding.path("vector");
        if (vector.size() != expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (vector.get(i).floatValue() != expected[i]) {
                return false;
            }
        }
        return true;
    }
}
