package io.stc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** Calls a running stc's admin API for {@code stc ctl} and {@code stc top}. */
final class AdminClient {
  static final String DEFAULT_URL = "http://127.0.0.1:9090";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** An answer from the API: its status and JSON body (null when the body is not JSON). */
  record Reply(int status, JsonNode json, String text) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The API's error message, or the status when it gave none. */
    String error() {
      if (json != null && json.hasNonNull("error")) {
        String field = json.hasNonNull("field") ? " (field " + json.get("field").asText() + ")" : "";
        return json.get("error").asText() + field;
      }
      return "HTTP " + status;
    }
  }

  /** The API could not be reached at all. */
  static final class Unreachable extends Exception {
    Unreachable(String message) {
      super(message, null, false, false);
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private final String base;
  private final String token;

  AdminClient(String url, String token) {
    String u = url.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    this.base = u;
    this.token = token == null || token.isBlank() ? null : token.trim();
  }

  String url() {
    return base;
  }

  Reply call(String method, String path, Object body) throws Unreachable, InterruptedException {
    HttpRequest.Builder b;
    try {
      b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
    } catch (IllegalArgumentException e) {
      throw new Unreachable("bad --url '" + base + "': " + e.getMessage());
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      try {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body)));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new Unreachable("cannot connect to the stc admin API at " + base + " (is stc serve running? see --url)");
    } catch (HttpTimeoutException e) {
      throw new Unreachable("the stc admin API at " + base + " did not answer in time");
    } catch (IOException e) {
      throw new Unreachable("cannot reach the stc admin API at " + base + ": " + e.getMessage());
    }
    JsonNode json = null;
    try {
      json = MAPPER.readTree(r.body());
    } catch (IOException e) {
      // Not JSON: the caller shows the status.
    }
    return new Reply(r.statusCode(), json, r.body());
  }
}
