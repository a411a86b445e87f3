package io.emfileguard.core;

import java.util.function.BiConsumer;

/** {@link GateEvents} sinks for tests that watch one kind of event. */
public final class TestEvents {

    private TestEvents() {
    }

    /** A sink that hands every internal error to {@code onError}. */
    public static GateEvents onInternalError(BiConsumer<String, Throwable> onError) {
        return new GateEvents() {
            @Override
            public void internalError(String where, Throwable error) {
                onError.accept(where, error);
            }
        };
    }

    /** A sink that hands every requested collection ({@code freed}, {@code total}) to {@code onCollection}. */
    public static GateEvents onCollection(BiConsumer<Integer, Long> onCollection) {
        return new GateEvents() {
            @Override
            public void collectionRequested(int freed, long total) {
                onCollection.accept(freed, total);
            }
        };
    }
}
