package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.state.proto.StateBackup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("state")
class BackupsTest {
    @Test
    void aBackupRestoresTheStateItWasTakenFrom() {
        Driver d = new Driver();
        d.put("k", "v");
        d.lease(30);
        StateBackup backup = Backups.of(ByteString.copyFrom(d.snapshot()), d.view().revision(), 7, 1);

        StateBackup read = Backups.read(backup.toByteArray());

        assertThat(read.getRevision()).isEqualTo(2);
        assertThat(read.getState().toByteArray()).isEqualTo(d.snapshot());
    }

    @Test
    void aDamagedOrForeignFileIsRefusedSayingWhy() {
        Driver d = new Driver();
        d.put("k", "v");
        byte[] good = Backups.of(ByteString.copyFrom(d.snapshot()), d.view().revision(), 1, 1).toByteArray();
        byte[] flipped = good.clone();
        flipped[flipped.length - 40] ^= 1;
        StateBackup otherRevision = Backups.of(ByteString.copyFrom(d.snapshot()), 99, 1, 1);

        assertThatThrownBy(() -> Backups.read(flipped)).hasMessageContaining("damaged");
        assertThatThrownBy(() -> Backups.read("not a snapshot".getBytes())).hasMessageContaining("not a Latchkey snapshot");
        assertThatThrownBy(() -> Backups.read(otherRevision.toBuilder().setFormatVersion(2).build().toByteArray()))
                .hasMessageContaining("format 2");
        assertThatThrownBy(() -> Backups.read(otherRevision.toByteArray())).hasMessageContaining("revision 99");
    }
}
