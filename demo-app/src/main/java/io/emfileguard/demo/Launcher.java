package io.emfileguard.demo;

import io.emfileguard.demo.launcher.DemoLauncher;

/**
 * {@code java -jar demo-app.jar [options]}: the side-by-side demo. See {@link DemoLauncher} and
 * {@code demo-app/README.md}.
 */
public final class Launcher {

    private Launcher() {
    }

    public static void main(String[] args) {
        System.exit(new DemoLauncher(System.out, System.err).run(args));
    }
}
