package io.emfileguard.demo.stub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The stub speaks what the real SDK clients expect: they parse its answers into their models, check
 * DynamoDB's CRC32, and map Lambda's invocation types to status codes.
 */
class StubWireFormatTest {

    private static StubServer stub;
    private static DynamoDbClient dynamoDb;
    private static LambdaClient lambda;

    @BeforeAll
    static void start() throws Exception {
        stub = StubServer.start(0, 0, 0);
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIATEST", "secret"));
        dynamoDb = DynamoDbClient.builder()
                .endpointOverride(URI.create(stub.endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials)
                .httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
                .build();
        lambda = LambdaClient.builder()
                .endpointOverride(URI.create(stub.endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    @AfterAll
    static void stop() {
        dynamoDb.close();
        lambda.close();
        stub.close();
    }

    @Test
    void dynamoDbGetItemReturnsTheRequestedKeyAsTypedAttributes() {
        GetItemResponse response = dynamoDb.getItem(b -> b.tableName("orders")
                .key(Map.of("pk", AttributeValue.fromS("record-7"))));
        assertTrue(response.hasItem());
        assertEquals("record-7", response.item().get("pk").s());
        assertEquals("orders", response.item().get("table").s());
        assertEquals("42", response.item().get("quantity").n());
        assertEquals(Boolean.TRUE, response.item().get("active").bool());
        assertTrue(response.responseMetadata().requestId().length() > 10, "x-amzn-RequestId is passed through");
    }

    @Test
    void dynamoDbQueryReturnsCountAndItems() {
        QueryResponse response = dynamoDb.query(b -> b.tableName("orders")
                .keyConditionExpression("pk = :pk")
                .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS("record-9"))));
        assertEquals(1, response.count());
        assertEquals(1, response.scannedCount());
        assertEquals("record-9", response.items().get(0).get("pk").s());
    }

    @Test
    void dynamoDbOperationsTheStubDoesNotKnowFailAsServiceErrors() {
        DynamoDbException e = assertThrows(DynamoDbException.class,
                () -> dynamoDb.deleteItem(b -> b.tableName("orders").key(Map.of("pk", AttributeValue.fromS("x")))));
        assertEquals(400, e.statusCode());
        assertEquals("UnknownOperationException", e.awsErrorDetails().errorCode());
    }

    @Test
    void lambdaEventInvokeIsAccepted() {
        InvokeResponse response = lambda.invoke(b -> b.functionName("service-4")
                .invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"record\":\"r1\"}")));
        assertEquals(202, response.statusCode());
    }

    @Test
    void lambdaRequestResponseInvokeReturnsThePayload() {
        InvokeResponse response = lambda.invoke(b -> b.functionName("service-4")
                .invocationType(InvocationType.REQUEST_RESPONSE)
                .payload(SdkBytes.fromUtf8String("{\"record\":\"r1\"}")));
        assertEquals(200, response.statusCode());
        assertEquals("$LATEST", response.executedVersion());
        assertEquals("{\"function\":\"service-4\",\"received\":{\"record\":\"r1\"}}", response.payload().asUtf8String());
    }

    @Test
    void lambdaDryRunAnswersNoContent() {
        InvokeResponse response = lambda.invoke(b -> b.functionName("service-4").invocationType(InvocationType.DRY_RUN));
        assertEquals(204, response.statusCode());
    }

    @Test
    void plainServiceAnswersJson() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create(stub.endpoint() + "/services/service-1?record=a%20b")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals("{\"service\":\"service-1\",\"record\":\"a b\",\"status\":\"ok\"}", response.body());
        HttpResponse<String> missing = client.send(HttpRequest.newBuilder(URI.create(stub.endpoint() + "/nope")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, missing.statusCode());
    }
}
