package io.latchkey.transport;

import com.google.protobuf.ByteString;
import io.latchkey.raft.raftpb.Message;
import io.latchkey.raft.raftpb.Snapshot;
import io.latchkey.raft.raftpb.SnapshotMetadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Snapshots as files in one directory; the reference in {@code Snapshot.data} is the file
 * name (UTF-8). Used by tests and single-machine setups; a database-backed implementation can
 * replace it without touching the transport.
 */
public final class FileSnapshotStreams implements SnapshotStreams {
    private static final int COPY_BUFFER_BYTES = 64 << 10;

    private final Path directory;

    public FileSnapshotStreams(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
    }

    /**
     * Stores {@code data} durably and returns the snapshot that refers to it. The file appears
     * under its final name only once complete, so a crash never leaves a truncated snapshot
     * that looks whole.
     */
    public Snapshot store(SnapshotMetadata metadata, InputStream data) throws IOException {
        String name = "snapshot-%016x-%016x.bin".formatted(metadata.getTerm(), metadata.getIndex());
        Path partial = Files.createTempFile(directory, "incoming-", ".part");
        try {
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(channel)) {
                byte[] buffer = new byte[COPY_BUFFER_BYTES];
                for (int n; (n = data.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                }
                channel.force(true);
            }
            Files.move(partial, directory.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
        return Snapshot.newBuilder().setMetadata(metadata).setData(ByteString.copyFromUtf8(name)).build();
    }

    /** The file a snapshot refers to. */
    public Path path(Snapshot snapshot) {
        String name = snapshot.getData().toStringUtf8();
        Path file = directory.resolve(name).normalize();
        // The reference came over the network on the sending side's peer; keep it inside the directory.
        if (name.isEmpty() || !file.getParent().equals(directory.normalize())) {
            throw new IllegalArgumentException("snapshot reference is not a file name in " + directory + ": " + name);
        }
        return file;
    }

    @Override
    public InputStream open(Snapshot snapshot) throws IOException {
        return Files.newInputStream(path(snapshot));
    }

    @Override
    public Message receive(Message msgSnapHeader, InputStream data) throws IOException {
        Snapshot stored = store(msgSnapHeader.getSnapshot().getMetadata(), data);
        return msgSnapHeader.toBuilder().setSnapshot(stored).build();
    }
}
