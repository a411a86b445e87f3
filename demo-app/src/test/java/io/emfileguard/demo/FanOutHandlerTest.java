package io.emfileguard.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.emfileguard.demo.stub.StubServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The handler against the stubs: every call of every client counted once, in the right column. */
class FanOutHandlerTest {

    private static StubServer stub;

    @BeforeAll
    static void start() throws Exception {
        stub = StubServer.start(0, 30, 10);
    }

    @AfterAll
    static void stop() {
        stub.close();
    }

    @Test
    void everyRecordCallsEveryServiceWithTheClientsOfTheMix() throws Exception {
        FanOutHandler handler = new FanOutHandler(FanOutConfig.forEndpoint(stub.endpoint(), 11,
                ClientKind.parseMix(ClientKind.DEFAULT_MIX)));
        long before = stub.received();
        Map<String, Object> answer = handler.handleRequest(Map.of("records", 5), null);

        assertEquals(5, answer.get("records"));
        assertEquals(55, answer.get("requests"));
        assertEquals(55, answer.get("succeeded"), () -> "errors: " + answer.get("errors"));
        assertEquals(0, answer.get("failed"));
        assertEquals(0, answer.get("unfinished"));
        assertEquals(55L, stub.received() - before, "each call reached the stub once");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> byClient = (Map<String, Map<String, Object>>) answer.get("byClient");
        // services 1..11 take httpclient, urlconnection, dynamodb, lambda, dynamodb-async in turn: 3, 2, 2, 2
        // and 2 per record
        assertEquals(15, byClient.get("httpclient").get("succeeded"));
        assertEquals(10, byClient.get("urlconnection").get("succeeded"));
        assertEquals(10, byClient.get("dynamodb").get("succeeded"));
        assertEquals(10, byClient.get("lambda").get("succeeded"));
        assertEquals(10, byClient.get("dynamodb-async").get("succeeded"));
        assertFalse(answer.containsKey("socketGate"), "no agent in this JVM, so no MBean");
        assertTrue(new ObjectMapper().writeValueAsString(answer).startsWith("{\"records\":5,\"services\":11,"));
    }

    @Test
    void theAsyncDynamoDbClientReadsAndQueriesTheStubFromTheHandlersThread() {
        FanOutHandler handler = new FanOutHandler(FanOutConfig.forEndpoint(stub.endpoint(), 2,
                List.of(ClientKind.DYNAMODB_ASYNC)));
        Map<String, Object> answer = handler.handleRequest(Map.of("records", 3), null);
        assertEquals(6, answer.get("succeeded"), () -> "errors: " + answer.get("errors"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> byClient = (Map<String, Map<String, Object>>) answer.get("byClient");
        assertEquals(6, byClient.get("dynamodb-async").get("succeeded"), "GetItem (service 1) and Query (service 2)");
    }

    @Test
    void theEventMayListRecordsAndOverrideServicesAndClients() {
        FanOutHandler handler = new FanOutHandler(FanOutConfig.forEndpoint(stub.endpoint(), 11, List.of(ClientKind.URLCONNECTION)));
        Map<String, Object> answer = handler.handleRequest(Map.of(
                "Records", List.of(Map.of("messageId", "m-1"), Map.of("messageId", "m-2"), "plain"),
                "services", 2,
                "clients", "urlconnection,lambda"), null);
        assertEquals(3, answer.get("records"));
        assertEquals(6, answer.get("requests"));
        assertEquals(6, answer.get("succeeded"), () -> "errors: " + answer.get("errors"));
        assertEquals("urlconnection,lambda", answer.get("clients"));
    }

    @Test
    void failuresAreCountedOnceEachAndNotAsTooManyOpenFiles() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String nowhere = "http://127.0.0.1:" + closedPort;
        FanOutConfig config = new FanOutConfig(nowhere, nowhere, nowhere, 4, ClientKind.parseMix("all"),
                Duration.ofSeconds(5), Duration.ofSeconds(20), "us-east-1");
        FanOutHandler handler = new FanOutHandler(config);
        Map<String, Object> answer = handler.handleRequest(Map.of("records", 2), null);
        assertEquals(8, answer.get("requests"));
        assertEquals(0, answer.get("succeeded"));
        assertEquals(8, answer.get("failed"));
        assertEquals(8, answer.get("failedOther"));
        assertEquals(0, answer.get("failedTooManyOpenFiles"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> errors = (List<Map<String, Object>>) answer.get("errors");
        assertEquals(8, errors.stream().mapToInt(e -> (Integer) e.get("count")).sum());
        assertTrue(errors.stream().allMatch(e -> e.get("error").toString().contains("Connect")),
                () -> "connection refused, named as such: " + errors);
    }

    @Test
    void recordsComeFromACountAListOrText() {
        assertEquals(List.of("record-1", "record-2"), FanOutHandler.records(Map.of("records", 2)));
        assertEquals(List.of("a", "record-2", "x"), FanOutHandler.records(Map.of("records",
                List.of("a", Map.of("other", 1), Map.of("id", "x")))));
        assertEquals(List.of("record-1"), FanOutHandler.records(Map.of("records", "1")));
    }
}
