package io.stc.proxy;

/**
 * Why a client's bytes cannot be taken as a request: the failure to answer with and what exactly
 * was wrong. Carried as a decoder result's cause; never thrown past the decoder.
 */
final class RequestRejection extends RuntimeException {
  private final transient ProxyFailure failure;

  RequestRejection(ProxyFailure failure, String detail) {
    // No stack trace: these are routine, a client's mistake or probe, and cost nothing to make.
    super(detail, null, false, false);
    this.failure = failure;
  }

  ProxyFailure failure() {
    return failure;
  }
}
