package io.latchkey.transport;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("transport")
class PeerTransportConfigTest {
    @Test
    void peersWithoutSecretOrCertificates_failAtStart() {
        assertThatThrownBy(() -> PeerTransportConfig.defaults(1, "c", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must authenticate");
    }

    @Test
    void shortSecret_failsAtStart() {
        assertThatThrownBy(() -> PeerTransportConfig.defaults(1, "c", "short"))
                .hasMessageContaining("at least " + PeerTransportConfig.SHARED_SECRET_LENGTH_MIN);
    }

    @Test
    void certificatesAlone_areEnough() {
        var tls = new PeerTransportConfig.TlsFiles(Path.of("node.pem"), Path.of("node.key"), Path.of("ca.pem"));
        assertThat(PeerTransportConfig.defaults(1, "c", null, tls).usesSharedSecret()).isFalse();
    }

    @Test
    void queueThatCannotHoldOneLargestMessage_failsAtStart() {
        assertThatThrownBy(() -> PeerTransportConfig.defaults(1, "c", TestNode.SECRET).withQueueLimits(10, 1024))
                .hasMessageContaining("queue bytes max");
    }

    @Test
    void defaults_listenOnThePeerPort_andNeverPrintTheSecret() {
        PeerTransportConfig config = PeerTransportConfig.defaults(0x2a, "c", TestNode.SECRET);
        assertThat(config.listenPort()).isEqualTo(7080);
        assertThat(config.toString()).doesNotContain(TestNode.SECRET).contains("localNodeId=2a");
    }
}
