package io.stc.admin;

/** A refusal the admin API answers with {@code {"error": ..., "field": ...}} and a 4xx status. */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String field;

  public ApiError(int status, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.field = field;
  }

  public static ApiError badRequest(String message, String field) {
    return new ApiError(400, message, field);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, message, null);
  }

  public static ApiError conflict(String message) {
    return new ApiError(409, message, null);
  }

  public int status() {
    return status;
  }

  /** The request field at fault, or null. */
  public String field() {
    return field;
  }
}
