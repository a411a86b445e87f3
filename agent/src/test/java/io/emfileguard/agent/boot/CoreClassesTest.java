package io.emfileguard.agent.boot;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CoreClassesTest {

    /** Every compiled class of io.emfileguard.core must be injected, or the advice fails to link. */
    @Test
    void theInjectedListNamesExactlyTheCompiledCoreClasses() throws URISyntaxException {
        File classes = new File(BootstrapInjector.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        File core = new File(classes, BootstrapInjector.CORE_PACKAGE);
        Set<String> compiled = Arrays.stream(core.listFiles())
                .map(File::getName)
                .filter(n -> n.endsWith(".class"))
                .map(n -> n.substring(0, n.length() - ".class".length()))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(compiled, new TreeSet<>(Arrays.asList(BootstrapInjector.CORE_CLASSES)));
    }
}
