package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** What one stc tells another of an instance it hands over: one JSON line there and back, and a clear refusal of anything else. */
class HandoverTest {
  @Test
  void aLineComesBackAsItWent() throws Exception {
    Handover h = new Handover(new Instance("auto-7", "127.0.0.1", 41234), "4242 1733600000000 /var/log/stc/auto-7 \"x\".log", "java -jar app.jar");
    assertThat(h.toJson()).doesNotContain("\n");
    assertThat(Handover.fromJson(h.toJson())).isEqualTo(h);
  }

  @Test
  void aLineWithoutWhatIsNeededIsRefusedNamingIt() {
    assertThatThrownBy(() -> Handover.fromJson("ok?")).isInstanceOf(IOException.class).hasMessage("not an instance: ok?");
    assertThatThrownBy(() -> Handover.fromJson("{\"host\":\"h\",\"port\":1,\"handle\":\"x\"}"))
        .isInstanceOf(IOException.class).hasMessageStartingWith("an instance without name");
    assertThatThrownBy(() -> Handover.fromJson("{\"name\":\"a\",\"host\":\"h\",\"port\":70000,\"handle\":\"x\"}"))
        .isInstanceOf(IOException.class).hasMessageStartingWith("an instance without a port");
    assertThatThrownBy(() -> Handover.fromJson("[]")).isInstanceOf(IOException.class).hasMessageStartingWith("an instance without name");
  }
}
