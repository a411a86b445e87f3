package io.emfileguard.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

/** EMFILE is recognised however the client wraps it, and nothing else is taken for it. */
class FailuresTest {

    private static final SocketException EMFILE = new SocketException("Too many open files");

    @Test
    void recognisesEveryWrappingTheClientsUse() {
        // HttpURLConnection: the SocketException itself
        assertTrue(Failures.isTooManyOpenFiles(EMFILE));
        // AWS SDK: SdkClientException("Unable to execute HTTP request: Too many open files") in a CompletionException
        assertTrue(Failures.isTooManyOpenFiles(new CompletionException(
                SdkClientException.builder().message("Unable to execute HTTP request: Too many open files").cause(EMFILE).build())));
        // JDK HttpClient on JDK 17: InternalError(SocketException) inside the future's CompletionException
        assertTrue(Failures.isTooManyOpenFiles(new CompletionException(new InternalError(EMFILE))));
        // a cause only reachable as a suppressed exception
        IOException outer = new IOException("connect failed");
        outer.addSuppressed(EMFILE);
        assertTrue(Failures.isTooManyOpenFiles(outer));
    }

    @Test
    void otherFailuresAreNotEmfile() {
        assertFalse(Failures.isTooManyOpenFiles(new ConnectException("Connection refused")));
        assertFalse(Failures.isTooManyOpenFiles(new CompletionException(new IllegalStateException("HTTP 500"))));
        Throwable loop = new RuntimeException("a");
        Throwable other = new RuntimeException("b", loop);
        loop.initCause(other);
        assertFalse(Failures.isTooManyOpenFiles(loop), "a cause cycle ends");
    }

    @Test
    void describesTheEmfileCauseOrTheRootCause() {
        assertEquals("SocketException: Too many open files", Failures.describe(new CompletionException(
                SdkClientException.builder().message("Unable to execute HTTP request: Too many open files").cause(EMFILE).build())));
        assertEquals("ConnectException: Connection refused", Failures.describe(
                new CompletionException(new IOException("wrapped", new ConnectException("Connection refused")))));
    }
}
