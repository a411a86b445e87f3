package io.emfileguard.agent.boot;

import net.bytebuddy.jar.asm.ClassReader;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoreClassesTest {

    /**
     * Every compiled class of io.emfileguard.core and of its subpackages (the client families) is
     * injected, or woven code fails to link.
     */
    @Test
    void injectsEveryCompiledCoreClass() throws Exception {
        File classes = new File(BootstrapInjector.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> compiled = new TreeSet<>();
        try (java.util.stream.Stream<java.nio.file.Path> files =
                     java.nio.file.Files.walk(new File(classes, BootstrapInjector.CORE_PACKAGE).toPath())) {
            files.filter(f -> f.toString().endsWith(".class"))
                    .forEach(f -> compiled.add(classes.toPath().relativize(f).toString().replace(File.separatorChar, '/')));
        }
        assertTrue(compiled.contains(BootstrapInjector.CORE_PACKAGE + "httpclient/HttpClientHooks.class"), compiled::toString);
        assertEquals(compiled, new TreeSet<>(BootstrapInjector.readCoreClasses().keySet()));
    }

    /**
     * The boot loader sees only the JDK and the core: a core class that names an agent, ASM or
     * library class would fail with NoClassDefFoundError inside a woven JDK method.
     */
    @Test
    void coreClassesReferToNothingButTheJdkAndThemselves() throws Exception {
        for (Map.Entry<String, byte[]> e : BootstrapInjector.readCoreClasses().entrySet()) {
            ClassReader reader = new ClassReader(e.getValue());
            char[] buffer = new char[reader.getMaxStringLength()];
            for (int i = 1; i < reader.getItemCount(); i++) {
                int offset = reader.getItem(i);
                if (offset > 0 && e.getValue()[offset - 1] == 7) { // CONSTANT_Class
                    String name = reader.readUTF8(offset, buffer);
                    String element = name.replaceFirst("^\\[+L?", "").replace(";", "");
                    assertTrue(element.length() == 1 || element.startsWith("java/")
                                    || element.startsWith(BootstrapInjector.CORE_PACKAGE),
                            () -> e.getKey() + " refers to " + name);
                }
            }
        }
    }
}
