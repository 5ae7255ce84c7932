package org.qaembeddings.system;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every error as RFC 9457 problem JSON. Client mistakes get a 4xx that says what to fix; only a
 * fault of ours is a 500, and its body tells nothing about our insides.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);
    private static final Pattern QUOTED = Pattern.compile("['\"]([^'\"]{1,100})['\"]");

    /** One field that failed validation. */
    record FieldProblem(String field, String message) {}

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, e.getMessage());
    }

    @ExceptionHandler(ConflictException.class)
    ProblemDetail conflict(ConflictException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
    }

    @ExceptionHandler(BadRequestException.class)
    ProblemDetail badRequest(BadRequestException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @ExceptionHandler(WorkBeganException.class)
    ResponseEntity<ProblemDetail> workBegan(WorkBeganException e) {
        boolean database = databaseUnavailable(e.getCause());
        HttpStatus status = database ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
        if (database) {
            log.warn(
                    "batch or retry failed, database unavailable: {}",
                    e.getCause().toString());
        } else {
            log.error("batch or retry failed", e.getCause());
        }
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(
                status,
                "the request failed after it began"
                        + (database ? " (the database is unavailable)" : "")
                        + ": it may have claimed pairs and made (and billed) "
                        + "provider calls; claimed pairs go back to the queue, at once or when their lease runs out. "
                        + "See GET /api/embeddings/health and /api/embeddings/costs before sending it again");
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(status);
        if (database) {
            answer.header(HttpHeaders.RETRY_AFTER, "1");
        }
        return answer.body(problem);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        if (databaseUnavailable(e)) {
            // a lost connection, a restarting or overloaded server: the client's request was fine
            log.warn("database unavailable: {}", e.toString());
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "the database is unavailable right now; the request most likely did not take effect: "
                            + "try again (a retried PUT or DELETE is safe; check a POST first by listing the pairs)");
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                    .header(HttpHeaders.RETRY_AFTER, "1")
                    .body(problem);
        }
        log.error("unexpected error", e);
        return ResponseEntity.internalServerError()
                .body(ProblemDetail.forStatusAndDetail(
                        HttpStatus.INTERNAL_SERVER_ERROR, "an unexpected error occurred; nothing was changed"));
    }

    /**
     * Connection failures, terminated sessions (SQLSTATE 08, 57), exhausted resources (53), rolled
     * back transactions (40), pool timeouts, and a commit or rollback that failed in JDBC (the
     * connection went away under the transaction).
     */
    static boolean databaseUnavailable(Throwable e) {
        return causedBy(e, ApiExceptionHandler::unavailableCause);
    }

    private static boolean unavailableCause(Throwable t) {
        if (t instanceof TransactionSystemException tx) {
            return tx.getCause() instanceof SQLException || databaseUnavailable(tx.getApplicationException());
        }
        if (t instanceof SQLException sql
                && sql.getSQLState() != null
                && List.of("08", "57", "53", "40")
                        .contains(sql.getSQLState()
                                .substring(0, Math.min(2, sql.getSQLState().length())))) {
            return true;
        }
        return t instanceof TransientDataAccessException
                || t instanceof DataAccessResourceFailureException
                || t instanceof CannotCreateTransactionException
                || t instanceof SQLTransientException
                || t instanceof SQLRecoverableException
                || t instanceof SQLNonTransientConnectionException;
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(
            MethodArgumentNotValidException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<FieldProblem> errors = ex.getBindingResult().getFieldErrors().stream()
                .map(f -> new FieldProblem(f.getField(), f.getDefaultMessage()))
                .sorted(Comparator.comparing(FieldProblem::field).thenComparing(FieldProblem::message))
                .toList();
        ProblemDetail problem =
                ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT, "the request has invalid fields");
        problem.setProperty("errors", errors);
        return ResponseEntity.unprocessableContent().body(problem);
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(
            HandlerMethodValidationException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<FieldProblem> errors = ex.getParameterValidationResults().stream()
                .flatMap(r -> r.getResolvableErrors().stream()
                        .map(e -> new FieldProblem(r.getMethodParameter().getParameterName(), e.getDefaultMessage())))
                .toList();
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "invalid request parameters");
        problem.setProperty("errors", errors);
        return ResponseEntity.badRequest().body(problem);
    }

    @Override
    protected ResponseEntity<Object> handleTypeMismatch(
            TypeMismatchException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String name = ex instanceof MethodArgumentTypeMismatchException m ? m.getName() : ex.getPropertyName();
        Class<?> type = ex.getRequiredType();
        String expected = type == null
                ? "a valid value"
                : type == UUID.class
                        ? "a UUID"
                        : type == LocalDate.class
                                ? "a date (YYYY-MM-DD)"
                                : Number.class.isAssignableFrom(type) || type.isPrimitive()
                                        ? "a number"
                                        : "a " + type.getSimpleName();
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, name + " must be " + expected);
        return ResponseEntity.badRequest().body(problem);
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException ex, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, unreadableDetail(ex));
        return ResponseEntity.badRequest().body(problem);
    }

    private static String unreadableDetail(HttpMessageNotReadableException ex) {
        Throwable cause = ex.getCause();
        if (cause instanceof UnrecognizedPropertyException unknown) {
            return "unknown field '" + unknown.getPropertyName() + "'; only " + knownFields(unknown)
                    + " can be set; the server sets everything else (ids, status, timestamps, vectors)";
        }
        if (cause instanceof DatabindException mapping && !mapping.getPath().isEmpty()) {
            return "field '" + mapping.getPathReference().replaceAll(".*\\[\"?|\"?]$", "") + "' has the wrong type";
        }
        if (cause instanceof StreamReadException read
                && read.getOriginalMessage() != null
                && read.getOriginalMessage().startsWith("Duplicate")) {
            Matcher name = QUOTED.matcher(read.getOriginalMessage());
            return "a field is given twice" + (name.find() ? " ('" + name.group(1) + "')" : "")
                    + "; send each field once";
        }
        if (cause instanceof JacksonException) {
            return "the body is not valid JSON";
        }
        return "the body is missing or not readable as JSON";
    }

    private static String knownFields(UnrecognizedPropertyException unknown) {
        var known = unknown.getKnownPropertyIds();
        return known == null
                ? "the documented fields"
                : known.stream().map(String::valueOf).sorted().toList().toString();
    }

    private static boolean causedBy(Throwable e, Predicate<Throwable> cause) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (cause.test(t)) {
                return true;
            }
        }
        return false;
    }
}
