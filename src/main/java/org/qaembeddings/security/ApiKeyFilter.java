package org.qaembeddings.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.Principal;
import java.util.HexFormat;
import java.util.List;
import org.qaembeddings.system.Problems;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * With keys configured, every {@code /api/**} call, {@code /actuator/prometheus} and the OpenAPI
 * document ({@code /v3/api-docs}) must carry
 * {@code Authorization: Bearer <key>}; everything under {@code /api/embeddings/} except the health
 * figures needs an admin key. {@code /actuator/health} stays open for probes, and shows details only
 * to an admin key (the request then carries the role {@value #ADMIN_ROLE}).
 *
 * <p>Keys are compared as SHA-256 digests with {@link MessageDigest#isEqual}, every configured key
 * each time, so the time taken tells nothing about how much of a key was right. A key is never
 * logged nor echoed; a client is known by the first bytes of its key's digest.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class ApiKeyFilter extends OncePerRequestFilter {

    static final String ADMIN_ROLE = "ADMIN";
    /** Request attribute: who the rate limit counts the call against. */
    static final String CLIENT = ApiKeyFilter.class.getName() + ".client";

    private static final String BEARER = "Bearer ";

    private final boolean enabled;
    private final List<byte[]> clientKeys;
    private final List<byte[]> adminKeys;
    private final Problems problems;

    ApiKeyFilter(SecurityProperties properties, Problems problems) {
        this.enabled = properties.keysConfigured();
        this.clientKeys = properties.clientKeyDigests();
        this.adminKeys = properties.adminKeyDigests();
        this.problems = problems;
    }

    /** What a path asks of its caller. */
    enum Need {
        NOTHING,
        CLIENT_KEY,
        ADMIN_KEY
    }

    /** Decided on the decoded, normalized path, the one the controllers are matched on. */
    static Need need(String path) {
        if (path.equals("/v3/api-docs/swagger-config")) {
            // Swagger UI's own settings (where the document is), read before it can send a key
            return Need.NOTHING;
        }
        if (path.equals("/api") || path.startsWith("/api/")) {
            if (path.startsWith("/api/embeddings/") && !path.equals("/api/embeddings/health")) {
                return Need.ADMIN_KEY;
            }
            return Need.CLIENT_KEY;
        }
        if (path.equals("/actuator/prometheus")
                || path.startsWith("/actuator/prometheus/")
                || path.equals("/v3/api-docs")
                || path.startsWith("/v3/api-docs/")
                || path.startsWith("/v3/api-docs.")) {
            return Need.CLIENT_KEY;
        }
        return Need.NOTHING;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!enabled) {
            request.setAttribute(CLIENT, "address:" + request.getRemoteAddr());
            chain.doFilter(request, response);
            return;
        }
        byte[] presented = presentedKey(request);
        boolean admin = presented != null && matchesAny(presented, adminKeys);
        boolean client = admin || presented != null && matchesAny(presented, clientKeys);
        Need need = need(path(request));
        if (need != Need.NOTHING && !client) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"qa-embeddings\"");
            problems.write(
                    response,
                    HttpStatus.UNAUTHORIZED,
                    presented == null
                            ? "this call needs an API key: send the header 'Authorization: Bearer <key>'"
                            : "the API key is not valid");
            return;
        }
        if (need == Need.ADMIN_KEY && !admin) {
            problems.write(response, HttpStatus.FORBIDDEN, "this call needs an admin key (security.admin-key)");
            return;
        }
        if (client) {
            request.setAttribute(CLIENT, "key:" + HexFormat.of().formatHex(presented, 0, 8));
            chain.doFilter(new Authenticated(request, admin), response);
        } else {
            request.setAttribute(CLIENT, "address:" + request.getRemoteAddr());
            chain.doFilter(request, response);
        }
    }

    private static String path(HttpServletRequest request) {
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        return pathInfo == null ? servletPath : servletPath + pathInfo;
    }

    /** The digest of the bearer key, or null when there is none. */
    private static byte[] presentedKey(HttpServletRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null
                || header.length() <= BEARER.length()
                || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return SecurityProperties.digest(header.substring(BEARER.length()).trim());
    }

    private static boolean matchesAny(byte[] presented, List<byte[]> keys) {
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(presented, key);
        }
        return match;
    }

    /** Lets the actuator show health details to an admin key, through the servlet's own role check. */
    private static final class Authenticated extends HttpServletRequestWrapper {
        private final boolean admin;
        private final Principal principal;

        Authenticated(HttpServletRequest request, boolean admin) {
            super(request);
            this.admin = admin;
            this.principal = () -> admin ? "admin" : "client";
        }

        @Override
        public Principal getUserPrincipal() {
            return principal;
        }

        @Override
        public boolean isUserInRole(String role) {
            return admin && ADMIN_ROLE.equals(role);
        }
    }
}
