package org.qaembeddings.security;

import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Like Redis's protected mode: a service without API keys listens on the loopback interface only,
 * where nobody but this machine can reach it, and refuses to start when told to listen anywhere
 * else. Runs after Boot's own customizer, so that its address is the last word.
 */
@Component
class ProtectedMode implements WebServerFactoryCustomizer<ConfigurableWebServerFactory>, Ordered {

    private static final Logger log = LoggerFactory.getLogger(ProtectedMode.class);

    private final SecurityProperties properties;
    private final Environment environment;

    ProtectedMode(SecurityProperties properties, Environment environment) {
        this.properties = properties;
        this.environment = environment;
    }

    @Override
    public void customize(ConfigurableWebServerFactory factory) {
        if (properties.keysConfigured()) {
            return;
        }
        InetAddress address = environment.getProperty("server.address", InetAddress.class);
        if (!properties.protectedMode()) {
            log.warn(
                    "no API key set (security.api-key) and security.protected-mode=false: "
                            + "anyone who reaches {} may call the API",
                    address == null ? "this port" : address.getHostAddress());
            return;
        }
        if (address == null) {
            factory.setAddress(InetAddress.getLoopbackAddress());
            log.warn(
                    "protected mode: no API key set (security.api-key), so the service listens on {} only; "
                            + "set security.api-key to listen on other addresses (server.address)",
                    InetAddress.getLoopbackAddress().getHostAddress());
        } else if (!address.isLoopbackAddress()) {
            throw new IllegalStateException("server.address=" + address.getHostAddress()
                    + " without an API key: refusing to start an unauthenticated service on "
                    + "a non-loopback address; set security.api-key (or SECURITY_API_KEYS), "
                    + "or security.protected-mode=false behind an authenticating proxy");
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
