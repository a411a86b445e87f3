package io.emfileguard.agent.reporting;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;
import javax.management.MBeanAttributeInfo;
import javax.management.StandardMBean;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GateMetricTest {

    /** The MXBean's getters spell the names GateMetric declares: one list, and the bean follows it. */
    @Test
    void theMBeanHasExactlyTheAttributesGateMetricNames() throws Exception {
        // Only the interface is read: no getter runs, so the bean needs no gate.
        StandardMBean bean = new StandardMBean(new SocketGateMBean(null, null, null, false),
                SocketGateMXBean.class, true);
        Set<String> attributes = new TreeSet<>();
        for (MBeanAttributeInfo a : bean.getMBeanInfo().getAttributes()) {
            attributes.add(a.getName());
        }
        Set<String> declared = new TreeSet<>();
        for (GateMetric m : GateMetric.values()) {
            declared.add(m.attribute);
        }
        assertEquals(declared, attributes);
    }
}
