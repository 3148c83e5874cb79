package dev.berth.storage.filesystem;

import dev.berth.storage.ObjectInfo;
import dev.berth.storage.ObjectNotFoundException;
import dev.berth.storage.Piece;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import dev.berth.storage.StorePath;
import dev.berth.storage.VersionConflictException;
import dev.berth.storage.VersionedObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
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
 * into place, so a crash never leaves half an object. Pieces of a multipart object are appended to one data
 * file, so composing them is usually a rename and otherwise an in-kernel copy, never the heap. Conditional
 * writes are serialised by {@link PathLocks}, and appends by a lock file, both holding across processes
 * sharing the folder.
 */
public final class FilesystemStorageDriver implements StorageDriver {

    /** Scratch files live under the root so that renaming them into place stays on one filesystem. */
    private static final String TEMP_FOLDER = ".berth-tmp";

    private final Path root;
    private final Path tempFolder;
    private final PathLocks locks;
    private final FolderListings listings = new FolderListings();

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
    public Optional<Path> localFile(String path) {
        Path file = resolve(path);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
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

    /** Like {@link #readVersioned} without computing a version nobody asked for. */
    @Override
    public Optional<byte[]> readBytes(String path) {
        try {
            return Optional.of(Files.readAllBytes(resolve(path)));
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

    @Override
    public List<String> list(String path, String startAfter, int limit) {
        try {
            return listings.page(resolve(path), startAfter, limit);
        } catch (IOException e) {
            throw failure("list", path, e);
        }
    }

    /**
     * Pieces are appended to one data file at {@code path}, one writer at a time (a lock file beside it
     * holds across processes); a piece's handle is its offset and length. A piece that breaks off is cut away
     * again, so in the usual case the pieces of an upload lie end to end and composing them is a rename.
     */
    @Override
    public Piece writePiece(String path, InputStream content) {
        Path data = resolve(path);
        if (Files.isDirectory(data)) {
            // Pieces as files of a folder: the layout of earlier Berth builds, which cannot be appended to.
            throw new ObjectNotFoundException(path);
        }
        return withDataFile(path, data, true, channel -> {
            long start = channel.size();
            channel.position(start);
            long written;
            try {
                written = content.transferTo(Channels.newOutputStream(channel));
            } catch (IOException | RuntimeException e) {
                channel.truncate(start);
                throw e;
            }
            return new Piece(start + "-" + written, written);
        });
    }

    /**
     * When the pieces are the data file's bytes from its start, end to end, the file itself becomes
     * {@code target} (cut after the last piece): nothing is copied. Otherwise the pieces' ranges are copied
     * in the kernel.
     */
    @Override
    public void composePieces(String path, List<String> handles, String target) {
        Path data = resolve(path);
        List<long[]> ranges = handles.stream().map(FilesystemStorageDriver::range).toList();
        Path targetFile = resolve(target);
        withDataFile(path, data, false, channel -> {
            long end = 0;
            boolean endToEnd = true;
            for (long[] range : ranges) {
                endToEnd &= range[0] == end;
                end = range[0] + range[1];
            }
            long size = channel.size();
            if (ranges.stream().anyMatch(r -> r[0] + r[1] > size)) {
                throw new ObjectNotFoundException(path + " (a piece is missing)");
            }
            if (endToEnd) {
                channel.truncate(end);
                moveIntoPlace(data, targetFile);
            } else {
                Path temp = newTempFile();
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    for (long[] range : ranges) {
                        copyRange(channel, range[0], range[1], out);
                    }
                } catch (IOException | RuntimeException e) {
                    deleteQuietly(temp);
                    throw e;
                }
                moveIntoPlace(temp, targetFile);
            }
            return null;
        });
    }

    /**
     * Pieces are appended to the data file in place, so pieces that lie end to end from its start are
     * readable there already: nothing to do but check that they do.
     */
    @Override
    public boolean publishPieces(String path, List<String> handles) {
        StorePath.check(path);
        long end = 0;
        for (String handle : handles) {
            long[] range = range(handle);
            if (range[0] != end) {
                return false;
            }
            end += range[1];
        }
        return true;
    }

    /** A piece handle is "offset-length" within the data file; any other names no piece this store has. */
    private static long[] range(String handle) {
        int dash = handle.indexOf('-');
        try {
            return new long[] {Long.parseLong(handle.substring(0, dash)), Long.parseLong(handle.substring(dash + 1))};
        } catch (RuntimeException e) {
            throw new ObjectNotFoundException("piece " + handle);
        }
    }

    private static void copyRange(FileChannel in, long offset, long length, FileChannel out) throws IOException {
        long done = 0;
        while (done < length) {
            done += in.transferTo(offset + done, length - done, out);
        }
    }

    private interface DataFileAction<T> {
        T apply(FileChannel channel) throws IOException;
    }

    /**
     * Runs {@code action} on the data file while holding its lock against other threads and processes. The
     * lock is on a separate file that is never renamed, so a writer that waited for it always opens the
     * current data file, never one a compose has just renamed into a blob.
     */
    private <T> T withDataFile(String path, Path data, boolean create, DataFileAction<T> action) {
        String key = data.toString();
        Path lockFile = data.resolveSibling(data.getFileName() + ".lock");
        AppendLocks.lock(key);
        try {
            Files.createDirectories(data.getParent());
            try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = lockChannel.lock();
                    FileChannel channel = create
                            ? FileChannel.open(data, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
                            : FileChannel.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                return action.apply(channel);
            }
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(path);
        } catch (IOException e) {
            throw failure("write a piece of", path, e);
        } finally {
            AppendLocks.unlock(key);
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

    /** Maps a store path to a file; {@link StorePath} refuses anything that would leave the root. */
    Path resolve(String path) {
        return root.resolve(StorePath.check(path));
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
