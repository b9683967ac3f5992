package org.edufed.kernel.web.internal.rest;

import org.apache.cxf.message.Exchange;
import org.apache.cxf.message.Message;
import org.apache.cxf.phase.AbstractPhaseInterceptor;
import org.apache.cxf.phase.Phase;

/**
 * Tells CXF not to keep what is left of a request's body once the answer to it starts. CXF (3.6, for every
 * exchange without a say of its own) then reads the rest of the body into a
 * {@link org.apache.cxf.io.CachedOutputStream} — whatever its size, into a temporary file past 128 KB — so that a
 * one-way SOAP operation could still read it: a copy buffer and a cache for every REST request, also when nothing
 * is left. A REST operation here reads its body before it answers (Jackson, a {@code byte[]}, its stream) or not at
 * all, so CXF is told to do what it does for an answer of 400 or above: read at most 16 MB of what is left and drop
 * it. Measured at a school taking registrations (async-profiler, allocations): what the answer's first write
 * allocates fell from 5.4 % of all the school allocated to 3.7 % (CXF's drain still takes a 4 KB buffer). And an
 * operation that answers 2xx without reading its body no longer has it copied into a file, which
 * {@link BodyLimitFilter} does not bound (it bounds what the operation reads).
 */
final class NoInputCache extends AbstractPhaseInterceptor<Message> {

    /** CXF's exchange property (OutgoingChainInterceptor, AbstractHTTPDestination.cacheInput). */
    static final String CACHE_INPUT = "cxf.io.cacheinput";

    NoInputCache() {
        super(Phase.RECEIVE);
    }

    @Override
    public void handleMessage(Message message) {
        Exchange exchange = message.getExchange();
        if (exchange != null) {
            exchange.put(CACHE_INPUT, Boolean.FALSE);
        }
    }
}
