package dev.berth.storage.azure;

import com.azure.core.http.rest.PagedIterable;
import com.azure.core.http.rest.Response;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.storage.blob.BlobAsyncClient;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerAsyncClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobBeginCopySourceRequestConditions;
import com.azure.storage.blob.models.BlobCopyInfo;
import com.azure.storage.blob.models.BlobDownloadAsyncResponse;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.models.UserDelegationKey;
import com.azure.storage.blob.options.BlobBeginCopyOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.blob.specialized.BlockBlobClient;
import dev.berth.storage.BufferedContent;
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
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Keeps objects as block blobs in one Azure Blob Storage container, optionally under a path prefix.
 * <ul>
 * <li>Writes stream in blocks of {@link Settings#blockSize()}, a few staged in parallel, then commit the block
 * list in one request, so readers see the old blob or the whole new one. Memory per write stays at
 * {@code blockSize * (uploadConcurrency + 1)} whatever the length. Content that fits one block is sent
 * as a single Put Blob instead.</li>
 * <li>Versions are ETags; conditional writes use If-Match / If-None-Match: *.</li>
 * <li>Pieces of a multipart object are runs of uncommitted blocks staged on its blob. Composing them commits
 * the block list (metadata only) and copies the blob to its target with the service's own Copy Blob, which
 * within one account need not move the data at all: no byte passes through this process.</li>
 * <li>Folders are virtual: a listing by hierarchy with the delimiter {@code /}.</li>
 * </ul>
 * Failures of the service or the transport, after the SDK's own retries, surface as {@link StorageException}.
 */
public final class AzureStorageDriver implements StorageDriver, AutoCloseable {

    /** Tuning of the driver; see {@link #defaults()}. */
    public record Settings(int blockSize, int uploadConcurrency, Duration sasLifetime) {

        /** 8 MiB blocks, 4 in flight, SAS valid 1 h. */
        public static Settings defaults() {
            return new Settings(8 * 1024 * 1024, 4, Duration.ofHours(1));
        }
    }

    /** Content up to this size is read into a buffer of its own before a whole block is taken. */
    private static final int SMALL_OBJECT = 64 * 1024;

    /** How long a single-source concatenation (a server-side copy) may take. */
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration COPY_POLL_INTERVAL = Duration.ofMillis(250);


    private final BlobContainerClient container;
    private final BlobContainerAsyncClient asyncContainer;
    private final String prefix;
    private final Settings settings;
    private final boolean sharedKey;
    private final BlockStager stager;
    private volatile UserDelegationKey delegationKey;

    /**
     * @param container the container (its client carries credentials, retry policy and HTTP client)
     * @param prefix folder inside the container for everything this driver stores; empty for none
     * @param sharedKey whether the client is authorised with the account key (service SAS), else Azure AD
     *     (user-delegation SAS)
     */
    public AzureStorageDriver(BlobContainerClient container, BlobContainerAsyncClient asyncContainer, String prefix,
            boolean sharedKey, Settings settings) {
        this.container = container;
        this.asyncContainer = asyncContainer;
        this.prefix = normalisePrefix(prefix);
        this.sharedKey = sharedKey;
        this.settings = settings;
        this.stager = new BlockStager(settings.blockSize(), settings.uploadConcurrency());
    }

    @Override
    public String name() {
        return "azure";
    }

    public BlobContainerClient container() {
        return container;
    }

    @Override
    public Optional<ObjectInfo> stat(String path) {
        BlobClient blob = blob(path);
        return call("stat", path, () -> {
            try {
                BlobProperties properties = blob.getProperties();
                if (properties.getCopyStatus() == CopyStatusType.PENDING) {
                    return Optional.empty(); // a single-source concatenation still under way
                }
                return Optional.of(new ObjectInfo(path, properties.getBlobSize(),
                        properties.getLastModified().toInstant()));
            } catch (BlobStorageException e) {
                if (e.getStatusCode() == 404) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    @Override
    public InputStream read(String path, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        BlobAsyncClient blob = asyncContainer.getBlobAsyncClient(key(path));
        return call("read", path, () -> {
            try {
                // One download of the whole range, read as fast as the caller reads (StreamingDownload); a
                // broken connection is resumed where it broke by the SDK, against the ETag seen at the start,
                // so a concurrent overwrite fails the read instead of mixing two objects.
                BlobDownloadAsyncResponse response = blob.downloadStreamWithResponse(new BlobRange(offset),
                        new DownloadRetryOptions().setMaxRetryRequests(3), null, false).block();
                return new StreamingDownload(response.getValue());
            } catch (BlobStorageException e) {
                if (e.getStatusCode() == 404) {
                    throw new ObjectNotFoundException(path);
                }
                if (e.getStatusCode() == 416 || BlobErrorCode.INVALID_RANGE.equals(e.getErrorCode())) {
                    // Past the end: nothing to read, as for a file positioned beyond its size.
                    return InputStream.nullInputStream();
                }
                throw e;
            }
        });
    }

    @Override
    public long write(String path, InputStream content) {
        BlockBlobClient blob = blob(path).getBlockBlobClient();
        // Small objects (links, records) are the common case: a small buffer first, a whole block only if needed.
        byte[] head = new byte[Math.min(SMALL_OBJECT, settings.blockSize())];
        int headLength = BlockStager.readBlock(content, head, 0, path);
        if (headLength < head.length) {
            return putWhole(blob, path, Arrays.copyOf(head, headLength));
        }
        byte[] first = head.length == settings.blockSize() ? head : Arrays.copyOf(head, settings.blockSize());
        int firstLength = headLength + BlockStager.readBlock(content, first, headLength, path);
        if (firstLength < first.length) {
            return putWhole(blob, path, Arrays.copyOf(first, firstLength));
        }
        return call("write", path, () -> writeBlocks(blob, path, content, first));
    }

    /** Content that fits one block: one Put Blob, atomic and with nothing staged. */
    private long putWhole(BlockBlobClient blob, String path, byte[] whole) {
        call("write", path, () -> blob.uploadWithResponse(new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(whole)),
                null, Context.NONE));
        return whole.length;
    }

    /** Stages the stream as blocks, up to {@code uploadConcurrency} in flight, then commits them. */
    private long writeBlocks(BlockBlobClient blob, String path, InputStream content, byte[] first) {
        String writeId = UUID.randomUUID().toString();
        SizeCounter counter = new SizeCounter(content, first.length);
        int blocks = stager.stageStream(blob, path, counter, first, first.length, writeId);
        blob.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(BlockStager.blockIds(writeId, blocks)), null,
                Context.NONE);
        return counter.total;
    }

    /**
     * A piece is a run of blocks staged on the blob at {@code path}, uncommitted and so invisible; its handle
     * is {@code <write id>.<block count>.<size>}, from which the block ids follow. Racing writers of pieces
     * stage blocks of different names and never meet.
     */
    @Override
    public Piece writePiece(String path, InputStream content) {
        BlockBlobClient blob = blob(path).getBlockBlobClient();
        String writeId = UUID.randomUUID().toString();
        if (content instanceof BufferedContent buffers) {
            BlockStager.Staged staged = call("write", path, () -> {
                try {
                    return stager.stageBuffers(asyncContainer.getBlobAsyncClient(key(path)).getBlockBlobAsyncClient(),
                            path, buffers, writeId);
                } catch (IOException e) {
                    throw new StorageException("reading the content for " + path + " failed: " + e, e);
                }
            });
            return new Piece(writeId + "." + staged.blocks() + "." + staged.bytes(), staged.bytes());
        }
        // A plain stream: usually small (a body that fit one buffer), so read no more than it holds.
        byte[] first = readUpTo(content, settings.blockSize(), path);
        if (first.length == 0) {
            return new Piece(writeId + ".0.0", 0);
        }
        SizeCounter counter = new SizeCounter(content, first.length);
        int blocks = call("write", path, () -> first.length < settings.blockSize()
                ? stager.stageStream(blob, path, InputStream.nullInputStream(), first, first.length, writeId)
                : stager.stageStream(blob, path, counter, first, first.length, writeId));
        return new Piece(writeId + "." + blocks + "." + counter.total, counter.total);
    }

    /** What {@link #pieceBufferBytes} says: blocks in flight and one being gathered. */
    @Override
    public long pieceBufferBytes() {
        return (long) settings.blockSize() * (settings.uploadConcurrency() + 1);
    }

    private static byte[] readUpTo(InputStream content, int max, String path) {
        try {
            return content.readNBytes(max);
        } catch (IOException e) {
            throw new StorageException("reading the content for " + path + " failed: " + e, new UncheckedIOException(e));
        }
    }

    /**
     * Commits the pieces' blocks as the blob at {@code path} (a metadata operation) and copies it to
     * {@code target} with the service's Copy Blob, which within one account shares the data rather than
     * copying it: no byte passes through this process, and the time barely grows with the size.
     */
    @Override
    public void composePieces(String path, List<String> handles, String target) {
        BlockBlobClient source = blob(path).getBlockBlobClient();
        StorePath.check(target); // before anything is committed
        List<String> ids = new ArrayList<>();
        for (String handle : handles) {
            String[] parts = handle.split("\\.");
            if (parts.length != 3) {
                throw new ObjectNotFoundException("piece " + handle);
            }
            ids.addAll(BlockStager.blockIds(parts[0], Integer.parseInt(parts[1])));
        }
        call("compose into", target, () -> {
            // Committing the same list twice (two replicas completing one upload) gives the same blob.
            source.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(ids), null, Context.NONE);
            copy(path, blob(path), blob(target).getBlockBlobClient());
            return null;
        });
    }


    /** Counts what passes through, on top of what was read before it was wrapped. */
    private static final class SizeCounter extends java.io.FilterInputStream {
        long total;

        SizeCounter(InputStream in, long alreadyRead) {
            super(in);
            this.total = alreadyRead;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                total += n;
            }
            return n;
        }
    }

    @Override
    public Optional<VersionedObject> readVersioned(String path) {
        BlobClient blob = blob(path);
        return call("read", path, () -> {
            try {
                var response = blob.downloadContentWithResponse(null, null, null, Context.NONE);
                return Optional.of(new VersionedObject(response.getValue().toBytes(),
                        response.getDeserializedHeaders().getETag()));
            } catch (BlobStorageException e) {
                if (e.getStatusCode() == 404) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    @Override
    public String writeIfVersion(String path, byte[] content, String expectedVersion) {
        BlockBlobClient blob = blob(path).getBlockBlobClient();
        BlobRequestConditions conditions = expectedVersion == null
                ? new BlobRequestConditions().setIfNoneMatch("*")
                : new BlobRequestConditions().setIfMatch(expectedVersion);
        return call("write", path, () -> {
            try {
                Response<BlockBlobItem> response = blob.uploadWithResponse(
                        new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(content)).setRequestConditions(conditions),
                        null, Context.NONE);
                return response.getValue().getETag();
            } catch (BlobStorageException e) {
                // 412 ConditionNotMet (If-Match), 409 BlobAlreadyExists (If-None-Match: *), 404 (If-Match, deleted).
                if (e.getStatusCode() == 412 || e.getStatusCode() == 409
                        || (expectedVersion != null && e.getStatusCode() == 404)) {
                    throw new VersionConflictException(path);
                }
                throw e;
            }
        });
    }

    @Override
    public List<String> list(String path) {
        String folder = key(path) + "/";
        return call("list", path, () -> {
            List<String> names = children(folder, "", null, Integer.MAX_VALUE);
            names.sort(Comparator.naturalOrder());
            return names;
        });
    }

    /**
     * The service cannot start a listing at a name, only at a prefix, so the names after {@code startAfter}
     * are sought by prefixes of it, longest first: the names sharing all of it, then those sharing all but its
     * last character, and so on, until a listing holds a page. Each listing skips only the names before
     * {@code startAfter} that share its prefix; near the end of a folder that is most of the folder.
     */
    @Override
    public List<String> list(String path, String startAfter, int limit) {
        String folder = key(path) + "/";
        return call("list", path, () -> {
            if (startAfter == null || startAfter.isEmpty()) {
                return children(folder, "", null, limit);
            }
            List<String> page = List.of();
            // A child's name has no '/': a prefix with one would list inside a sub-folder.
            int slash = startAfter.indexOf('/');
            String seekable = slash < 0 ? startAfter : startAfter.substring(0, slash);
            for (int shared = longestListedPrefix(folder, seekable); shared >= 0; shared--) {
                page = children(folder, startAfter.substring(0, shared), startAfter, limit);
                if (page.size() >= limit) {
                    break;
                }
            }
            return page;
        });
    }

    /**
     * Up to {@code limit} children of {@code folder} starting with {@code namePrefix} and sorting after
     * {@code after}, in name order. The service lists a sub-folder {@code app} as {@code app/}, after
     * {@code app-api/} ('-' and '.' sort before '/'), so the listing is read until it is past the page's last
     * name, and the few names that could still come later (the page's last name cut before a '-' or '.')
     * are looked up directly.
     */
    private List<String> children(String folder, String namePrefix, String after, int limit) {
        TreeSet<String> names = new TreeSet<>();
        PagedIterable<BlobItem> items = container.listBlobsByHierarchy("/", new ListBlobsOptions()
                .setPrefix(folder + namePrefix).setMaxResultsPerPage((int) Math.min(5000, limit + 16L)), null);
        // Each page of the service covers the next range of names, but the SDK hands out a page's blobs and
        // its sub-folders separately: the listing's order holds only from one page to the next.
        for (var page : items.iterableByPage()) {
            String furthest = "";
            for (BlobItem item : page.getValue()) {
                String listed = item.getName().substring(folder.length());
                String name = listed.endsWith("/") ? listed.substring(0, listed.length() - 1) : listed;
                if (!name.isEmpty() && name.indexOf('/') < 0 && (after == null || name.compareTo(after) > 0)) {
                    names.add(name);
                }
                if (listed.compareTo(furthest) > 0) {
                    furthest = listed;
                }
            }
            if (names.size() >= limit && furthest.compareTo(lastOfPage(names, limit) + "/") > 0) {
                break;
            }
        }
        while (names.size() >= limit) {
            String last = lastOfPage(names, limit);
            boolean added = false;
            for (int cut = namePrefix.length(); cut < last.length(); cut++) {
                char next = last.charAt(cut);
                String shorter = last.substring(0, cut);
                if ((next == '-' || next == '.') && (after == null || shorter.compareTo(after) > 0)
                        && !names.contains(shorter) && childExists(folder, shorter)) {
                    names.add(shorter);
                    added = true;
                }
            }
            if (!added) {
                break;
            }
        }
        List<String> page = new ArrayList<>(Math.min(limit, names.size()));
        for (String name : names) {
            if (page.size() >= limit) {
                break;
            }
            page.add(name);
        }
        return page;
    }

    private static String lastOfPage(TreeSet<String> names, int limit) {
        int index = 0;
        for (String name : names) {
            if (++index == limit) {
                return name;
            }
        }
        return names.last();
    }

    /**
     * The length of the longest start of {@code name} that some child of {@code folder} starts with: no
     * listing by a longer prefix can find anything. Found by halving, a few requests of one result each.
     */
    private int longestListedPrefix(String folder, String name) {
        int found = 0;
        int absent = name.length() + 1;
        while (absent - found > 1) {
            int middle = (found + absent) >>> 1;
            if (container.listBlobsByHierarchy("/", new ListBlobsOptions()
                    .setPrefix(folder + name.substring(0, middle)).setMaxResultsPerPage(1), null).iterator().hasNext()) {
                found = middle;
            } else {
                absent = middle;
            }
        }
        return found;
    }

    /** Whether {@code folder} has a child {@code name}: a sub-folder (something under it) or a blob. */
    private boolean childExists(String folder, String name) {
        if (container.listBlobsByHierarchy("/", new ListBlobsOptions().setPrefix(folder + name + "/")
                .setMaxResultsPerPage(1), null).iterator().hasNext()) {
            return true;
        }
        return container.getBlobClient(folder + name).exists();
    }

    /**
     * The service's own Copy Blob, which within one account shares the data instead of copying it (measured
     * on Azurite: 0.05 s for 256 MiB against 6.8 s by Put Block From URL). Returns when the copy is done;
     * {@link #stat} hides a target whose copy is still pending.
     */
    private void copy(String sourcePath, BlobClient source, BlockBlobClient targetBlob) {
        BlobProperties properties = sourceProperties(sourcePath, source);
        // Within one account a shared-key request may name the source plainly (Azurite answers 500 to a
        // Copy Blob whose source carries a SAS); with Azure AD a user-delegation SAS authorises the source.
        String url = sharedKey ? source.getBlobUrl()
                : source.getBlobUrl() + "?" + readSas(source, OffsetDateTime.now().plus(settings.sasLifetime()));
        SyncPoller<BlobCopyInfo, Void> poller = targetBlob.beginCopy(new BlobBeginCopyOptions(url)
                .setSourceRequestConditions(new BlobBeginCopySourceRequestConditions().setIfMatch(properties.getETag()))
                .setPollInterval(COPY_POLL_INTERVAL));
        PollResponse<BlobCopyInfo> done = pollOnThisThread(poller, sourcePath);
        CopyStatusType status = done.getValue() == null ? null : done.getValue().getCopyStatus();
        if (status != CopyStatusType.SUCCESS) {
            if (status == CopyStatusType.PENDING) {
                poller.cancelOperation();
            }
            throw new StorageException("azure store could not copy " + sourcePath + ": copy status " + status
                    + (done.getValue() == null ? "" : " " + done.getValue().getError()));
        }
    }

    /**
     * Polls a copy on the calling thread until it ends or {@link #COPY_TIMEOUT} passes. The poller's own
     * waitForCompletion would poll on the SDK's small shared executor: many commits at once would queue there
     * behind each other, one blocked thread each.
     */
    private static PollResponse<BlobCopyInfo> pollOnThisThread(SyncPoller<BlobCopyInfo, Void> poller, String sourcePath) {
        long deadline = System.nanoTime() + COPY_TIMEOUT.toNanos();
        PollResponse<BlobCopyInfo> response = poller.poll();
        while (!response.getStatus().isComplete() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(COPY_POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("azure store: interrupted while copying " + sourcePath, e);
            }
            response = poller.poll();
        }
        return response;
    }

    private static BlobProperties sourceProperties(String sourcePath, BlobClient source) {
        try {
            return source.getProperties();
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                throw new ObjectNotFoundException(sourcePath);
            }
            throw e;
        }
    }


    /** A read-only SAS URL of the blob (service SAS with the account key, user-delegation SAS with Azure AD). */
    @Override
    public Optional<URI> readUrl(String path, Duration lifetime) {
        BlobClient blob = blob(path);
        return call("sign a read URL for", path,
                () -> Optional.of(URI.create(blob.getBlobUrl() + "?" + readSas(blob, OffsetDateTime.now().plus(lifetime)))));
    }

    @Override
    public void delete(String path) {
        String key = key(path);
        call("delete", path, () -> {
            deleteIfExists(container.getBlobClient(key));
            List<Future<?>> deletions = new ArrayList<>();
            for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(key + "/")
                    .setMaxResultsPerPage(5000), null)) {
                BlobClient child = container.getBlobClient(item.getName());
                deletions.add(stager.submit(() -> deleteIfExists(child)));
                while (inFlight(deletions) >= 8) {
                    BlockStager.await(firstUnfinished(deletions));
                }
            }
            for (Future<?> deletion : deletions) {
                BlockStager.await(deletion);
            }
            return null;
        });
    }

    @Override
    public void close() {
        stager.close();
    }

    private static boolean deleteIfExists(BlobClient blob) {
        try {
            return blob.deleteIfExists();
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                return false; // another deleter won the race: the same outcome
            }
            throw e;
        }
    }

    /** A read-only SAS for one source blob, valid until {@code expiry}. */
    private String readSas(BlobClient source, OffsetDateTime expiry) {
        BlobServiceSasSignatureValues values = new BlobServiceSasSignatureValues(expiry, new BlobSasPermission().setReadPermission(true))
                .setStartTime(OffsetDateTime.now().minusMinutes(5)); // clock skew between us and the service
        if (sharedKey) {
            return source.generateSas(values);
        }
        return source.generateUserDelegationSas(values, userDelegationKey(expiry));
    }

    /** An Azure AD delegation key, kept while it outlives the SAS it must sign. */
    private UserDelegationKey userDelegationKey(OffsetDateTime needed) {
        UserDelegationKey key = delegationKey;
        if (key == null || key.getSignedExpiry().isBefore(needed)) {
            synchronized (this) {
                key = delegationKey;
                if (key == null || key.getSignedExpiry().isBefore(needed)) {
                    BlobServiceClient service = container.getServiceClient();
                    OffsetDateTime now = OffsetDateTime.now();
                    key = service.getUserDelegationKey(now.minusMinutes(5), needed.plus(settings.sasLifetime()));
                    delegationKey = key;
                }
            }
        }
        return key;
    }

    private BlobClient blob(String path) {
        return container.getBlobClient(key(path));
    }

    /** The blob name of a store path, once {@link StorePath} has accepted it. */
    String key(String path) {
        return prefix + StorePath.check(path);
    }

    private static String normalisePrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        String trimmed = prefix.strip();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        return trimmed.isEmpty() ? "" : trimmed + "/";
    }




    private static int inFlight(List<Future<?>> futures) {
        int n = 0;
        for (Future<?> future : futures) {
            if (!future.isDone()) {
                n++;
            }
        }
        return n;
    }

    private static Future<?> firstUnfinished(List<Future<?>> futures) {
        for (Future<?> future : futures) {
            if (!future.isDone()) {
                return future;
            }
        }
        return futures.get(futures.size() - 1);
    }



    /**
     * Runs one operation, turning what the SDK throws (service errors after retries, transport failures,
     * timeouts) into {@link StorageException}; the driver's own exceptions pass unchanged.
     */
    private <T> T call(String operation, String path, Supplier<T> action) {
        try {
            return action.get();
        } catch (StorageException | IllegalArgumentException e) {
            throw e;
        } catch (BlobStorageException e) {
            throw new StorageException("azure store could not " + operation + " " + path + ": HTTP "
                    + e.getStatusCode() + " " + e.getErrorCode(), e);
        } catch (RuntimeException e) {
            throw new StorageException("azure store could not " + operation + " " + path + ": " + e, e);
        }
    }

}
