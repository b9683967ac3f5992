package org.edufed.connector.exchange.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.edufed.kernel.api.Level;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LevelFitTest {

    @ParameterizedTest
    @CsvSource({
        "PROVINCE,510000,COUNTY,510104,",
        "PROVINCE,510000,COUNTY,513300,",
        "COUNTY,513300,COUNTY,513301,",
        "COUNTY,510104,SCHOOL,2151010001,",
        "PROVINCE,510000,COUNTY,520102,code 520102 does not lie inside 510000",
        "PROVINCE,510000,SCHOOL,2151010001,only a county or prefecture node enrolls under a province",
        "COUNTY,510104,COUNTY,510105,'only schools (or, under a prefecture, counties) enroll under a county'",
        "COUNTY,513300,COUNTY,513401,code 513401 does not lie inside prefecture 513300",
        "SCHOOL,2151010001,SCHOOL,2151010002,a school node has no children",
    })
    void levelsAndCodesMustFit(Level parent, String parentCode, Level child, String childCode, String reason) {
        String fit = FederationComponent.levelFit(parent, parentCode, child, childCode);
        if (reason == null) {
            assertNull(fit);
        } else {
            assertEquals(reason, fit);
        }
    }
}
