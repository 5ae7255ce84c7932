package org.qaembeddings.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Deterministic QA pairs of mixed lengths: the same seed gives the same texts on every machine. */
final class Texts {

    record Pair(String question, String answer) {
        String rendered() {
            return "Question: " + question + "\nAnswer: " + answer;
        }
    }

    private static final String[] WORDS = ("account password reset billing invoice refund order shipping delivery "
                    + "customer support team settings profile security login email address phone number payment card "
                    + "subscription plan upgrade downgrade cancel renew "
                    + "trial free premium feature export import data file "
                    + "report dashboard chart user admin role permission access token key integration webhook event "
                    + "notification alert message error warning timeout retry limit quota usage storage backup restore "
                    + "version release update install configure enable "
                    + "disable network server database query index search "
                    + "result page list item detail history activity log audit policy privacy terms contract license "
                    + "the a an of to in for on with by from at is are was be can will should may must not and or if "
                    + "when how what why which who your our their this that these those it its we you they")
            .split(" ");

    private Texts() {}

    /** {@code n} pairs whose question and answer together have 20 to 300 words. */
    static List<Pair> pairs(int n, long seed) {
        Random random = new Random(seed);
        List<Pair> pairs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int total = 20 + random.nextInt(281);
            int questionWords = 5 + random.nextInt(11);
            String question = sentence(random, questionWords) + " #" + i + "?";
            String answer = sentence(random, total - questionWords) + ".";
            pairs.add(new Pair(question, answer));
        }
        return pairs;
    }

    private static String sentence(Random random, int words) {
        StringBuilder out = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                out.append(' ');
            }
            String word = WORDS[random.nextInt(WORDS.length)];
            out.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
        }
        return out.toString();
    }
}
