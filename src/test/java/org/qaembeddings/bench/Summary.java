package org.qaembeddings.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Min, median and max of the measured rounds of one figure. */
record Summary(double min, double median, double max) {

    static Summary of(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Summary(sorted.get(0), median, sorted.get(n - 1));
    }

    /** The value at quantile {@code q} (0..1) of {@code values}, nearest rank. */
    static double quantile(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    String format(String pattern) {
        return String.format(Locale.ROOT, pattern, median) + " (" + String.format(Locale.ROOT, pattern, min) + " – "
                + String.format(Locale.ROOT, pattern, max) + ")";
    }
}
