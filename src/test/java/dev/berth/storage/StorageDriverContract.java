package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link StorageDriver} must do, as its javadoc says; each store's test extends this class.
 * Every test works under a fresh folder, so one store may serve the whole class.
 */
public abstract class StorageDriverContract {

    /** The store under test; may be the same instance for every test. */
    protected abstract StorageDriver driver();

    protected String base;

    @BeforeEach
    void freshFolder() {
        base = "contract/" + UUID.randomUUID();
    }

    protected String path(String relative) {
        return base + "/" + relative;
    }

    // --- absent objects ---------------------------------------------------------------------------------

    @Test
    void absentObjectsAreEmptyOrNotFound() {
        StorageDriver store = driver();
        String missing = path("no/such/object");
        assertThat(store.stat(missing)).isEmpty();
        assertThat(store.readVersioned(missing)).isEmpty();
        assertThat(store.readBytes(missing)).isEmpty();
        assertThat(store.list(missing)).isEmpty();
        assertThat(store.list(path("no"))).isEmpty();
        assertThatThrownBy(() -> store.read(missing, 0)).isInstanceOf(ObjectNotFoundException.class);
        assertThatThrownBy(() -> store.readAll(missing)).isInstanceOf(ObjectNotFoundException.class);
        store.delete(missing);
        store.delete(path("no"));
        assertThat(store.stat(missing)).isEmpty();
    }

    // --- write, stat, read ------------------------------------------------------------------------------

    @Test
    void writeThenStatAndRead() {
        StorageDriver store = driver();
        String p = path("a/object");
        byte[] content = "hello, store".getBytes(StandardCharsets.UTF_8);
        assertThat(store.write(p, new java.io.ByteArrayInputStream(content))).isEqualTo(content.length);
        Optional<ObjectInfo> info = store.stat(p);
        assertThat(info).isPresent();
        assertThat(info.get().size()).isEqualTo(content.length);
        assertThat(info.get().modifiedAt()).isNotNull();
        assertThat(store.readAll(p)).isEqualTo(content);
        assertThat(store.readBytes(p)).hasValue(content);
    }

    @Test
    void emptyObject() {
        StorageDriver store = driver();
        String p = path("empty");
        assertThat(store.write(p, InputStream.nullInputStream())).isZero();
        assertThat(store.stat(p)).map(ObjectInfo::size).hasValue(0L);
        assertThat(store.readAll(p)).isEmpty();
    }

    @Test
    void overwriteReplacesTheWholeObject() {
        StorageDriver store = driver();
        String p = path("over");
        store.writeBytes(p, bytes(3 * 1024 * 1024 + 17, 1));
        byte[] shorter = "short".getBytes(StandardCharsets.UTF_8);
        store.writeBytes(p, shorter);
        assertThat(store.readAll(p)).isEqualTo(shorter);
        assertThat(store.stat(p)).map(ObjectInfo::size).hasValue((long) shorter.length);
    }

    @Test
    void readsFromAnOffset() throws IOException {
        StorageDriver store = driver();
        String p = path("offsets");
        byte[] content = bytes(5 * 1024 * 1024 + 3, 2);
        store.writeBytes(p, content);
        for (long offset : new long[] {0, 1, 4 * 1024 * 1024 - 1, 4 * 1024 * 1024, content.length - 1}) {
            try (InputStream in = store.read(p, offset)) {
                assertThat(in.readAllBytes()).as("from " + offset)
                        .isEqualTo(Arrays.copyOfRange(content, (int) offset, content.length));
            }
        }
        try (InputStream in = store.read(p, content.length)) {
            assertThat(in.readAllBytes()).as("from the end").isEmpty();
        }
    }

