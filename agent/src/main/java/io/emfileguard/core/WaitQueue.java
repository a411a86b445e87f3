package io.emfileguard.core;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * What waits at the cap, in one arrival order: parked threads and deferred work alike
 * ({@link SocketGate}'s two kinds of {@link Node}). A doubly linked list of its own nodes, so that a
 * node whose wait ends early (cancel, timeout, interrupt) leaves in O(1) wherever it stands: a
 * queue of 3,300 deferred calls must not be walked for each of them. Guarded by the gate's lock.
 */
final class WaitQueue {

    /**
     * One waiter. Its state moves once, by compare-and-set: WAITING -&gt; GRANTED (a unit is taken
     * for it) or WAITING -&gt; CANCELLED (it left without one). Whoever loses that race knows it at
     * once: a grant that loses passes its unit on, a cancel that loses keeps (or gives back) the unit.
     */
    abstract static class Node {
        static final int WAITING = 0;
        static final int GRANTED = 1;
        static final int CANCELLED = 2;
        private static final AtomicIntegerFieldUpdater<Node> STATE =
                AtomicIntegerFieldUpdater.newUpdater(Node.class, "state");

        private volatile int state = WAITING;
        /** Arrival number: minus the gate's dequeued count, about how many nodes are ahead (never more). */
        long ticket;
        /** When it started waiting, on the gate's clock. */
        long startNanos;
        private Node prev;
        private Node next;
        private boolean linked;

        final int state() {
            return state;
        }

        public final boolean isWaiting() {
            return state == WAITING;
        }

        final boolean isGranted() {
            return state == GRANTED;
        }

        /** WAITING -&gt; {@code to}, once; false if the node's wait had already ended. */
        final boolean leaveWaiting(int to) {
            return STATE.compareAndSet(this, WAITING, to);
        }
    }

    private Node head;
    private Node tail;
    private int size;

    void addLast(Node n) {
        n.prev = tail;
        n.next = null;
        if (tail == null) {
            head = n;
        } else {
            tail.next = n;
        }
        tail = n;
        n.linked = true;
        size++;
    }

    Node peekFirst() {
        return head;
    }

    Node pollFirst() {
        Node n = head;
        if (n != null) {
            remove(n);
        }
        return n;
    }

    /** @return whether it was in the queue */
    boolean remove(Node n) {
        if (!n.linked) {
            return false;
        }
        if (n.prev == null) {
            head = n.next;
        } else {
            n.prev.next = n.next;
        }
        if (n.next == null) {
            tail = n.prev;
        } else {
            n.next.prev = n.prev;
        }
        n.prev = null;
        n.next = null;
        n.linked = false;
        size--;
        return true;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The node after {@code n} (the first for null), walking from the head. */
    Node after(Node n) {
        return n == null ? head : n.next;
    }
}
