package org.edufed.kernel.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.edufed.kernel.api.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Plugin descriptors: what a vendor must declare, and the message when it does not hold. */
class DescriptorTest {

    static final String GOOD =
            """
            {"id":"cn.example.hello","version":"1.2.0","name":{"zh-CN":"示例插件","en":"Hello"},
             "vendor":"示例科技","levels":["school","county"],"kernelApi":"[0.1,1)",
             "permissions":["hello:read","hello:write"],
             "topics":[{"name":"hello.notes","direction":"up"},{"name":"hello.settings","direction":"down"}],
             "items":[{"topic":"hello.settings","key":"greeting"}]}""";

    static Descriptor parse(String json) throws Descriptor.Invalid {
        return Descriptor.parse(json.getBytes(StandardCharsets.UTF_8), CatalogueEntry.MAPPER);
    }

    @Test
    void aCompleteDescriptorIsRead() throws Exception {
        Descriptor d = parse(GOOD);
        assertEquals("cn.example.hello", d.id());
        assertEquals("1.2.0", d.version().toString());
        assertEquals(Set.of(Level.SCHOOL, Level.COUNTY), d.levels());
        assertEquals("cn.example.hello", d.feature(), "the feature defaults to the id");
        assertTrue(d.kernelApi().includes(org.osgi.framework.Version.parseVersion("0.1.0.SNAPSHOT")));
        assertEquals(Set.of("hello:read", "hello:write"), d.permissions());
        assertTrue(d.declaresTopic("hello.notes"));
        assertEquals("Hello", d.name(java.util.Locale.ENGLISH));
        assertEquals("示例插件", d.name(java.util.Locale.ROOT));
        // what the API shows reads back as the same descriptor
        assertEquals(d, parse(d.toJson(CatalogueEntry.MAPPER).toString()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "id upper case        | \"id\":\"cn.example.hello\"        | \"id\":\"CN.Example\"          | id",
                "no name in Chinese   | \"zh-CN\":\"示例插件\",            | \"zh\":\"x\",                  | name.zh-CN",
                "unknown level        | \"levels\":[\"school\",\"county\"] | \"levels\":[\"district\"]      | unknown level",
                "no level             | \"levels\":[\"school\",\"county\"] | \"levels\":[]                  | at least one",
                "bad API range        | \"kernelApi\":\"[0.1,1)\"          | \"kernelApi\":\"latest\"       | kernelApi",
                "bad permission       | \"hello:write\"                    | \"HELLO WRITE\"                | permissions",
                "kernel topic         | \"name\":\"hello.notes\"           | \"name\":\"plugin.catalogue\"  | belongs to the kernel",
                "item on an up topic  | \"topic\":\"hello.settings\"       | \"topic\":\"hello.notes\"      | declared down topic",
                "bad version          | \"version\":\"1.2.0\"              | \"version\":\"one\"            | version",
            })
    void whatDoesNotHoldIsNamed(String what, String from, String to, String message) {
        String broken = GOOD.replace(from.strip(), to.strip());
        Descriptor.Invalid e = assertThrows(Descriptor.Invalid.class, () -> parse(broken), what);
        assertTrue(e.detail.contains(message.strip()), what + ": " + e.detail);
    }

    @Test
    void mavenVersionsAreReadAsKarafReadsThem() {
        assertEquals("1.0.0.SNAPSHOT", Descriptor.osgiVersion("1.0-SNAPSHOT").toString());
        assertEquals("2.1.3.rc1", Descriptor.osgiVersion("2.1.3-rc1").toString());
        assertEquals("1.2.0", Descriptor.osgiVersion("1.2.0").toString());
        assertThrows(IllegalArgumentException.class, () -> Descriptor.osgiVersion("one"));
    }

    @Test
    void notJsonIsNamed() {
        assertTrue(
                assertThrows(Descriptor.Invalid.class, () -> parse("{")).detail.startsWith("not JSON"));
        assertTrue(
                assertThrows(Descriptor.Invalid.class, () -> parse("[]")).detail.contains("object"));
    }
}
