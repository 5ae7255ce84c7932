package org.qaembeddings.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Tells the dashboard whether keys are asked for and what the key it holds may see. Open, so that
 * the page learns it without a refused call (which a browser reports as an error); it says no more
 * than a refused call would.
 */
@RestController
class AccessController {

    /**
     * @param role {@code admin}, {@code client}, {@code invalid} (a key was sent and matches none) or
     *     {@code none} (no key was sent)
     */
    record Access(boolean keysRequired, String role) {}

    private final boolean keysConfigured;

    AccessController(SecurityProperties properties) {
        this.keysConfigured = properties.keysConfigured();
    }

    @GetMapping("/dashboard/access")
    Access access(HttpServletRequest request) {
        if (!keysConfigured) {
            return new Access(false, "none");
        }
        if (request.getUserPrincipal() != null) {
            return new Access(true, request.isUserInRole(ApiKeyFilter.ADMIN_ROLE) ? "admin" : "client");
        }
        return new Access(true, request.getHeader(HttpHeaders.AUTHORIZATION) == null ? "none" : "invalid");
    }
}
