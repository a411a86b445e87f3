package io.emfileguard.demo;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live tally of one batch: every call ends exactly once as succeeded, failed with
 * "Too many open files", or failed otherwise; calls still running at the deadline are unfinished.
 * Thread-safe; read it while the batch runs for progress.
 */
public final class FanOutResult {

    /** Distinct error descriptions kept; the rest are counted under "(other errors)". */
    static final int MAX_DISTINCT_ERRORS = 20;

    private final int records;
    private final int services;
    private final List<ClientKind> clients;
    private final long startNanos = System.nanoTime();
    private final AtomicLong issuedNanos = new AtomicLong();
    private final AtomicLong endNanos = new AtomicLong();
    private final Map<ClientKind, Tally> byClient = new EnumMap<>(ClientKind.class);
    private final Tally total = new Tally();
    private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();

    public FanOutResult(int records, int services, List<ClientKind> clients) {
        this.records = records;
        this.services = services;
        this.clients = List.copyOf(clients);
        for (ClientKind kind : ClientKind.values()) {
            byClient.put(kind, new Tally());
        }
    }

    void started(ClientKind kind) {
        total.requests.incrementAndGet();
        byClient.get(kind).requests.incrementAndGet();
    }

    void succeeded(ClientKind kind) {
        total.succeeded.incrementAndGet();
        Tally tally = byClient.get(kind);
        tally.succeeded.incrementAndGet();
        tally.lastDoneNanos.accumulateAndGet(System.nanoTime(), Math::max);
    }

    /** Records a failed call; returns true when it was a descriptor-limit failure. */
    boolean failed(ClientKind kind, Throwable failure) {
        boolean emfile = Failures.isTooManyOpenFiles(failure);
        Tally tally = byClient.get(kind);
        tally.lastDoneNanos.accumulateAndGet(System.nanoTime(), Math::max);
        if (emfile) {
            total.tooManyOpenFiles.incrementAndGet();
            tally.tooManyOpenFiles.incrementAndGet();
        } else {
            total.otherFailures.incrementAndGet();
            tally.otherFailures.incrementAndGet();
        }
        String key = kind.id() + ": " + Failures.describe(failure);
        AtomicInteger count = errors.get(key);
        if (count == null && errors.size() >= MAX_DISTINCT_ERRORS) {
            key = kind.id() + ": (other errors)";
        }
        errors.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return emfile;
    }

    /** Every call has been handed to its client (blocking ones on their own thread). */
    void issued() {
        issuedNanos.compareAndSet(0, System.nanoTime());
    }

    /** Milliseconds from the start of the batch until every call was issued, -1 before that. */
    public long issueMillis() {
        long issued = issuedNanos.get();
        return issued == 0 ? -1 : (issued - startNanos) / 1_000_000;
    }

    void finish() {
        endNanos.compareAndSet(0, System.nanoTime());
    }

    public int requests() {
        return total.requests.get();
    }

    public int succeeded() {
        return total.succeeded.get();
    }

    public int tooManyOpenFiles() {
        return total.tooManyOpenFiles.get();
    }

    public int otherFailures() {
        return total.otherFailures.get();
    }

    /** Calls that ended, one way or the other. */
    public int done() {
        return succeeded() + tooManyOpenFiles() + otherFailures();
    }

    /** Calls not ended when the result was read (at the deadline: given up on, counted as failed). */
    public int unfinished() {
        return requests() - done();
    }

    public int failed() {
        return tooManyOpenFiles() + otherFailures() + (endNanos.get() != 0 ? unfinished() : 0);
    }

    public long wallMillis() {
        long end = endNanos.get();
        return ((end != 0 ? end : System.nanoTime()) - startNanos) / 1_000_000;
    }

    /** The handler's answer: plain maps, lists, strings and numbers, as Lambda serializes them. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("records", records);
        map.put("services", services);
        map.put("clients", ClientKind.ids(clients));
        map.put("requests", requests());
        map.put("succeeded", succeeded());
        map.put("failed", failed());
        map.put("failedTooManyOpenFiles", tooManyOpenFiles());
        map.put("failedOther", otherFailures());
        map.put("unfinished", unfinished());
        map.put("wallMillis", wallMillis());
        map.put("issueMillis", issueMillis());
        Map<String, Object> perClient = new LinkedHashMap<>();
        for (ClientKind kind : ClientKind.values()) {
            Tally tally = byClient.get(kind);
            if (tally.requests.get() == 0) {
                continue;
            }
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("requests", tally.requests.get());
            one.put("succeeded", tally.succeeded.get());
            one.put("failedTooManyOpenFiles", tally.tooManyOpenFiles.get());
            one.put("failedOther", tally.otherFailures.get());
            long last = tally.lastDoneNanos.get();
            // when this client's last call ended, from the batch's start: which kind the batch waited for
            one.put("lastDoneMillis", last == 0 ? -1 : (last - startNanos) / 1_000_000);
            perClient.put(kind.id(), one);
        }
        map.put("byClient", perClient);
        List<Map<String, Object>> errorList = new ArrayList<>();
        errors.entrySet().stream()
                .sorted((a, b) -> Integer.compare(b.getValue().get(), a.getValue().get()))
                .forEach(e -> {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("count", e.getValue().get());
                    one.put("error", e.getKey());
                    errorList.add(one);
                });
        map.put("errors", errorList);
        return map;
    }

    private static final class Tally {
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger succeeded = new AtomicInteger();
        final AtomicInteger tooManyOpenFiles = new AtomicInteger();
        final AtomicInteger otherFailures = new AtomicInteger();
        final AtomicLong lastDoneNanos = new AtomicLong();
    }
}
