package dev.caxton.server;

import dev.caxton.server.TokenStore.Role;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What each request needs, decided by method and path so routes added later are covered too. */
class ApiGateTest {

    @Test
    void readingNeedsMetricsSendingOperatorTheRestAdmin() {
        assertThat(ApiGate.needed("GET", "/api/v1/agents")).isEqualTo(Role.METRICS);
        assertThat(ApiGate.needed("GET", "/api/v1/some/future/route")).isEqualTo(Role.METRICS);
        assertThat(ApiGate.needed("POST", "/api/v1/messages")).isEqualTo(Role.OPERATOR);
        assertThat(ApiGate.needed("POST", "/api/v1/messages/")).isEqualTo(Role.OPERATOR);
        assertThat(ApiGate.needed("POST", "/api/v1/agents")).isEqualTo(Role.ADMIN);
        assertThat(ApiGate.needed("DELETE", "/api/v1/agents/a")).isEqualTo(Role.ADMIN);
        assertThat(ApiGate.needed("PUT", "/api/v1/agents/a/module")).isEqualTo(Role.ADMIN);
        assertThat(ApiGate.needed("POST", "/api/v1/dead-letters/x/replay")).isEqualTo(Role.ADMIN);
        assertThat(ApiGate.needed("POST", "/api/v1/some/future/action")).isEqualTo(Role.ADMIN);
        assertThat(ApiGate.needed("GET", "/api/v1/tokens")).isEqualTo(Role.ADMIN);
        assertThat(ApiGate.needed("GET", "/api/v1/storage/backup")).isEqualTo(Role.ADMIN);
    }

    @Test
    void rolesIncludeTheOnesBelow() {
        assertThat(Role.ADMIN.allows(Role.OPERATOR)).isTrue();
        assertThat(Role.OPERATOR.allows(Role.METRICS)).isTrue();
        assertThat(Role.OPERATOR.allows(Role.ADMIN)).isFalse();
        assertThat(Role.METRICS.allows(Role.OPERATOR)).isFalse();
    }
}
