package io.emfileguard.bench;

import java.util.Arrays;
import java.util.List;

/** Medians and percentiles (nearest rank). */
final class Stats {
    private Stats() {
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] a = new double[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return median(a);
    }

    static double median(double[] values) {
        double[] a = values.clone();
        Arrays.sort(a);
        int n = a.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    /** Nearest-rank percentile of a sorted or unsorted array, p in (0, 100]. */
    static long percentile(long[] values, double p) {
        long[] a = values.clone();
        Arrays.sort(a);
        if (a.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * a.length);
        return a[Math.max(0, Math.min(a.length - 1, rank - 1))];
    }

    static double min(List<Double> values) {
        double m = Double.NaN;
        for (double v : values) {
            m = Double.isNaN(m) ? v : Math.min(m, v);
        }
        return m;
    }

    static double max(List<Double> values) {
        double m = Double.NaN;
        for (double v : values) {
            m = Double.isNaN(m) ? v : Math.max(m, v);
        }
        return m;
    }
}
