package org.qaembeddings.system;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The first filter: refuses a request whose form is wrong before any other filter, the router or a
 * transaction sees it, so that every such refusal changes nothing.
 * <ul>
 * <li>A path the key filter and the router could read differently (dot segments, encoded slashes
 * or backslashes, matrix parameters, empty segments, control characters): 400.
 * <li>An {@code Accept} under {@code /api/} that rules out JSON: 406. Without this check the
 * controller ran, committed, and only then found it could not write the answer.
 * <li>A body over {@link #MAX_BODY_BYTES}: 413, by its Content-Length or, chunked, as soon as it
 * crosses the limit.
 * <li>A JSON body that is not well-formed UTF-8 (overlong forms such as {@code C0 AF}, stray
 * continuation bytes, encoded surrogates): 400. Jackson's own decoder lets overlong forms through.
 * </ul>
 * Bodies under {@code /api/} are read here whole (they are small by the limit above) and handed on
 * from memory.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class RequestFormFilter extends OncePerRequestFilter {

    /** Room for the largest valid pair (2,000 + 20,000 characters) even when every character is \\u-escaped. */
    static final int MAX_BODY_BYTES = 256 * 1024;

    private static final String TOO_LARGE = "request body is larger than " + MAX_BODY_BYTES + " bytes";
    private static final List<MediaType> SERVED =
            List.of(MediaType.APPLICATION_JSON, MediaType.APPLICATION_PROBLEM_JSON);

    private final Problems problems;

    RequestFormFilter(Problems problems) {
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String pathProblem = pathProblem(request.getRequestURI());
        if (pathProblem != null) {
            problems.write(
                    response,
                    HttpStatus.BAD_REQUEST,
                    "the path " + pathProblem + "; send the plain path, e.g. /api/qa-pairs/{id}");
            return;
        }
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (!path.startsWith("/api/")) {
            chain.doFilter(request, response);
            return;
        }
        if (!acceptsJson(request.getHeaders(HttpHeaders.ACCEPT))) {
            problems.write(
                    response,
                    HttpStatus.NOT_ACCEPTABLE,
                    "this API answers application/json (and "
                            + "application/problem+json for errors) only; the "
                            + "Accept header rules both out; nothing was changed");
            return;
        }
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            problems.write(response, HttpStatus.CONTENT_TOO_LARGE, TOO_LARGE);
            return;
        }
        if (!hasBody(request)) {
            chain.doFilter(request, response);
            return;
        }
        byte[] body = readAtMost(request.getInputStream(), MAX_BODY_BYTES);
        if (body == null) {
            problems.write(response, HttpStatus.CONTENT_TOO_LARGE, TOO_LARGE);
            return;
        }
        if (isJson(request.getContentType()) && !isUtf8(body)) {
            problems.write(
                    response,
                    HttpStatus.BAD_REQUEST,
                    "the body is not valid UTF-8 (overlong or broken byte sequences); nothing was changed");
            return;
        }
        chain.doFilter(new BufferedRequest(request, body), response);
    }

    /**
     * Why the raw (still percent-encoded) request path is refused, or null when it is plain. Each
     * percent-escape is decoded once, as the router does, before the segments are judged.
     */
    static String pathProblem(String rawPath) {
        if (rawPath.indexOf(';') >= 0) {
            return "has matrix parameters (';')";
        }
        String lower = rawPath.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || rawPath.indexOf('\\') >= 0) {
            return "has an encoded slash or a backslash";
        }
        String decoded;
        try {
            decoded = percentDecode(rawPath);
        } catch (IllegalArgumentException e) {
            return "has a malformed percent-escape";
        }
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x20 || c == 0x7F || c == ';') {
                return "has a control character or an encoded ';'";
            }
        }
        String[] segments = decoded.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.equals(".") || segment.equals("..")) {
                return "has dot segments ('.' or '..')";
            }
            if (segment.isEmpty() && i < segments.length - 1) {
                return "has an empty segment ('//')";
            }
        }
        return null;
    }

    /** Percent-decodes as UTF-8, strictly: a broken escape or byte sequence is an error. */
    private static String percentDecode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            if (i + 2 >= raw.length()) {
                throw new IllegalArgumentException("truncated escape");
            }
            int hi = Character.digit(raw.charAt(i + 1), 16);
            int lo = Character.digit(raw.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not a hex escape");
            }
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        byte[] decoded = bytes.toByteArray();
        if (!isUtf8(decoded)) {
            throw new IllegalArgumentException("not UTF-8");
        }
        return new String(decoded, StandardCharsets.UTF_8);
    }

    /** No Accept header, or one that admits JSON with a weight above 0 (wildcards included). */
    static boolean acceptsJson(Enumeration<String> acceptHeaders) {
        if (acceptHeaders == null || !acceptHeaders.hasMoreElements()) {
            return true;
        }
        boolean any = false;
        while (acceptHeaders.hasMoreElements()) {
            String header = acceptHeaders.nextElement();
            if (header == null || header.isBlank()) {
                continue;
            }
            any = true;
            List<MediaType> types;
            try {
                types = MediaType.parseMediaTypes(header);
            } catch (InvalidMediaTypeException e) {
                return false;
            }
            for (MediaType type : types) {
                if (type.getQualityValue() > 0 && SERVED.stream().anyMatch(type::isCompatibleWith)) {
                    return true;
                }
            }
        }
        return !any;
    }

    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    }

    /** The content type is JSON, or not given (the router then refuses it, or reads it as JSON). */
    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return true;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.isCompatibleWith(MediaType.APPLICATION_JSON)
                    || type.getSubtype().endsWith("+json");
        } catch (InvalidMediaTypeException e) {
            return false;
        }
    }

    /** The whole stream, or null when it holds more than {@code limit} bytes. */
    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        byte[] body = in.readNBytes(limit);
        if (body.length == limit && in.read() >= 0) {
            return null;
        }
        return body;
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** The request with its body, already read and checked, served from memory. */
    private static final class BufferedRequest extends HttpServletRequestWrapper {
        private final byte[] body;

        BufferedRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] buffer, int offset, int length) {
                    return in.read(buffer, offset, length);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException(
                            "the body was read before the servlet; there is nothing to wait for");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), charset()));
        }

        private Charset charset() {
            String encoding = getCharacterEncoding();
            try {
                return encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            } catch (IllegalArgumentException unknown) {
                return StandardCharsets.UTF_8;
            }
        }
    }
}
