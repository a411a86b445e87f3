package io.emfileguard.agent.interception;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The README's table of interception points is generated from {@link InterceptionPoints}: it cannot drift. */
class InterceptionTableDocTest {
    private static final String BEGIN = "<!-- interception-points:begin";
    private static final String END = "<!-- interception-points:end -->";

    @Test
    void readmeListsExactlyTheInterceptionTable() throws Exception {
        Path readme = Paths.get("..", "README.md");
        String text = new String(Files.readAllBytes(readme), StandardCharsets.UTF_8);
        int begin = text.indexOf('\n', text.indexOf(BEGIN)) + 1;
        int end = text.indexOf(END);
        String expected = InterceptionPoints.markdownTable();
        if (Boolean.getBoolean("emfileguard.docs.write")) {
            Files.write(readme, (text.substring(0, begin) + expected + text.substring(end))
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        assertEquals(expected, text.substring(begin, end),
                "README.md's interception table is out of date; regenerate it with "
                        + "mvn -pl agent test -Dtest=InterceptionTableDocTest -Demfileguard.docs.write=true");
    }
}
