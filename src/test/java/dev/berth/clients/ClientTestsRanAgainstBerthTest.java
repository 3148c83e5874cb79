package dev.berth.clients;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The client tests can be pointed at CNCF Distribution to check the harness itself; such a run proves nothing
 * about Berth, so it must never end green.
 */
class ClientTestsRanAgainstBerthTest {

    @Test
    void theClientTestsRanAgainstBerth() {
        assertThat(Commands.againstDistribution())
                .as("berth.clients.against=distribution ran the client tests against Distribution: a check of the"
                        + " harness, not of Berth; this run fails on purpose")
                .isFalse();
    }
}
