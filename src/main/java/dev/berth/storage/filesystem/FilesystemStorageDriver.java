package dev.berth.storage.filesystem;

import dev.berth.storage.ObjectInfo;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import dev.berth.storage.VersionConflictException;
import dev.berth.storage.VersionedObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Keeps objects as files under one root folder. New objects are written to a temporary file and renamed
 * into place, so a crash never leaves half an object; concatenation uses the kernel (hard link for one
 * source, in-kernel copy for several), never the heap. Conditional writes are serialised by
 * {@link PathLocks}, which also holds across processes sharing the folder.
 */
public final class FilesystemStorageDriver implements StorageDriver {

    /** Scratch files live under the root so that renaming them into place stays on one filesystem. */
    private static final String TEMP_FOLDER = ".berth-tmp";

    private final Path root;
    private final Path tempFolder;
    private final PathLocks locks;

    public FilesystemStorageDriver(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.tempFolder = this.root.resolve(TEMP_FOLDER);
        try {
            Files.createDirectories(tempFolder);
        } catch (IOException e) {
            throw new StorageException("cannot create the store folder " + this.root, e);
        }
        this.locks = new PathLocks(this.root.resolve(".berth-locks"));
    }

    @Override
    public String name() {
        return "filesystem";
    }

    public Path root() {
        return root;
    }

    @Override
    public Optional<ObjectInfo> stat(String path) {
        Path file = resolve(path);
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new ObjectInfo(path, attributes.size(), attributes.lastModifiedTime().toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("stat", path, e);
        }
    }

    @Override
    public InputStream read(String path, long offset) {
        Path file = resolve(path);
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            channel.position(offset);
            return Channels.newInputStream(channel);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(path);
        } catch (IOException e) {
            throw failure("read", path, e);
        }
    }

    @Override
    public long write(String path, InputStream content) {
        Path target = resolve(path);
        Path temp = newTempFile();
        try {
            long written;
            try (OutputStream out = Files.newOutputStream(temp)) {
                written = content.transferTo(out);
            }
            moveIntoPlace(temp, target);
            return written;
        } catch (IOException e) {
            deleteQuietly(temp);
            throw failure("write", path, e);
        } catch (RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        }
    }

    @Override
    public Optional<VersionedObject> readVersioned(String path) {
        try {
            byte[] content = Files.readAllBytes(resolve(path));
            return Optional.of(new VersionedObject(content, versionOf(content)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("read", path, e);
        }
    }

    @Override
    public String writeIfVersion(String path, byte[] content, String expectedVersion) {
        Path target = resolve(path);
        return locks.withLock(path, () -> {
            Optional<VersionedObject> current = readVersioned(path);
            String currentVersion = current.map(VersionedObject::version).orElse(null);
            if (expectedVersion == null ? currentVersion != null : !expectedVersion.equals(currentVersion)) {
                throw new VersionConflictException(path);
            }
            Path temp = newTempFile();
            try {
                Files.write(temp, content);
                moveIntoPlace(temp, target);
            } catch (IOException e) {
                deleteQuietly(temp);
                throw failure("write", path, e);
            }
            return versionOf(content);
        });
    }

    @Override
    public List<String> list(String path) {
        Path folder = resolve(path);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(folder)) {
            for (Path child : children) {
                names.add(child.getFileName().toString());
            }
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return List.of();
        } catch (IOException e) {
            throw failure("list", path, e);
        }
        names.sort(Comparator.naturalOrder());
        return names;
    }

    /** Each piece is a file of its own in the folder {@code path}. */
    @Override
    public Piece writePiece(String path, InputStream content) {
        String handle = UUID.randomUUID().toString();
        return new Piece(handle, write(path + "/" + handle, content));
    }

    @Override
    public void composePieces(String path, List<String> handles, String target) {
        concatenate(handles.stream().map(handle -> path + "/" + handle).toList(), target);
    }

    private void concatenate(List<String> sources, String target) {
        Path targetFile = resolve(target);
        Path temp = newTempFile();
        try {
            if (sources.size() == 1) {
                // A second name for the same inode: no byte is copied and the source stays intact.
                Files.delete(temp);
                Files.createLink(temp, resolve(sources.get(0)));
            } else {
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    for (String source : sources) {
                        appendFile(resolve(source), source, out);
                    }
                }
            }
            moveIntoPlace(temp, targetFile);
        } catch (NoSuchFileException e) {
            deleteQuietly(temp);
            throw new ObjectNotFoundException(e.getFile());
        } catch (IOException e) {
            deleteQuietly(temp);
            throw failure("concatenate into", target, e);
        }
    }

    private static void appendFile(Path sourceFile, String source, FileChannel out) throws IOException {
        try (FileChannel in = FileChannel.open(sourceFile, StandardOpenOption.READ)) {
            long size = in.size();
            long position = 0;
            while (position < size) {
                position += in.transferTo(position, size - position, out);
            }
        }
    }

    @Override
    public void delete(String path) {
        Path target = resolve(path);
        if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(target)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // Another process deleted it first: the outcome is the same.
        } catch (IOException e) {
            throw failure("delete", path, e);
        }
    }

    /** Maps a store path to a file, refusing anything that would leave the root. */
    Path resolve(String path) {
        if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0")) {
            throw new IllegalArgumentException("invalid store path: " + path);
        }
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("invalid store path: " + path);
            }
        }
        return root.resolve(path);
    }

    private Path newTempFile() {
        try {
            return Files.createFile(tempFolder.resolve(UUID.randomUUID().toString()));
        } catch (NoSuchFileException e) {
            // The scratch folder was removed under us (for example the store was wiped): make it again.
            try {
                Files.createDirectories(tempFolder);
                return Files.createFile(tempFolder.resolve(UUID.randomUUID().toString()));
            } catch (IOException again) {
                throw failure("create a scratch file in", TEMP_FOLDER, again);
            }
        } catch (IOException e) {
            throw failure("create a scratch file in", TEMP_FOLDER, e);
        }
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // A leftover scratch file is harmless.
        }
    }

    private static String versionOf(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static StorageException failure(String operation, String path, IOException cause) {
        return new StorageException("filesystem store could not " + operation + " " + path + ": " + cause, cause);
    }
}
