package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.eclipse.jetty.io.EofException;
import org.junit.jupiter.api.Test;

/**
 * Given an error while a request was answered, when it is Jetty's word that the client closed the connection (a
 * load tool stopping, a browser tab closed), then it is no incident of the node's; anything else still is.
 */
class ProblemMapperTest {

    @Test
    void aClientThatWentAwayIsNoIncident() {
        assertTrue(ProblemMapper.clientGone(new EofException("Closed")));
        assertTrue(ProblemMapper.clientGone(new IOException("write failed", new EofException("reset"))));
        assertFalse(ProblemMapper.clientGone(new IOException("disk full")));
        assertFalse(ProblemMapper.clientGone(new IllegalStateException("a bug")));
    }
}
