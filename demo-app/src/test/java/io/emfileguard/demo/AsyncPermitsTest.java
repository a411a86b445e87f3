package io.emfileguard.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AsyncPermitsTest {

    @Test
    void grantsInArrivalOrderWithoutBlockingTheCaller() {
        AsyncPermits permits = new AsyncPermits(2);
        assertTrue(permits.acquire().isDone());
        assertTrue(permits.acquire().isDone());
        List<CompletableFuture<Void>> waiters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiters.add(permits.acquire());
        }
        assertTrue(waiters.stream().noneMatch(CompletableFuture::isDone));
        for (int i = 0; i < 5; i++) {
            permits.release();
            for (int j = 0; j < 5; j++) {
                assertEquals(j <= i, waiters.get(j).isDone(), "after release " + i + ", waiter " + j);
            }
        }
        assertEquals(0, permits.available());
        permits.release();
        permits.release();
        assertEquals(2, permits.available());
    }

    @Test
    void aNewcomerDoesNotJumpTheQueue() {
        AsyncPermits permits = new AsyncPermits(1);
        permits.acquire();
        CompletableFuture<Void> first = permits.acquire();
        permits.release();
        assertTrue(first.isDone());
        assertFalse(permits.acquire().isDone(), "the permit went to the waiter, not to a newcomer");
    }

    @Test
    void aCancelledWaiterLosesNoPermit() {
        AsyncPermits permits = new AsyncPermits(1);
        permits.acquire();
        CompletableFuture<Void> cancelled = permits.acquire();
        CompletableFuture<Void> next = permits.acquire();
        assertTrue(cancelled.cancel(false));
        permits.release();
        assertTrue(next.isDone() && !next.isCompletedExceptionally(), "the permit skipped the cancelled waiter");
        permits.release();
        assertEquals(1, permits.available());
        assertEquals(0, permits.waiting());
    }

    @Test
    void runGivesThePermitBackOnSuccessFailureAndThrow() {
        AsyncPermits permits = new AsyncPermits(1);
        CompletableFuture<String> ok = new CompletableFuture<>();
        CompletableFuture<String> first = permits.run(() -> ok);
        AtomicInteger issued = new AtomicInteger();
        CompletableFuture<String> failing = new CompletableFuture<>();
        CompletableFuture<String> second = permits.run(() -> {
            issued.incrementAndGet();
            return failing;
        });
        CompletableFuture<String> third = permits.run(() -> {
            throw new IllegalStateException("sendAsync threw");
        });
        assertEquals(0, issued.get(), "issued only once a permit is granted");
        ok.complete("a");
        assertEquals("a", first.join());
        assertEquals(1, issued.get());
        failing.completeExceptionally(new RuntimeException("call failed"));
        assertThrows(CompletionException.class, second::join);
        assertThrows(CompletionException.class, third::join);
        assertEquals(1, permits.available(), "every permit back");
    }

    @Test
    void neverMoreThanThePermitsAtOnceUnderConcurrency() throws Exception {
        AsyncPermits permits = new AsyncPermits(4);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(2000);
        try {
            for (int i = 0; i < 2000; i++) {
                calls.add(permits.run(() -> {
                    most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    return CompletableFuture.runAsync(() -> {
                        inside.decrementAndGet();
                        done.countDown();
                    }, pool);
                }));
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(most.get() <= 4, "at most 4 at once, saw " + most.get());
        assertEquals(4, permits.available());
    }
}