    /** About 64 MiB from a stream that announces no length, read back and compared by digest. */
    @Test
    void streamsALargeWriteOfUnknownLength() throws Exception {
        StorageDriver store = driver();
        String p = path("large");
        long length = 64L * 1024 * 1024 + 12_345;
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        long count = store.write(p, new GeneratedStream(length, 3, written));
        assertThat(count).isEqualTo(length);
        assertThat(store.stat(p)).map(ObjectInfo::size).hasValue(length);
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 20];
        long total = 0;
        try (InputStream in = store.read(p, 0)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                read.update(buffer, 0, n);
                total += n;
            }
        }
        assertThat(total).isEqualTo(length);
        assertThat(read.digest()).isEqualTo(written.digest());
    }

    // --- versioned writes -------------------------------------------------------------------------------

    @Test
    void createOnlyWriteConflictsWhenTheObjectExists() {
        StorageDriver store = driver();
        String p = path("state");
        String version = store.writeIfVersion(p, bytes(10, 4), null);
        assertThat(version).isNotBlank();
        assertThatThrownBy(() -> store.writeIfVersion(p, bytes(10, 5), null))
                .isInstanceOf(VersionConflictException.class);
        VersionedObject stored = store.readVersioned(p).orElseThrow();
        assertThat(stored.content()).isEqualTo(bytes(10, 4));
        assertThat(stored.version()).isEqualTo(version);
    }

    @Test
    void staleVersionConflictsAndCurrentVersionWins() {
        StorageDriver store = driver();
        String p = path("state");
        String v1 = store.writeIfVersion(p, "one".getBytes(StandardCharsets.UTF_8), null);
        String v2 = store.writeIfVersion(p, "two".getBytes(StandardCharsets.UTF_8), v1);
        assertThat(v2).isNotEqualTo(v1);
        assertThat(store.readVersioned(p).orElseThrow().version()).isEqualTo(v2);
        assertThatThrownBy(() -> store.writeIfVersion(p, "stale".getBytes(StandardCharsets.UTF_8), v1))
                .isInstanceOf(VersionConflictException.class);
        assertThat(store.readBytes(p)).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("two"));
        String v3 = store.writeIfVersion(p, "three".getBytes(StandardCharsets.UTF_8), v2);
        VersionedObject now = store.readVersioned(p).orElseThrow();
        assertThat(now.version()).isEqualTo(v3);
        assertThat(new String(now.content(), StandardCharsets.UTF_8)).isEqualTo("three");
    }

    @Test
    void conditionalWriteOnAnAbsentObjectWithAVersionConflicts() {
        StorageDriver store = driver();
        String p = path("state");
        String v1 = store.writeIfVersion(p, "one".getBytes(StandardCharsets.UTF_8), null);
        store.delete(p);
        assertThatThrownBy(() -> store.writeIfVersion(p, "two".getBytes(StandardCharsets.UTF_8), v1))
                .isInstanceOf(VersionConflictException.class);
        assertThat(store.stat(p)).isEmpty();
    }

    /** Two writers holding the same version race; exactly one wins, every round, and its bytes stay. */
    @Test
    void racingConditionalWritesHaveExactlyOneWinner() throws Exception {
        StorageDriver store = driver();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 8; round++) {
                String p = path("race-" + round);
                String start = round % 2 == 0 ? null : store.writeIfVersion(p, "start".getBytes(StandardCharsets.UTF_8), null);
                CyclicBarrier barrier = new CyclicBarrier(2);
                List<Future<String>> results = new ArrayList<>();
                for (int writer = 0; writer < 2; writer++) {
                    byte[] content = ("writer-" + writer).getBytes(StandardCharsets.UTF_8);
                    results.add(pool.submit(() -> {
                        barrier.await(10, TimeUnit.SECONDS);
                        try {
                            store.writeIfVersion(p, content, start);
                            return new String(content, StandardCharsets.UTF_8);
                        } catch (VersionConflictException e) {
                            return null;
                        }
                    }));
                }
                List<String> winners = new ArrayList<>();
                for (Future<String> result : results) {
                    String winner = result.get(30, TimeUnit.SECONDS);
                    if (winner != null) {
                        winners.add(winner);
                    }
                }
                assertThat(winners).as("round " + round).hasSize(1);
                assertThat(new String(store.readBytes(p).orElseThrow(), StandardCharsets.UTF_8)).isEqualTo(winners.get(0));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // --- list -------------------------------------------------------------------------------------------

    @Test
    void listsDirectChildrenSorted() {
        StorageDriver store = driver();
        store.writeBytes(path("dir/b-object"), bytes(1, 6));
        store.writeBytes(path("dir/a-folder/nested/deep"), bytes(1, 6));
        store.writeBytes(path("dir/a-folder/leaf"), bytes(1, 6));
        store.writeBytes(path("dir/c-folder/x"), bytes(1, 6));
        store.writeBytes(path("dirsibling/x"), bytes(1, 6));
        assertThat(store.list(path("dir"))).containsExactly("a-folder", "b-object", "c-folder");
        assertThat(store.list(path("dir/a-folder"))).containsExactly("leaf", "nested");
        assertThat(store.list(path("dir/a-folder/nested"))).containsExactly("deep");
        assertThat(store.list(base)).containsExactly("dir", "dirsibling");
        assertThat(store.list(path("dir/b-object"))).as("an object has no children").isEmpty();
    }

    /**
     * Names where a sub-folder's name is the start of a sibling's name followed by '-' or '.' (which sort
     * before '/'), as in repositories "app" and "app-api": a page must follow name order all the same.
     */
    static final List<String> TRICKY_NAMES = List.of("a", "a-b", "a.c", "a0", "a_x", "ab", "app", "app-api",
            "app.io", "app-api-v2", "b", "z9");

    @Test
    void pagesOfAListingFollowNameOrderFromAnyStart() {
        StorageDriver store = driver();
        String folder = path("paged");
        for (int i = 0; i < TRICKY_NAMES.size(); i++) {
            String name = TRICKY_NAMES.get(i);
            // Alternately a sub-folder and an object, so both kinds meet in one listing.
            store.writeBytes(folder + "/" + name + (i % 2 == 0 ? "/inner" : ""), bytes(1, i));
        }
        List<String> sorted = new ArrayList<>(TRICKY_NAMES);
        sorted.sort(String::compareTo);
        assertThat(store.list(folder)).containsExactlyElementsOf(sorted);

        List<String> starts = new ArrayList<>(sorted);
        starts.addAll(List.of("", "0", "a-", "a/", "aa", "app-", "app-api-", "app/", "zz", "~"));
        for (String start : starts) {
            List<String> after = sorted.stream().filter(name -> start.isEmpty() || name.compareTo(start) > 0).toList();
            for (int limit : new int[] {1, 2, 3, 100}) {
                assertThat(store.list(folder, start.isEmpty() ? null : start, limit))
                        .as("page of %d after '%s'", limit, start)
                        .containsExactlyElementsOf(after.subList(0, Math.min(limit, after.size())));
            }
        }
        assertThat(store.list(path("no-such-folder"), "a", 10)).isEmpty();
    }

    // --- pieces -----------------------------------------------------------------------------------------

    @Test
    void composesOnePiece() {
        StorageDriver store = driver();
        byte[] content = bytes(2 * 1024 * 1024 + 5, 7);
        Piece piece = store.writePiece(path("upload/data"), new ByteArrayInputStream(content));
        assertThat(piece.size()).isEqualTo(content.length);
        store.composePieces(path("upload/data"), List.of(piece.handle()), path("blob"));
        assertThat(store.readAll(path("blob"))).isEqualTo(content);
        assertThat(store.stat(path("blob"))).map(ObjectInfo::size).hasValue((long) content.length);
    }

    @Test
    void composesSeveralPiecesInTheOrderGivenAndLeavesOutTheOthers() {
        StorageDriver store = driver();
        byte[] one = bytes(3 * 1024 * 1024 + 1, 8);
        byte[] two = bytes(17, 9);
        byte[] three = bytes(1024 * 1024, 10);
        String data = path("upload/data");
        Piece first = store.writePiece(data, new ByteArrayInputStream(one));
        Piece unused = store.writePiece(data, new ByteArrayInputStream(bytes(999, 12)));
        Piece third = store.writePiece(data, new ByteArrayInputStream(three));
        Piece second = store.writePiece(data, new ByteArrayInputStream(two));
        assertThat(unused.handle()).isNotIn(first.handle(), second.handle(), third.handle());
        store.writeBytes(path("blob"), "an older object".getBytes(StandardCharsets.UTF_8));

        store.composePieces(data, List.of(first.handle(), second.handle(), third.handle()), path("blob"));

        byte[] expected = new byte[one.length + two.length + three.length];
        System.arraycopy(one, 0, expected, 0, one.length);
        System.arraycopy(two, 0, expected, one.length, two.length);
        System.arraycopy(three, 0, expected, one.length + two.length, three.length);
        assertThat(store.readAll(path("blob"))).isEqualTo(expected);
        assertThat(store.stat(path("blob"))).map(ObjectInfo::size).hasValue((long) expected.length);
    }

    @Test
    void aPieceThatBreaksOffIsLeftOutOfTheComposition() {
        StorageDriver store = driver();
        String data = path("broken/data");
        byte[] one = bytes(300 * 1024, 16);
        byte[] two = bytes(5000, 17);
        Piece first = store.writePiece(data, new ByteArrayInputStream(one));
        InputStream breaksOff = new java.io.SequenceInputStream(new ByteArrayInputStream(bytes(64 * 1024, 18)),
                new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("connection reset");
                    }
                });
        assertThatThrownBy(() -> store.writePiece(data, breaksOff)).isInstanceOf(RuntimeException.class);
        Piece second = store.writePiece(data, new ByteArrayInputStream(two));

        store.composePieces(data, List.of(first.handle(), second.handle()), path("blob"));

        byte[] expected = Arrays.copyOf(one, one.length + two.length);
        System.arraycopy(two, 0, expected, one.length, two.length);
        assertThat(store.readAll(path("blob"))).isEqualTo(expected);
    }

    @Test
    void publishedPiecesAreReadableWhileMoreFollow() throws IOException {
        StorageDriver store = driver();
        String data = path("growing/data");
        byte[] one = bytes(2 * 1024 * 1024 + 3, 21);
        byte[] two = bytes(70_000, 22);
        byte[] three = bytes(1024 * 1024 + 1, 23);
        Piece first = store.writePiece(data, new ByteArrayInputStream(one));
        Piece second = store.writePiece(data, new ByteArrayInputStream(two));

        assertThat(store.publishPieces(data, List.of(first.handle(), second.handle()))).isTrue();
        byte[] joined = Arrays.copyOf(one, one.length + two.length);
        System.arraycopy(two, 0, joined, one.length, two.length);
        try (InputStream in = store.read(data, 0)) {
            assertThat(in.readNBytes(joined.length)).isEqualTo(joined);
        }
        try (InputStream in = store.read(data, one.length - 5)) {
            assertThat(in.readNBytes(5 + two.length)).isEqualTo(Arrays.copyOfRange(joined, one.length - 5,
                    joined.length));
        }

        Piece third = store.writePiece(data, new ByteArrayInputStream(three));
        store.composePieces(data, List.of(first.handle(), second.handle(), third.handle()), path("blob"));
        byte[] whole = Arrays.copyOf(joined, joined.length + three.length);
        System.arraycopy(three, 0, whole, joined.length, three.length);
        assertThat(store.readAll(path("blob"))).isEqualTo(whole);
    }

    @Test
    void piecesWrittenAfterACompositionDoNotChangeItsObject() {
        StorageDriver store = driver();
        String data = path("late/data");
        byte[] content = bytes(100 * 1024, 19);
        Piece piece = store.writePiece(data, new ByteArrayInputStream(content));
        store.composePieces(data, List.of(piece.handle()), path("blob"));

        store.writePiece(data, new ByteArrayInputStream(bytes(4096, 20)));

        assertThat(store.readAll(path("blob"))).isEqualTo(content);
        assertThat(store.stat(path("blob"))).map(ObjectInfo::size).hasValue((long) content.length);
    }

    @Test
    void composingAHandleTheStoreNeverGaveIsObjectNotFound() {
        StorageDriver store = driver();
        String data = path("foreign/data");
        Piece piece = store.writePiece(data, new ByteArrayInputStream(bytes(10, 21)));
        assertThatThrownBy(() -> store.composePieces(data, List.of(piece.handle(), "not a piece handle"), path("blob")))
                .isInstanceOf(ObjectNotFoundException.class);
        assertThat(store.stat(path("blob"))).isEmpty();
    }

    @Test
    void piecesWrittenConcurrentlyDoNotDisturbEachOther() throws Exception {
        StorageDriver store = driver();
        String data = path("racing/data");
        List<byte[]> contents = List.of(bytes(1536 * 1024, 13), bytes(2 * 1024 * 1024, 14), bytes(700, 15));
        ExecutorService pool = Executors.newFixedThreadPool(contents.size());
        try {
            List<Future<Piece>> pieces = new ArrayList<>();
            for (byte[] content : contents) {
                pieces.add(pool.submit(() -> store.writePiece(data, new ByteArrayInputStream(content))));
            }
            List<String> handles = new ArrayList<>();
            for (Future<Piece> piece : pieces) {
                handles.add(piece.get().handle());
            }
            store.composePieces(data, List.of(handles.get(2), handles.get(0)), path("blob"));
        } finally {
            pool.shutdownNow();
        }
        byte[] expected = new byte[700 + 1536 * 1024];
        System.arraycopy(contents.get(2), 0, expected, 0, 700);
        System.arraycopy(contents.get(0), 0, expected, 700, 1536 * 1024);
        assertThat(store.readAll(path("blob"))).isEqualTo(expected);
    }

    // --- delete -----------------------------------------------------------------------------------------

    @Test
    void deletesAnObject() {
        StorageDriver store = driver();
        store.writeBytes(path("gone"), bytes(5, 12));
        store.writeBytes(path("gone-not"), bytes(5, 12));
        store.delete(path("gone"));
        assertThat(store.stat(path("gone"))).isEmpty();
        assertThat(store.stat(path("gone-not"))).isPresent();
    }

    @Test
    void deletesAWholeFolderButNotItsNamesakes() {
        StorageDriver store = driver();
        store.writeBytes(path("f/a"), bytes(5, 13));
        store.writeBytes(path("f/b/c"), bytes(5, 13));
        store.writeBytes(path("f/b/d/e"), bytes(5, 13));
        store.writeBytes(path("f2/x"), bytes(5, 13));
        store.writeBytes(path("f.txt"), bytes(5, 13));
        store.delete(path("f"));
        assertThat(store.stat(path("f/a"))).isEmpty();
        assertThat(store.stat(path("f/b/c"))).isEmpty();
        assertThat(store.stat(path("f/b/d/e"))).isEmpty();
        assertThat(store.list(path("f"))).isEmpty();
        assertThat(store.list(base)).containsExactly("f.txt", "f2");
        store.delete(path("f"));
    }

    // --- invalid paths ----------------------------------------------------------------------------------

    /** Paths every store refuses ({@link StorePath}'s rule), whichever method is given one. */
    static Stream<String> invalidPaths() {
        return Stream.of(null, "", "/", "/abs", "trailing/", "a/b/", "a//b", ".", "..", "./a", "a/.", "a/./b",
                "a/../b", "../a", "a/..", "a\\b", "a\0b");
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("invalidPaths")
    void everyMethodRefusesAnInvalidPath(String bad) {
        StorageDriver store = driver();
        String good = path("good");
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        calls.put("stat", () -> store.stat(bad));
        calls.put("read", () -> store.read(bad, 0));
        calls.put("write", () -> store.write(bad, new ByteArrayInputStream(bytes(3, 30))));
        calls.put("readVersioned", () -> store.readVersioned(bad));
        calls.put("writeIfVersion", () -> store.writeIfVersion(bad, bytes(3, 30), null));
        calls.put("list", () -> store.list(bad));
        calls.put("list a page", () -> store.list(bad, null, 10));
        calls.put("list a page after a name", () -> store.list(bad, "a", 10));
        calls.put("writePiece", () -> store.writePiece(bad, new ByteArrayInputStream(bytes(3, 30))));
        calls.put("composePieces from", () -> store.composePieces(bad, List.of(), good));
        calls.put("delete", () -> store.delete(bad));
        calls.put("readUrl", () -> store.readUrl(bad, Duration.ofMinutes(1)));
        calls.put("localFile", () -> store.localFile(bad));
        calls.put("writeBytes", () -> store.writeBytes(bad, bytes(3, 30)));
        calls.put("readBytes", () -> store.readBytes(bad));
        calls.put("readAll", () -> store.readAll(bad));
        calls.forEach((method, call) -> assertThatThrownBy(call).as(method)
                .isInstanceOf(IllegalArgumentException.class).hasMessage("invalid store path: " + bad));

        // A composition into an invalid target is refused before it touches the pieces, which still compose.
        Piece piece = store.writePiece(path("upload/data"), new ByteArrayInputStream(bytes(10, 31)));
        assertThatThrownBy(() -> store.composePieces(path("upload/data"), List.of(piece.handle()), bad))
                .as("composePieces into").isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid store path: " + bad);
        store.composePieces(path("upload/data"), List.of(piece.handle()), path("blob"));
        assertThat(store.readAll(path("blob"))).isEqualTo(bytes(10, 31));
    }

    // --- helpers ----------------------------------------------------------------------------------------

    protected static byte[] bytes(int length, long seed) {
        byte[] content = new byte[length];
        new SplittableRandom(seed).nextBytes(content);
        return content;
    }

    /**
     * Pseudo-random bytes of a given length that does not announce it ({@code available()} is 0), hashed as
     * they are handed out.
     */
    public static final class GeneratedStream extends InputStream {
        private final SplittableRandom random;
        private final MessageDigest digest;
        private long remaining;

        public GeneratedStream(long length, long seed, MessageDigest digest) {
            this.remaining = length;
            this.random = new SplittableRandom(seed);
            this.digest = digest;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining <= 0) {
                return -1;
            }
            // Odd sizes, as a network stream hands them out.
            int n = (int) Math.min(Math.min(len, remaining), 64 * 1024 + 7);
            for (int i = 0; i < n; i += 8) {
                long value = random.nextLong();
                for (int j = 0; j < 8 && i + j < n; j++) {
                    b[off + i + j] = (byte) (value >>> (8 * j));
                }
            }
            if (digest != null) {
                digest.update(b, off, n);
            }
            remaining -= n;
            return n;
        }
    }
}
