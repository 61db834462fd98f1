package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One case per hostile input: answered with the right status, the connection closed (RawHttp
 * reads until close), nothing forwarded to the backend, and a normal request still served after.
 */
class HostileInputTest {
  static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.of(1);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "both Content-Length and Transfer-Encoding | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n",
        "duplicate equal Content-Length | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nContent-Length: 5\\r\\n\\r\\nhello",
        "conflicting Content-Length | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\nhello",
        "Content-Length list | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5, 5\\r\\n\\r\\nhello",
        "negative Content-Length | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: -1\\r\\n\\r\\n",
        "Transfer-Encoding chunked, identity | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked, identity\\r\\n\\r\\n0\\r\\n\\r\\n",
        "Transfer-Encoding xchunked | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: xchunked\\r\\n\\r\\n0\\r\\n\\r\\n",
        "space before the colon | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding : chunked\\r\\n\\r\\n0\\r\\n\\r\\n",
        "tab before the colon | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding\\t: chunked\\r\\n\\r\\n0\\r\\n\\r\\n",
        "invalid chunk size | 400 | POST /h HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\nhello\\r\\n0\\r\\n\\r\\n",
        "NUL in a header value | 400 | GET /h HTTP/1.1\\r\\nHost: x\\r\\nX-A: a\\u0000b\\r\\n\\r\\n",
        "bare CR in a header value | 400 | GET /h HTTP/1.1\\r\\nHost: x\\r\\nX-A: a\\rb\\r\\n\\r\\n",
        "HTTP/1.1 without Host | 400 | GET /h HTTP/1.1\\r\\nX-A: b\\r\\n\\r\\n",
        "two Host headers | 400 | GET /h HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n",
        "garbage request line | 400 | GET\\r\\n\\r\\n",
      })
  void hostileRequestIsRefusedAndNothingIsForwarded(String name, int status, String raw) throws Exception {
    String request = raw.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t").replace("\\u0000", "\u0000");
    long before = cluster.backends.get(0).requests();
    String response = RawHttp.exchange(cluster.stc.port(), request);
    assertThat(response).as(name).startsWith("HTTP/1.1 " + status);
    assertThat(response.toLowerCase()).contains("connection: close");
    assertThat(cluster.backends.get(0).requests()).as("forwarded to the backend").isEqualTo(before);
    assertThat(cluster.get("/after").statusCode()).isEqualTo(200);
  }
}
