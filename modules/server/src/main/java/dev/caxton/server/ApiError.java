package dev.caxton.server;

import java.util.Map;

/**
 * An API failure with its HTTP status; rendered as {@code {"error": ..., "details": {...}}}.
 */
final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;
    final transient Map<String, Object> details;
    /** Response headers the status calls for, e.g. {@code Allow} on 405 or {@code Retry-After} on 503. */
    final transient Map<String, String> headers;

    ApiError(int status, String message, Map<String, Object> details, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.details = details;
        this.headers = headers;
    }

    ApiError(int status, String message, Map<String, Object> details) {
        this(status, message, details, Map.of());
    }

    ApiError(int status, String message) {
        this(status, message, Map.of());
    }
}
