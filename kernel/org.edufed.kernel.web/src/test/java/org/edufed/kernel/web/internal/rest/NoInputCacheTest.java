package org.edufed.kernel.web.internal.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.cxf.common.util.PropertyUtils;
import org.apache.cxf.message.Exchange;
import org.apache.cxf.message.ExchangeImpl;
import org.apache.cxf.message.Message;
import org.apache.cxf.message.MessageImpl;
import org.apache.cxf.phase.Phase;
import org.junit.jupiter.api.Test;

class NoInputCacheTest {

    @Test
    void theExchangeSaysNoBeforeCxfWouldSayYes() {
        Message in = new MessageImpl();
        Exchange exchange = new ExchangeImpl();
        exchange.setInMessage(in);
        in.setExchange(exchange);
        assertNull(exchange.get(NoInputCache.CACHE_INPUT)); // unsaid: CXF's OutgoingChainInterceptor marks the
        // in-message for caching then
        NoInputCache interceptor = new NoInputCache();
        interceptor.handleMessage(in);
        assertEquals(Boolean.FALSE, exchange.get(NoInputCache.CACHE_INPUT)); // said: it leaves the message alone
        // and AbstractHTTPDestination.cacheInput, reading the in-message's own property, closes instead of caching
        assertFalse(PropertyUtils.isTrue(in.get(NoInputCache.CACHE_INPUT)));
        assertEquals(Phase.RECEIVE, interceptor.getPhase()); // long before OutgoingChainInterceptor (POST_INVOKE)
    }

    @Test
    void aMessageWithoutAnExchangeIsLeftAlone() {
        new NoInputCache().handleMessage(new MessageImpl());
    }
}
