package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.Locale;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

class HttpDateTest {

    /** CXF's own format for the header (its {@code Headers.getHttpDateFormat()}). */
    private static String cxf(long second) {
        SimpleDateFormat f = new SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss zzz", Locale.US);
        f.setTimeZone(TimeZone.getTimeZone("GMT"));
        return f.format(new Date(second * 1000));
    }

    @Test
    void formatsAsCxfAndJettyDo() {
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", HttpDate.format(0));
        assertEquals("Thu, 03 Dec 2026 09:05:07 GMT", HttpDate.format(1_796_288_707L));
        for (long s = 1_700_000_000L; s < 1_800_000_000L; s += 7_777_777L) {
            assertEquals(cxf(s), HttpDate.format(s));
        }
    }

    @Test
    void aNewSecondGetsItsOwnText() {
        String a = HttpDate.format(1_796_288_707L);
        assertEquals(a, HttpDate.format(1_796_288_707L));
        assertNotEquals(a, HttpDate.format(1_796_288_708L));
    }

    @Test
    void nowIsNow() throws Exception {
        SimpleDateFormat f = new SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss zzz", Locale.US);
        f.setTimeZone(TimeZone.getTimeZone("GMT"));
        long at = f.parse(HttpDate.now()).getTime();
        assertTrue(Math.abs(System.currentTimeMillis() - at) < 2_000, HttpDate.now());
    }

    @Test
    void theInterceptorGivesTheAnswerADateUnlessItHasOne() {
        org.apache.cxf.message.Message out = new org.apache.cxf.message.MessageImpl();
        new HttpDate.Interceptor().handleMessage(out);
        @SuppressWarnings("unchecked")
        java.util.Map<String, java.util.List<Object>> h = (java.util.Map<String, java.util.List<Object>>)
                out.get(org.apache.cxf.message.Message.PROTOCOL_HEADERS);
        assertEquals(1, h.get("date").size()); // kept case-insensitively, as CXF does
        assertTrue(h.get("Date").get(0).toString().endsWith(" GMT"));
        h.get("Date").add("x"); // CXF may add to it
        java.util.List<Object> set = new java.util.ArrayList<>(java.util.List.of("Mon, 01 Jan 2001 00:00:00 GMT"));
        h.put("Date", set);
        new HttpDate.Interceptor().handleMessage(out);
        assertEquals(set, h.get("Date"));
    }
}
