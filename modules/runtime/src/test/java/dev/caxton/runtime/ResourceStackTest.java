package dev.caxton.runtime;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResourceStackTest {

    /** Starts steps 1..n on a stack; step k throws. Returns what was released, in order. */
    private static List<String> startFailingAt(int n, int k) {
        List<String> released = new ArrayList<>();
        ResourceStack stack = new ResourceStack();
        try {
            for (int i = 1; i <= n; i++) {
                if (i == k) {
                    throw new IllegalStateException("step " + k + " failed");
                }
                String name = "step" + i;
                stack.push(name, () -> released.add(name));
            }
        } catch (RuntimeException e) {
            stack.close();
            return released;
        }
        return List.of();
    }

    @Test
    void aFailureInStepKReleasesTheEarlierStepsNewestFirst() {
        assertThat(startFailingAt(6, 5)).containsExactly("step4", "step3", "step2", "step1");
        assertThat(startFailingAt(6, 1)).isEmpty();
        assertThat(startFailingAt(6, 2)).containsExactly("step1");
    }

    @Test
    void aFailingReleaseDoesNotStopTheOthers() {
        List<String> released = new ArrayList<>();
        ResourceStack stack = new ResourceStack();
        stack.push("a", () -> released.add("a"));
        stack.push("b", () -> {
            throw new java.io.IOException("disk gone");
        });
        stack.push("c", () -> released.add("c"));
        stack.close();
        stack.close();
        assertThat(released).containsExactly("c", "a");
        assertThatThrownBy(() -> stack.push("d", () -> { })).isInstanceOf(IllegalStateException.class);
    }
}
