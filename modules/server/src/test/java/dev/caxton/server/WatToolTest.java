package dev.caxton.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The WAT compiler as deployments use it: its exit status decides, and its message says where. */
class WatToolTest {

    private final WatTool wat = WatTool.find(null).orElseThrow(() -> new AssertionError("wabt is on the test class path"));

    @Test
    void aGoodModuleCompiles() {
        byte[] module = wat.compile("(module (memory (export \"memory\") 1))");
        assertThat(module).startsWith(0, 'a', 's', 'm');
    }

    @Test
    void anErrorNamesLineAndColumnWithoutColourCodes() {
        assertThatThrownBy(() -> wat.compile("(module\n  (func (export \"f\") (result i32)\n    i32.const 1\n    i32.bogus))"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(WatTool.FILE_NAME + ":4:")
                .hasMessageContaining("error")
                .hasMessageNotContaining("\u001b")
                .hasMessageNotContaining("bad magic");
    }

    @Test
    void aTypeErrorIsReportedNotTakenAsAModule() {
        assertThatThrownBy(() -> wat.compile("(module (func (export \"f\") (result i32) i32.const 1 i32.add))"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(WatTool.FILE_NAME + ":1:")
                .hasMessageNotContaining("\u001b");
    }

    @Test
    void emptyTextIsRefusedWithAPosition() {
        assertThatThrownBy(() -> wat.compile(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty")
                .hasMessageContaining(":1:1")
                .hasMessageNotContaining("\u001b");
        assertThatThrownBy(() -> wat.compile("  \n "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }
}
