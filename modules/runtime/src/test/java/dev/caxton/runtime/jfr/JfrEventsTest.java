package dev.caxton.runtime.jfr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime's Flight Recorder events: not wanted without a recording (so nothing is filled in or
 * written), and recorded with their fields and duration when a recording enables them.
 */
class JfrEventsTest {

    @TempDir
    Path dir;

    @Test
    void withoutARecordingNothingIsWanted() {
        MessageHandledEvent e = new MessageHandledEvent();
        e.begin();
        e.end();
        assertThat(e.shouldCommit()).isFalse();
        e.commit("a", "m1", 5);
        assertThat(e.agent).isNull();
        AgentFaultEvent.emit("a", "m1", "trap");
    }

    @Test
    void aRecordingGetsTheFieldsAndTheDuration() throws Exception {
        Path file = dir.resolve("r.jfr");
        try (Recording r = new Recording()) {
            r.enable(MessageHandledEvent.NAME).withoutThreshold();
            r.enable(AgentFaultEvent.NAME);
            r.start();
            MessageHandledEvent e = new MessageHandledEvent();
            e.begin();
            Thread.sleep(2);
            e.end();
            e.commit("echo", "m-1", 1234);
            AgentFaultEvent.emit("trap", "m-2", "trap: unreachable");
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        RecordedEvent handled = events.stream().filter(e -> e.getEventType().getName().equals("dev.caxton.MessageHandled"))
                .findFirst().orElseThrow();
        assertThat(handled.getString("agent")).isEqualTo("echo");
        assertThat(handled.getString("messageId")).isEqualTo("m-1");
        assertThat(handled.getLong("fuel")).isEqualTo(1234);
        assertThat(handled.getDuration().toNanos()).isPositive();
        assertThat(handled.getEventType().getCategoryNames()).containsExactly("Caxton", "Messaging");
        RecordedEvent fault = events.stream().filter(e -> e.getEventType().getName().equals("dev.caxton.AgentFault"))
                .findFirst().orElseThrow();
        assertThat(fault.getString("agent")).isEqualTo("trap");
        assertThat(fault.getString("reason")).isEqualTo("trap: unreachable");
    }
}
