package io.emfileguard.agent.config;

import io.emfileguard.core.GateSettings;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigResolverTest {

    private static final DescriptorLimit LAMBDA = DescriptorLimit.of(1024, 1024);

    private static AgentConfig resolve(String args, Map<String, String> env, Properties props) {
        return ConfigResolver.resolve(args, env, props, LAMBDA);
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void defaultsDeriveTheCapFromTheDescriptorLimit() {
        AgentConfig c = resolve(null, Map.of(), new Properties());
        assertEquals(896, c.maxSockets, "1,024 less a reserve of max(128, 1/8)");
        assertEquals(Source.DERIVED, c.sourceOf(Setting.MAX_SOCKETS));
        assertEquals(100, c.holdMillis);
        assertEquals(30_000, c.maxWaitMillis);
        assertEquals(GateSettings.OnTimeout.PROCEED, c.onTimeout);
        assertTrue(c.enabled);
        assertTrue(c.problems().isEmpty());
        assertEquals(500, ConfigResolver.resolve(null, Map.of(), new Properties(),
                DescriptorLimit.of(DescriptorLimit.UNKNOWN, DescriptorLimit.UNKNOWN)).maxSockets);
        assertEquals(65536 - 8192, ConfigResolver.resolve(null, Map.of(), new Properties(),
                DescriptorLimit.of(65536, 65536)).maxSockets);
    }

    @Test
    void systemPropertyBeatsEnvironmentBeatsAgentArgumentBeatsDefault() {
        Map<String, String> env = Map.of("EMFILEGUARD_MAX_SOCKETS", "300", "EMFILEGUARD_HOLD_MILLIS", "50");
        AgentConfig c = resolve("max.sockets=200,hold.millis=20,max.wait.millis=1000", env,
                props("emfileguard.max.sockets", "400"));
        assertEquals(400, c.maxSockets);
        assertEquals(Source.SYSTEM_PROPERTY, c.sourceOf(Setting.MAX_SOCKETS));
        assertEquals(50, c.holdMillis);
        assertEquals(Source.ENVIRONMENT, c.sourceOf(Setting.HOLD_MILLIS));
        assertEquals(1000, c.maxWaitMillis);
        assertEquals(Source.AGENT_ARGUMENT, c.sourceOf(Setting.MAX_WAIT_MILLIS));
        assertEquals(Source.DEFAULT, c.sourceOf(Setting.ON_TIMEOUT));
    }

    @Test
    void aBadValueNamesTheSettingTheValueAndWhatIsUsedInstead() {
        AgentConfig c = resolve(null, Map.of("EMFILEGUARD_ON_TIMEOUT", "sometimes"),
                props("emfileguard.max.sockets", "abc"));
        assertEquals(896, c.maxSockets);
        assertEquals(GateSettings.OnTimeout.PROCEED, c.onTimeout);
        List<String> p = c.problems();
        assertEquals(2, p.size(), p.toString());
        assertEquals("setting max.sockets: -Demfileguard.max.sockets='abc' is not a whole number; using 896 (default)",
                p.get(0));
        assertEquals("setting on.timeout: EMFILEGUARD_ON_TIMEOUT='sometimes' is not one of proceed|fail; "
                + "using proceed (default)", p.get(1));
    }

    @Test
    void aBadValueFallsBackToTheNextSourceNotStraightToTheDefault() {
        AgentConfig c = resolve("max.sockets=250", Map.of(), props("emfileguard.max.sockets", "-5"));
        assertEquals(250, c.maxSockets);
        assertEquals(Source.AGENT_ARGUMENT, c.sourceOf(Setting.MAX_SOCKETS));
        assertTrue(c.problems().get(0).contains("'-5' is out of range")
                && c.problems().get(0).endsWith("using 250 (agent argument)"), c.problems().toString());
    }

    @Test
    void malformedAgentArgumentsAreReportedAndIgnored() {
        AgentConfig c = resolve("max.sockets=100,,bogus,nosuch.key=1", Map.of(), new Properties());
        assertEquals(100, c.maxSockets);
        assertEquals(2, c.problems().size(), c.problems().toString());
        assertTrue(c.problems().get(0).startsWith("agent argument 'bogus' is not key=value"));
        assertTrue(c.problems().get(1).startsWith("agent argument 'nosuch.key' is not a setting"));
    }

    @Test
    void excludeListsContinueAcrossAgentArgumentCommasAndBadEntriesAreDropped() {
        AgentConfig c = resolve("exclude=10.0.0.0/8,db.local:5432,max.sockets=10", Map.of(), new Properties());
        assertEquals(List.of("10.0.0.0/8", "db.local:5432"), c.excludes);
        assertEquals(10, c.maxSockets);
        AgentConfig bad = resolve(null, Map.of("EMFILEGUARD_EXCLUDE", "good:80, bad:port"), new Properties());
        assertEquals(List.of("good:80"), bad.excludes);
        assertTrue(bad.problems().get(0).contains("'bad:port'"), bad.problems().toString());
    }

    @Test
    void theLambdaRuntimeApiIsExcludedByDefault() {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
        AgentConfig c = resolve(null, env, new Properties());
        assertEquals(List.of("127.0.0.1:9001"), c.excludes);
    }

    @Test
    void tinyLimitsKeepHalfForTheRestOfTheProcess() {
        assertEquals(64, DescriptorLimit.of(128, 128).defaultMaxSockets());
        assertEquals(128, DescriptorLimit.of(256, 256).defaultMaxSockets());
    }

    @Test
    void eventLoopsAreCountedAtTheCapUnlessAskedToFail() {
        assertEquals(AgentConfig.EventLoopAtCap.COUNT, resolve(null, Map.of(), new Properties()).eventLoopAtCap);
        AgentConfig fail = resolve(null, Map.of("EMFILEGUARD_EVENT_LOOP_AT_CAP", "FAIL"), new Properties());
        assertEquals(AgentConfig.EventLoopAtCap.FAIL, fail.eventLoopAtCap);
        AgentConfig bad = resolve("event.loop.at.cap=drop", Map.of(), new Properties());
        assertEquals(AgentConfig.EventLoopAtCap.COUNT, bad.eventLoopAtCap);
        assertEquals(1, bad.problems().size());
        assertTrue(bad.problems().get(0).contains("event.loop.at.cap"), bad.problems().get(0));
        assertTrue(bad.problems().get(0).contains("drop"), bad.problems().get(0));
    }

    @Test
    void jmxIsOffByDefaultOnLambdaOnlyAndCanBeTurnedBackOn() {
        assertTrue(resolve(null, Map.of(), new Properties()).jmx);
        AgentConfig lambda = resolve(null, Map.of("AWS_LAMBDA_FUNCTION_NAME", "f"), new Properties());
        assertEquals(false, lambda.jmx);
        assertEquals(Source.LAMBDA_DEFAULT, lambda.sourceOf(Setting.JMX));
        assertTrue(resolve(null, Map.of("AWS_LAMBDA_FUNCTION_NAME", "f", "EMFILEGUARD_JMX", "true"), new Properties()).jmx);
    }
}
