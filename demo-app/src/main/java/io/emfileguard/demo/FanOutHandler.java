package io.emfileguard.demo;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The field's Lambda function: for every record of the event it calls {@code services} downstream
 * services in parallel, all records at once. 300 records and 11 services are 3,300 requests in
 * flight together, in a process that Lambda limits to 1,024 descriptors.
 *
 * <p>Event: {@code {"records": 300}} (that many synthetic records), or {@code {"records": [...]}}
 * / {@code {"Records": [...]}} (one call set per element; an element's {@code "id"},
 * {@code "messageId"} or its text names it). Optional {@code "services"} and {@code "clients"}
 * override the configuration ({@link FanOutConfig}) for this invocation.
 *
 * <p>Answer: counts of requests, successes and failures (those with "Too many open files" apart),
 * per client, the most frequent errors, the wall time, and the {@code io.emfileguard:type=SocketGate}
 * MBean's values under {@code "socketGate"} when an agent registered one. This class knows nothing of
 * the agent.
 */
public class FanOutHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    private final FanOutConfig config;
    private final Downstream downstream;
    private volatile FanOutResult current;

    /** Lambda's constructor: configuration from the environment. */
    public FanOutHandler() {
        this(FanOutConfig.fromEnvironment());
    }

    public FanOutHandler(FanOutConfig config) {
        this.config = config;
        this.downstream = new Downstream(config);
        SocketGateStats.warmUp();
    }

    public FanOutConfig config() {
        return config;
    }

    /** The batch running now (or the last one): a live tally for progress reports. */
    public FanOutResult current() {
        return current;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        List<String> records = records(event);
        int services = event.get("services") instanceof Number
                ? ((Number) event.get("services")).intValue() : config.services;
        List<ClientKind> clients = event.get("clients") instanceof String
                ? ClientKind.parseMix((String) event.get("clients")) : config.clients;
        long deadlineMillis = config.deadline.toMillis();
        if (context != null && context.getRemainingTimeInMillis() > 0) {
            // leave a second to answer before Lambda's own timeout
            deadlineMillis = Math.min(deadlineMillis, Math.max(1000, context.getRemainingTimeInMillis() - 1000L));
        }

        FanOutResult result = new FanOutResult(records.size(), services, clients);
        current = result;
        List<CompletableFuture<Void>> calls = new ArrayList<>(records.size() * services);
        CountDownLatch go = new CountDownLatch(1);
        for (String record : records) {
            for (int service = 0; service < services; service++) {
                ClientKind kind = clients.get(service % clients.size());
                result.started(kind);
                CompletableFuture<Void> call;
                try {
                    call = downstream.call(kind, service, record, go);
                } catch (RuntimeException e) {
                    // sendAsync and executor submission may throw instead of failing the future
                    call = CompletableFuture.failedFuture(e);
                }
                calls.add(call.whenComplete((ok, failure) -> {
                    if (failure == null) {
                        result.succeeded(kind);
                    } else {
                        result.failed(kind, failure);
                    }
                }));
            }
        }
        result.issued();
        go.countDown();
        try {
            CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]))
                    .get(deadlineMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // every failure is already counted by its own call
        } catch (TimeoutException e) {
            // calls still running now are reported as unfinished, and failed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        result.finish();
        Map<String, Object> answer = result.toMap();
        Map<String, Object> gate = SocketGateStats.read();
        if (!gate.isEmpty()) {
            answer.put("socketGate", gate);
        }
        return answer;
    }

    static List<String> records(Map<String, Object> event) {
        Object records = event.containsKey("records") ? event.get("records") : event.get("Records");
        List<String> ids = new ArrayList<>();
        if (records instanceof Number) {
            int n = ((Number) records).intValue();
            for (int i = 1; i <= n; i++) {
                ids.add("record-" + i);
            }
        } else if (records instanceof Collection) {
            int i = 0;
            for (Object record : (Collection<?>) records) {
                i++;
                ids.add(recordId(record, i));
            }
        } else if (records instanceof String) {
            ids.addAll(records(Map.of("records", Integer.parseInt(((String) records).trim()))));
        } else {
            throw new IllegalArgumentException("event needs \"records\": a count or a list");
        }
        return ids;
    }

    private static String recordId(Object record, int position) {
        if (record instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) record;
            for (String key : new String[] {"id", "messageId", "eventID"}) {
                if (map.get(key) != null) {
                    return String.valueOf(map.get(key));
                }
            }
            return "record-" + position;
        }
        return record == null ? "record-" + position : String.valueOf(record);
    }
}
