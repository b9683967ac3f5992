package org.edufed.connector.exchange.internal;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.core.osgi.OsgiDefaultCamelContext;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one Camel context, {@code edufed-exchange}, with the exchange routes: {@code edufed-pull}
 * (the parent's feed, down), {@code edufed-push} (the outbox, up) and {@code edufed-heartbeat} (up). Configured by {@code etc/org.edufed.exchange.cfg}.
 */
@Component(
        immediate = true,
        configurationPid = "org.edufed.exchange",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ExchangeRoutes.Config.class)
public final class ExchangeRoutes {

    @ObjectClassDefinition(name = "EduFed exchange", description = "How often this node talks to its parent")
    @interface Config {
        @AttributeDefinition(description = "Milliseconds between pulls of the parent's feed")
        long pull_interval_ms() default 5000;

        @AttributeDefinition(description = "Milliseconds between pushes of the outbox to the parent")
        long push_interval_ms() default 2000;

        @AttributeDefinition(description = "Milliseconds between heartbeats to the parent")
        long heartbeat_interval_ms() default 15000;

        @AttributeDefinition(description = "Milliseconds between audit summaries sent up the tree")
        long audit_interval_ms() default 300000;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ExchangeRoutes.class);

    private final OsgiDefaultCamelContext camel;

    @Activate
    public ExchangeRoutes(
            BundleContext context, Config config, @Reference Sync sync, @Reference AuditSummaries summaries)
            throws Exception {
        camel = new OsgiDefaultCamelContext(context);
        camel.setName("edufed-exchange");
        camel.start(); // start first, then add routes (Camel 3 in OSGi)
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("timer:edufed-pull?delay=1000&period=" + config.pull_interval_ms())
                        .routeId("edufed-pull")
                        .process(exchange -> sync.pull());
                from("timer:edufed-push?delay=1500&period=" + config.push_interval_ms())
                        .routeId("edufed-push")
                        .process(exchange -> sync.push());
                from("timer:edufed-housekeeping?delay=60000&period=300000")
                        .routeId("edufed-housekeeping")
                        .process(exchange -> sync.housekeeping());
                from("timer:edufed-audit-summary?delay=5000&period=" + config.audit_interval_ms())
                        .routeId("edufed-audit-summary")
                        .process(exchange -> summaries.publish());
                from("timer:edufed-heartbeat?delay=2000&period=" + config.heartbeat_interval_ms())
                        .routeId("edufed-heartbeat")
                        .process(exchange -> sync.heartbeat());
            }
        });
        LOG.info(
                "Exchange routes started: pull every {} ms, heartbeat every {} ms",
                config.pull_interval_ms(),
                config.heartbeat_interval_ms());
    }

    @Deactivate
    void deactivate() {
        camel.stop();
    }
}
