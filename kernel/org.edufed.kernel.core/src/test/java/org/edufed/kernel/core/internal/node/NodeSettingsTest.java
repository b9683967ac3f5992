package org.edufed.kernel.core.internal.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.edufed.kernel.api.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeSettingsTest {

    private static Map<String, Object> cfg(String level, String code) {
        Map<String, Object> m = new HashMap<>();
        m.put("level", level);
        m.put("code", code);
        m.put("name", "测试节点");
        return m;
    }

    @Test
    void validProvinceCountySchool() throws Exception {
        NodeSettings p = NodeSettings.from(cfg("province", "510000"));
        assertEquals(Level.PROVINCE, p.level());
        assertEquals(KeyAlgorithm.SM2, p.keyAlgorithm());
        assertNull(p.parentUrl());

        Map<String, Object> county = cfg("COUNTY", "510104");
        county.put("parent.url", "http://127.0.0.1:8181/");
        county.put("parent.code", "510000");
        county.put("key.algorithm", "ecdsa");
        NodeSettings c = NodeSettings.from(county);
        assertEquals(Level.COUNTY, c.level());
        assertEquals("http://127.0.0.1:8181", c.parentUrl());
        assertEquals(KeyAlgorithm.ECDSA, c.keyAlgorithm());

        Map<String, Object> school = cfg("school", "2151010001");
        school.put("parent.code", "510104");
        assertEquals(Level.SCHOOL, NodeSettings.from(school).level());
    }

    @Test
    void prefectureSitsBetweenProvinceAndCounty() throws Exception {
        Map<String, Object> prefecture = cfg("county", "513300");
        prefecture.put("parent.code", "510000");
        NodeSettings.from(prefecture);
        Map<String, Object> county = cfg("county", "513301");
        county.put("parent.code", "513300");
        NodeSettings.from(county);
        Map<String, Object> outside = cfg("county", "513401");
        outside.put("parent.code", "513300");
        NodeConfigException e = assertThrows(NodeConfigException.class, () -> NodeSettings.from(outside));
        assertTrue(e.getMessage().contains("does not lie inside"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "province,510100,code,ends in 0000",
        "province,990000,code,no GB/T 2260 province",
        "province,51000,code,six-digit",
        "county,510000,code,ends in 0000",
        "county,5101a4,code,six-digit",
        "county,990104,code,no GB/T 2260 province",
        "school,215101000,code,ten-digit",
        "school,21510100012,code,ten-digit",
        "town,510000,level,province, county or school",
    })
    void wrongValuesNameTheKeyAndReason(String level, String code, String key, String reason) {
        NodeConfigException e = assertThrows(NodeConfigException.class, () -> NodeSettings.from(cfg(level, code)));
        assertEquals(key, e.key());
        assertTrue(e.getMessage().startsWith("etc/org.edufed.node.cfg: " + key + " = "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void countyOutsideItsProvince() {
        Map<String, Object> m = cfg("county", "520102");
        m.put("parent.code", "510000");
        NodeConfigException e = assertThrows(NodeConfigException.class, () -> NodeSettings.from(m));
        assertEquals("code", e.key());
    }

    @Test
    void missingAndMalformedKeys() {
        Map<String, Object> noCode = cfg("county", null);
        noCode.remove("code");
        assertEquals(
                "code",
                assertThrows(NodeConfigException.class, () -> NodeSettings.from(noCode))
                        .key());

        Map<String, Object> noName = cfg("county", "510104");
        noName.put("name", "  ");
        assertEquals(
                "name",
                assertThrows(NodeConfigException.class, () -> NodeSettings.from(noName))
                        .key());

        Map<String, Object> badUrl = cfg("county", "510104");
        badUrl.put("parent.url", "ftp://x");
        assertEquals(
                "parent.url",
                assertThrows(NodeConfigException.class, () -> NodeSettings.from(badUrl))
                        .key());

        Map<String, Object> provinceWithParent = cfg("province", "510000");
        provinceWithParent.put("parent.url", "http://127.0.0.1:1");
        assertEquals(
                "parent.url",
                assertThrows(NodeConfigException.class, () -> NodeSettings.from(provinceWithParent))
                        .key());

        Map<String, Object> badAlg = cfg("school", "2151010001");
        badAlg.put("key.algorithm", "rsa");
        assertEquals(
                "key.algorithm",
                assertThrows(NodeConfigException.class, () -> NodeSettings.from(badAlg))
                        .key());
    }
}
