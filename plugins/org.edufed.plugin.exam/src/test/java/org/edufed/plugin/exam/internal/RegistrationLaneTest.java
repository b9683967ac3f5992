package org.edufed.plugin.exam.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.ws.rs.core.Response;
import org.edufed.kernel.api.audit.Actor;
import org.edufed.kernel.api.web.DirectOperation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fast lane of a school's registrations, on embedded Derby with the plugin's migrations: it stores and answers
 * a good registration as the JAX-RS method does (the same body), and declines — by throwing, with nothing
 * written — everything the method answers with a problem.
 */
class RegistrationLaneTest {

    private final ExamImportsTest fixture = new ExamImportsTest();
    private RegistrationLane lane;
    private RegistrationResource resource;

    @BeforeEach
    void setUp() throws Exception {
        fixture.setUp();
        lane = new RegistrationLane(fixture.store, fixture.node);
        resource = new RegistrationResource(fixture.store, fixture.node, fixture.fields, null);
    }

    @AfterEach
    void tearDown() {
        fixture.tearDown();
    }

    private static byte[] body(String name, String id, String preferences) {
        return ("{\"year\":\"2027\",\"name\":\"" + name + "\",\"idNumber\":\"" + id
                        + "\",\"guardianPhone\":\"13800138000\",\"preferences\":" + preferences + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static final String PREFS = "{\"1\":[\"5101040001\"]}";

    private int rows() throws Exception {
        return fixture.count("SELECT COUNT(*) FROM exam_registration");
    }

    @Test
    void aGoodRegistrationIsStoredAndAnsweredAsTheJaxRsMethodAnswersIt() throws Exception {
        DirectOperation.Answer a = lane.post(body("李雷", RulesTest.id("510104", "20120101", "001"), PREFS))
                .orElseThrow();
        assertEquals(201, a.status());
        String id = Rules.JSON.readTree(a.json()).path("id").asText();
        assertEquals(lane.createdBody(id).toString(), a.json());
        assertEquals(
                "2151010001:" + id,
                Rules.JSON.readTree(a.json()).path("globalId").asText());
        assertEquals("李雷", fixture.store.mine(id).orElseThrow().name());
        // the JAX-RS method answers another with the same body (CXF writes the entity as JSON)
        Response r = resource.register(
                new java.io.ByteArrayInputStream(body("韩梅梅", RulesTest.id("510104", "20120102", "002"), PREFS)));
        assertEquals(201, r.getStatus());
        String other = ((com.fasterxml.jackson.databind.node.ObjectNode) r.getEntity())
                .path("id")
                .asText();
        assertEquals(resource.createdBody(other), r.getEntity());
        assertEquals(2, rows());
        assertEquals("/exam/registrations", lane.path());
        assertEquals(ExamApi.REGISTER, lane.permission());
    }

    @Test
    void whatTheMethodRefusesTheLaneDeclinesWithNothingWritten() throws Exception {
        String li = RulesTest.id("510104", "20120101", "001");
        lane.post(body("李雷", li, PREFS)).orElseThrow();
        for (byte[] bad : List.of(
                body("李雷", li, PREFS), // the same student again: found in the registration's transaction
                body("李雷", "510104201201010011", PREFS), // a wrong check digit
                body("Li Lei", RulesTest.id("510104", "20120103", "003"), PREFS), // not a Chinese name
                body("韩梅梅", RulesTest.id("510104", "20120104", "004"), "{\"1\":[\"9999999999\"]}"), // unknown school
                "{\"year\":".getBytes(StandardCharsets.UTF_8),
                "[]".getBytes(StandardCharsets.UTF_8))) {
            assertThrows(Exception.class, () -> lane.post(bad), new String(bad, StandardCharsets.UTF_8));
        }
        assertEquals(1, rows());
    }

    @Test
    void aStudentsOwnLaneStoresTheirRegistrationAsTheirsOnceAYear() throws Exception {
        OwnRegistrationLane own = new OwnRegistrationLane(fixture.store, fixture.node);
        assertEquals("/exam/my", own.path());
        assertEquals(ExamApi.SELF, own.permission());
        DirectOperation.Answer a;
        try (Actor.Scope ignored = Actor.as("stu.li", "127.0.0.1")) {
            a = own.post(body("李雷", RulesTest.id("510104", "20120101", "001"), PREFS))
                    .orElseThrow();
            // a second registration from the same account: declined, the method answers the problem
            assertThrows(
                    Exception.class, () -> own.post(body("韩梅梅", RulesTest.id("510104", "20120102", "002"), PREFS)));
        }
        assertEquals(201, a.status());
        String id = Rules.JSON.readTree(a.json()).path("id").asText();
        assertEquals(own.createdBody(id).toString(), a.json());
        assertEquals(
                List.of(id),
                fixture.store.own("stu.li", "2027").stream()
                        .map(ExamStore.Mine::id)
                        .toList());
        assertEquals(List.of(), fixture.store.own("stu.han", "2027"));
        assertEquals(1, rows());
    }
}
