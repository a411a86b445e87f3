package io.emfileguard.agent;

/** The agent's name and version, from the jar manifest. */
public final class Version {
    private Version() {
    }

    public static String get() {
        String v = Version.class.getPackage() == null ? null : Version.class.getPackage().getImplementationVersion();
        return "emfile-guard " + (v == null ? "dev" : v);
    }
}
