package io.emfileguard.demo.launcher;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTitleAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The picture of one pair of runs, drawn with JFreeChart: two panels on one time axis, without and
 * with the agent. Each shows the child's descriptors and sockets as {@code /proc} saw them, against
 * the descriptor limit and the agent's cap, and on a second axis the calls waiting at the cap and
 * the requests failed so far. Written as a PNG, headless.
 */
final class RunChart {

    static final int WIDTH = 1100;
    static final int HEIGHT = 760;

    private static final Color DESCRIPTORS = new Color(0x55, 0x55, 0x55);
    private static final Color SOCKETS = new Color(0x1f, 0x77, 0xb4);
    private static final Color WAITING = new Color(0x2c, 0xa0, 0x2c);
    private static final Color FAILED = new Color(0xd6, 0x27, 0x28);
    private static final Color LIMIT = new Color(0x8b, 0x00, 0x00);
    private static final Color CAP = new Color(0xff, 0x7f, 0x0e);

    private RunChart() {
    }

    /**
     * Draws {@code plain} and {@code guarded} into {@code file} (PNG; parent folders created).
     * @param fdLimit the children's descriptor limit
     * @param title the chart's title
     */
    static Path write(Path file, RunResult plain, RunResult guarded, int fdLimit, String title) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        long cap = guarded.hasGate() ? guarded.number("gate.MaxSockets") : -1;
        NumberAxis time = new NumberAxis("seconds since the child JVM started");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(time);
        plot.setGap(14);
        plot.add(panel(plain, "without the agent", fdLimit, cap, false), 1);
        plot.add(panel(guarded, "with the agent", fdLimit, cap, true), 1);
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        chart.getLegend().setFrame(BlockBorder.NONE);
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
        return file;
    }

    /** One run: descriptors and sockets on the left axis, waiting threads and failures on the right. */
    private static XYPlot panel(RunResult run, String label, int fdLimit, long cap, boolean inLegend) {
        XYSeries descriptors = new XYSeries("descriptors (/proc)");
        XYSeries sockets = new XYSeries("sockets (/proc)");
        int highest = fdLimit;
        for (Timeline.FdPoint p : run.timeline.fds()) {
            descriptors.add(p.millis() / 1000.0, p.descriptors());
            sockets.add(p.millis() / 1000.0, p.sockets());
            highest = Math.max(highest, p.descriptors());
        }
        XYSeries waiting = new XYSeries("calls waiting at the cap (threads and deferred work)");
        XYSeries failed = new XYSeries("requests failed so far");
        int most = 100;
        for (Timeline.ProgressPoint p : run.timeline.progress()) {
            if (p.waiting() >= 0) {
                waiting.add(p.millis() / 1000.0, p.waiting());
            }
            failed.add(p.millis() / 1000.0, p.failed());
            most = Math.max(most, Math.max(p.waiting(), p.failed()));
        }

        XYSeriesCollection left = new XYSeriesCollection();
        left.addSeries(descriptors);
        left.addSeries(sockets);
        NumberAxis leftAxis = new NumberAxis("descriptors, sockets");
        leftAxis.setRange(0, highest * 1.2); // the top of each panel is left for its heading
        XYPlot plot = new XYPlot(left, null, leftAxis, lines(inLegend, DESCRIPTORS, SOCKETS));

        XYSeriesCollection right = new XYSeriesCollection();
        right.addSeries(waiting);
        right.addSeries(failed);
        NumberAxis rightAxis = new NumberAxis("waiting calls, requests");
        rightAxis.setRange(0, most * 1.2);
        plot.setRangeAxis(1, rightAxis);
        plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
        plot.setDataset(1, right);
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, lines(inLegend, WAITING, FAILED));

        plot.addRangeMarker(0, marker(fdLimit, "descriptor limit " + Report.number(fdLimit), LIMIT), Layer.FOREGROUND);
        if (cap > 0 && run.withAgent) {
            plot.addRangeMarker(0, marker(cap, "the agent's cap " + Report.number(cap), CAP), Layer.FOREGROUND);
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdd, 0xdd, 0xdd));
        plot.setRangeGridlinePaint(new Color(0xdd, 0xdd, 0xdd));
        TextTitle heading = new TextTitle(label + ": " + outcome(run), new Font(Font.SANS_SERIF, Font.BOLD, 13));
        heading.setPadding(new RectangleInsets(2, 4, 2, 4));
        plot.addAnnotation(new XYTitleAnnotation(0.01, 0.98, heading, RectangleAnchor.TOP_LEFT));
        return plot;
    }

    private static XYLineAndShapeRenderer lines(boolean inLegend, Paint... paints) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < paints.length; i++) {
            r.setSeriesPaint(i, paints[i]);
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesVisibleInLegend(i, inLegend);
        }
        return r;
    }

    private static ValueMarker marker(double value, String label, Color color) {
        ValueMarker m = new ValueMarker(value, color, new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                10f, new float[] {8f, 5f}, 0f));
        m.setLabel(label);
        m.setLabelPaint(color);
        m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        m.setLabelBackgroundColor(new Color(255, 255, 255, 220));
        m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
        m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
        return m;
    }

    /** "1,956 of 3,300 requests failed" or "3,300 of 3,300 succeeded". */
    static String outcome(RunResult r) {
        if (!r.reported()) {
            return "no result";
        }
        long requests = r.number("requests");
        long failed = r.number("failed");
        if (failed > 0) {
            return String.format(Locale.ROOT, "%,d of %,d requests failed (%,d Too many open files)", failed, requests,
                    r.number("failedTooManyOpenFiles"));
        }
        return String.format(Locale.ROOT, "%,d of %,d requests succeeded", r.number("succeeded"), requests);
    }
}
