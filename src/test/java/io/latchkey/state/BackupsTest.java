package io.latchkey.state;

import com.google.protobuf.ByteString;
import io.latchkey.node.SnapshotImage;
import io.latchkey.state.proto.StateBackup;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

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
    void aCheckedBackup_readsItsStateBackAsAStream_andRefusesAnotherBackup() throws Exception {
        Driver d = new Driver();
        d.put("k", "v");
        d.acquire("lock", d.lease(30), 0);
        byte[] file = Backups.of(ByteString.copyFrom(d.snapshot()), d.view().revision(), 7, 9).toByteArray();

        CheckedBackup checked = CheckedBackup.check(new ByteArrayInputStream(file));
        ByteArrayOutputStream state = new ByteArrayOutputStream();
        checked.readState(new ByteArrayInputStream(file), in -> in.transferTo(state));

        assertThat(checked.revision()).isEqualTo(d.view().revision());
        assertThat(checked.appliedIndex()).isEqualTo(7);
        assertThat(checked.clusterId()).isEqualTo(9);
        assertThat(checked.stateSizeBytes()).isEqualTo(d.snapshot().length);
        assertThat(state.toByteArray()).isEqualTo(d.snapshot());
        d.put("k", "changed");
        byte[] other = Backups.of(ByteString.copyFrom(d.snapshot()), d.view().revision(), 8, 9).toByteArray();
        assertThatThrownBy(() -> checked.readState(new ByteArrayInputStream(other), in -> in.transferTo(OutputStream.nullOutputStream())))
                .hasMessageContaining("the backup changed since it was checked");
    }

    @Test
    void aStreamedBackup_isByteForByteTheBackupBuiltWhole_andReadsBack() throws Exception {
        Driver d = new Driver();
        for (int i = 0; i < 200; i++) {
            d.put("k" + i, "v" + i);
        }
        d.lease(30);
        byte[] whole = Backups.of(ByteString.copyFrom(d.snapshot()), d.view().revision(), 7, 1).toByteArray();
        SnapshotImage image = Backups.image(d.machine.captureSnapshot(), 7, 1);

        java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();
        image.writeTo(streamed);

        assertThat(streamed.toByteArray()).isEqualTo(whole);
        assertThat(image.sizeBytes()).isEqualTo(whole.length);
        assertThat(Sha256.of(image)).isEqualTo(Sha256.of(ByteString.copyFrom(whole)));
        assertThat(Backups.read(streamed.toByteArray()).getRevision()).isEqualTo(d.view().revision());
    }

    @Test
    void aStreamedBackupOfAnEmptyState_isTheBackupBuiltWhole() throws Exception {
        Driver d = new Driver();
        byte[] whole = Backups.of(ByteString.copyFrom(d.snapshot()), 0, 1, 1).toByteArray();
        java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();
        SnapshotImage image = Backups.image(d.machine.captureSnapshot(), 1, 1);

        image.writeTo(streamed);

        assertThat(streamed.toByteArray()).isEqualTo(whole);
        assertThat(image.sizeBytes()).isEqualTo(whole.length);
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
