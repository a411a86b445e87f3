package io.emfileguard.agent.config;

import io.emfileguard.agent.docs.GeneratedBlock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/configuration.md's table is generated from {@link Setting}: it cannot drift from the settings
 * the agent reads (and the doctor lists), and the ranges and values it states are the ones
 * {@link ConfigResolver} accepts.
 */
class ConfigurationDocTest {
    private static final String BEGIN = "<!-- settings:begin";
    private static final String END = "<!-- settings:end -->";

    @Test
    void docsListExactlyTheSettings() throws Exception {
        Path doc = GeneratedBlock.repoFile("docs/configuration.md");
        GeneratedBlock.check(doc, BEGIN, END, Setting.markdownTable(), "ConfigurationDocTest");
        String text = new String(Files.readAllBytes(doc), StandardCharsets.UTF_8);
        for (Setting s : Setting.values()) {
            assertTrue(text.contains("| `" + s.key + "` |"), "docs/configuration.md lacks " + s.key);
        }
    }

    @Test
    void everySettingIsDescribed() {
        for (Setting s : Setting.values()) {
            assertNotNull(s.description, s.key);
            assertFalse(s.description.isEmpty() || s.description.contains("\n") || s.description.contains("|"),
                    s.key + ": one line, no table separators");
            assertNotNull(s.valuesDoc(), s.key);
        }
    }

    @Test
    void statedRangesAreTheAcceptedOnes() {
        for (Setting s : Setting.values()) {
            if (!s.isWholeNumber()) {
                continue;
            }
            accepted(s, Long.toString(s.min));
            accepted(s, Long.toString(s.max));
            rejected(s, Long.toString(s.min - 1));
            rejected(s, Long.toString(s.max + 1));
        }
    }

    @Test
    void statedChoicesAreTheAcceptedOnes() {
        for (Setting s : Setting.values()) {
            String[] choices = s.choices();
            if (choices == null) {
                continue;
            }
            for (String c : choices) {
                accepted(s, c);
            }
            rejected(s, "sometimes");
        }
    }

    private static AgentConfig resolveWith(Setting s, String value) {
        Properties p = new Properties();
        p.setProperty(s.systemProperty(), value);
        return ConfigResolver.resolve(null, Collections.<String, String>emptyMap(), p, DescriptorLimit.of(1024, 1024));
    }

    private static void accepted(Setting s, String value) {
        AgentConfig c = resolveWith(s, value);
        assertEquals(Collections.emptyList(), c.problems(), s.key + "=" + value + " should be accepted");
        assertEquals(Source.SYSTEM_PROPERTY, c.sourceOf(s), s.key + "=" + value);
        assertEquals(value, c.valueOf(s), s.key);
    }

    private static void rejected(Setting s, String value) {
        AgentConfig c = resolveWith(s, value);
        assertEquals(1, c.problems().size(), s.key + "=" + value + " should be rejected: " + c.problems());
        assertTrue(c.problems().get(0).contains("setting " + s.key), c.problems().get(0));
    }
}
