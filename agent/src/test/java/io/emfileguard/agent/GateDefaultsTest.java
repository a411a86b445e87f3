package io.emfileguard.agent;

import io.emfileguard.agent.config.AgentConfig;
import io.emfileguard.agent.config.ConfigResolver;
import io.emfileguard.agent.config.DescriptorLimit;
import io.emfileguard.agent.config.Setting;
import io.emfileguard.agent.docs.GeneratedBlock;
import io.emfileguard.core.GateSettings;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gate's defaults are written once, in {@link GateSettings}'s {@code DEFAULT_} constants, and
 * {@link Setting} (so the resolver and the docs' table) declares its defaults from them. A second copy
 * of a default (a literal in a row of {@code Setting}, or in {@code GateSettings.of}) fails here,
 * and so does any drift between what the agent resolves and {@link GateSettings#of}.
 */
class GateDefaultsTest {
    private static final Setting[] GATE_SETTINGS = {
        Setting.HOLD_MILLIS, Setting.MAX_WAIT_MILLIS, Setting.ON_TIMEOUT, Setting.EVENT_LOOP_AT_CAP};

    @Test
    void whatTheAgentResolvesWithNothingSetIsGateSettingsOf() {
        AgentConfig config = ConfigResolver.resolve(null, Map.of(), new Properties(), DescriptorLimit.of(1024, 1024));
        GateSettings resolved = ActiveAgent.toGateSettings(config);
        GateSettings defaults = GateSettings.of(config.maxSockets);
        assertEquals(defaults.holdMillis, resolved.holdMillis);
        assertEquals(defaults.maxWaitMillis, resolved.maxWaitMillis);
        assertEquals(defaults.onTimeout, resolved.onTimeout);
        assertEquals(defaults.refuseEventLoopsAtCap, resolved.refuseEventLoopsAtCap);
        assertEquals(defaults.excludes, resolved.excludes);
        assertEquals(defaults.toString(), resolved.toString());
    }

    @Test
    void theSettingRowsOfTheGateTakeTheirDefaultsFromGateSettings() throws Exception {
        String source = new String(Files.readAllBytes(GeneratedBlock.repoFile(
                "agent/src/main/java/io/emfileguard/agent/config/Setting.java")), StandardCharsets.UTF_8);
        for (Setting s : GATE_SETTINGS) {
            Matcher row = Pattern.compile("\\b" + s.name() + "\\(\"" + Pattern.quote(s.key) + "\",\\s*(\\S+)")
                    .matcher(source);
            assertTrue(row.find(), "no row for " + s);
            assertTrue(row.group(1).contains("GateSettings.DEFAULT_"), () -> s.key
                    + ": its default is written in Setting (" + row.group(1) + "), not taken from GateSettings");
        }
    }

    @Test
    void gateSettingsOfWritesNoDefaultOfItsOwn() throws Exception {
        String source = new String(Files.readAllBytes(GeneratedBlock.repoFile(
                "agent/src/main/java/io/emfileguard/core/GateSettings.java")), StandardCharsets.UTF_8);
        int start = source.indexOf("public static GateSettings of(");
        String body = source.substring(start, source.indexOf('}', start));
        assertFalse(Pattern.compile("[(,]\\s*(\\d[\\d_]*|true|false|OnTimeout\\.[A-Z]+)\\s*[,)]").matcher(body).find(),
                () -> "GateSettings.of repeats a default instead of using the DEFAULT_ constants:\n" + body);
    }

    @Test
    void settingReadsTheConstantsWithoutLoadingTheCore() throws Exception {
        // javac keeps the class in the constant pool; what matters is that no instruction uses it.
        List<String> uses = new ArrayList<>();
        try (InputStream in = Setting.class.getResourceAsStream("Setting.class")) {
            new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                                 String[] exceptions) {
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitFieldInsn(int opcode, String owner, String field, String desc) {
                            note(owner + "." + field);
                        }

                        @Override
                        public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                            note(owner + "." + method);
                        }

                        @Override
                        public void visitTypeInsn(int opcode, String type) {
                            note(type);
                        }

                        @Override
                        public void visitLdcInsn(Object value) {
                            note(String.valueOf(value));
                        }

                        private void note(String used) {
                            if (used.startsWith("io/emfileguard/core/")) {
                                uses.add(name + ": " + used);
                            }
                        }
                    };
                }
            }, 0);
        }
        assertEquals(List.of(), uses,
                "Setting loads core classes: the DEFAULT_ constants must stay compile-time constants");
    }
}
