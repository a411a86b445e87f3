package io.emfileguard.agent.interception;

import io.emfileguard.agent.docs.GeneratedBlock;
import org.junit.jupiter.api.Test;

/** docs/how-it-works.md's table of interception points is generated from {@link InterceptionPoints}: it cannot drift. */
class InterceptionTableDocTest {
    private static final String BEGIN = "<!-- interception-points:begin";
    private static final String END = "<!-- interception-points:end -->";

    @Test
    void docsListExactlyTheInterceptionTable() throws Exception {
        GeneratedBlock.check(GeneratedBlock.repoFile("docs/how-it-works.md"), BEGIN, END,
                InterceptionPoints.markdownTable(), "InterceptionTableDocTest");
    }
}
