package dev.caxton.server;

import java.util.Map;

/**
 * An API failure with its HTTP status; rendered as {@code {"error": ..., "details": {...}}}.
 */
final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;
    final transient Map<String, Object> details;

    ApiError(int status, String message, Map<String, Object> details) {
        super(message, null, false, false);
        this.status = status;
        this.details = details;
    }

    ApiError(int status, String message) {
        this(status, message, Map.of());
    }
}
