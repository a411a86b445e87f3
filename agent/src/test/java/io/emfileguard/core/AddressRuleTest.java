package io.emfileguard.core;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressRuleTest {

    @Test
    void matchesHostAndPort() {
        AddressRule rule = AddressRule.parse("127.0.0.1:9001");
        assertTrue(rule.matches(new InetSocketAddress("127.0.0.1", 9001)));
        assertFalse(rule.matches(new InetSocketAddress("127.0.0.1", 9002)));
    }

    @Test
    void matchesHostNamesAsWrittenWithoutDns() {
        AddressRule rule = AddressRule.parse("Metadata.internal");
        assertTrue(rule.matches(InetSocketAddress.createUnresolved("metadata.internal", 80)));
        assertFalse(rule.matches(InetSocketAddress.createUnresolved("other.internal", 80)));
    }

    @Test
    void matchesCidrBlocks() {
        AddressRule rule = AddressRule.parse("10.1.0.0/16");
        assertTrue(rule.matches(new InetSocketAddress("10.1.200.3", 443)));
        assertFalse(rule.matches(new InetSocketAddress("10.2.0.1", 443)));
        AddressRule odd = AddressRule.parse("192.168.0.0/23");
        assertTrue(odd.matches(new InetSocketAddress("192.168.1.7", 1)));
        assertFalse(odd.matches(new InetSocketAddress("192.168.2.7", 1)));
    }

    @Test
    void matchesBracketedIpv6() {
        AddressRule rule = AddressRule.parse("[::1]:8080");
        assertTrue(rule.matches(new InetSocketAddress("::1", 8080)));
    }

    @Test
    void rejectsMalformedEntriesWithAReason() {
        assertEquals("'x' is not a port (0-65535) in 'host:x'",
                assertThrows(IllegalArgumentException.class, () -> AddressRule.parse("host:x")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> AddressRule.parse("10.0.0.0/40"));
        assertThrows(IllegalArgumentException.class, () -> AddressRule.parse("nonsense/8"));
        assertThrows(IllegalArgumentException.class, () -> AddressRule.parse(":80"));
    }
}
