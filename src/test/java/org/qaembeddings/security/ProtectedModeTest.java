package org.qaembeddings.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.qaembeddings.QaEmbeddingsApplication;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** Without API keys the service is reachable from this machine only, as Redis's protected mode. */
@ExtendWith(OutputCaptureExtension.class)
class ProtectedModeTest {

    private static ConfigurableApplicationContext start(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--spring.datasource.url=jdbc:h2:mem:protected_mode;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
        all[1] = "--embedding.provider=openai";
        all[2] = "--embedding.worker-enabled=false";
        all[3] = "--server.port=0";
        System.arraycopy(args, 0, all, 4, args.length);
        return new SpringApplication(QaEmbeddingsApplication.class).run(all);
    }

    /** An address of this machine that other machines could reach, if it has one. */
    private static Optional<InetAddress> externalAddress() throws SocketException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return Optional.of(a);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static boolean accepts(InetAddress address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void withoutKeysListensOnLoopbackOnlyAndSaysSo(CapturedOutput output) throws Exception {
        try (ConfigurableApplicationContext context = start()) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();

            assertThat(accepts(InetAddress.getLoopbackAddress(), port)).isTrue();
            // what the connector is bound to, which holds on a machine with no other interface to try
            TomcatWebServer server = (TomcatWebServer) ((WebServerApplicationContext) context).getWebServer();
            assertThat(server.getTomcat().getConnector().getProperty("address"))
                    .isEqualTo(InetAddress.getLoopbackAddress());
            Optional<InetAddress> external = externalAddress();
            if (external.isPresent()) {
                assertThat(accepts(external.get(), port))
                        .as("reachable on " + external.get())
                        .isFalse();
            }
            assertThat(output).contains("protected mode").contains("listens on 127.0.0.1 only");
        }
    }

    @Test
    void nonLoopbackAddressWithoutKeysRefusesToStart() {
        assertThatThrownBy(() -> start("--server.address=0.0.0.0").close())
                .hasStackTraceContaining("server.address=0.0.0.0 without an API key: refusing to start");
    }

    @Test
    void withAKeyAnyAddressMayBeUsed() throws Exception {
        try (ConfigurableApplicationContext context =
                start("--server.address=0.0.0.0", "--security.api-key=a-key-of-enough-length-0123")) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            Optional<InetAddress> external = externalAddress();
            assertThat(accepts(external.orElse(InetAddress.getLoopbackAddress()), port))
                    .isTrue();
        }
    }

    @Test
    void protectedModeCanBeTurnedOffBehindAProxy(CapturedOutput output) {
        try (ConfigurableApplicationContext context =
                start("--server.address=0.0.0.0", "--security.protected-mode=false")) {
            assertThat(output).contains("security.protected-mode=false");
        }
    }

    @Test
    void shortKeysAreRefusedWithoutBeingPrinted(CapturedOutput output) {
        assertThatThrownBy(() -> start("--security.api-key=short-secret").close())
                .hasStackTraceContaining("security.api-key must be at least 16 characters, was 12")
                .satisfies(e -> assertThat(stackTrace(e)).doesNotContain("short-secret"));
        assertThat(output).contains("APPLICATION FAILED TO START").doesNotContain("short-secret");
    }

    private static String stackTrace(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
