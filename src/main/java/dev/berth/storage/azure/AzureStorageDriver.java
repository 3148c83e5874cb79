package dev.berth.storage.azure;

import static dev.berth.storage.azure.AzureErrors.call;

import com.azure.core.http.rest.Response;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobAsyncClient;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerAsyncClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobDownloadAsyncResponse;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
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
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;

/**
 * Keeps objects as block blobs in one Azure Blob Storage container, optionally under a path prefix. This class
 * maps the {@link StorageDriver} methods onto the service; the parts it delegates to live beside it.
 * <ul>
 * <li>Writes stream in blocks of {@link Settings#blockSize()}, a few staged in parallel ({@link BlockStager}), then
 * commit the block list in one request, so readers see the old blob or the whole new one. Memory per write
 * stays at {@code blockSize * (uploadConcurrency + 1)} whatever the length. Content that fits one block is
 * sent as a single Put Blob instead.</li>
 * <li>Versions are ETags; conditional writes use If-Match / If-None-Match: *.</li>
 * <li>Pieces of a multipart object are runs of uncommitted blocks staged on its blob. Composing them commits
 * the block list (metadata only) and copies the blob to its target with the service's own Copy Blob
 * ({@link BlobCopier}), which within one account need not move the data at all: no byte passes through this
 * process.</li>
 * <li>Folders are virtual: a listing by hierarchy with the delimiter {@code /} ({@link HierarchyListing}); a
 * folder is deleted blob by blob ({@link FolderDeleter}).</li>
 * <li>Read URLs carry a SAS of the credential's kind ({@link SasSigner}).</li>
 * </ul>
 * Failures of the service or the transport, after the SDK's own retries, surface as {@link StorageException}
 * ({@link AzureErrors}).
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

    private final BlobContainerClient container;
    private final BlobContainerAsyncClient asyncContainer;
    private final String prefix;
    private final Settings settings;
    private final SasSigner signer;
    private final ExecutorService io;
    private final BlockStager stager;
    private final BlobCopier copier;
    private final HierarchyListing listing;
    private final FolderDeleter deleter;

    /**
     * @param container the container (its client carries credentials, retry policy and HTTP client)
     * @param prefix folder inside the container for everything this driver stores; empty for none
     * @param signer signs read URLs as the client's credential allows
     * @param io threads for staging blocks and deleting folders, shut down when the driver is closed
     */
    AzureStorageDriver(BlobContainerClient container, BlobContainerAsyncClient asyncContainer, String prefix,
            SasSigner signer, ExecutorService io, Settings settings) {
        this.container = container;
        this.asyncContainer = asyncContainer;
        this.prefix = normalisePrefix(prefix);
        this.signer = signer;
        this.io = io;
        this.settings = settings;
        this.stager = new BlockStager(settings.blockSize(), settings.uploadConcurrency(), io);
        this.copier = new BlobCopier(signer);
        this.listing = new HierarchyListing(container);
        this.deleter = new FolderDeleter(container, io);
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
                if (AzureErrors.notFound(e)) {
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
                if (AzureErrors.notFound(e)) {
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
        CountingInputStream counter = new CountingInputStream(content, first.length);
        int blocks = stager.stageStream(blob, path, counter, first, first.length, writeId);
        blob.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(BlockStager.blockIds(writeId, blocks)), null,
                Context.NONE);
        return counter.total();
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
        CountingInputStream counter = new CountingInputStream(content, first.length);
        int blocks = call("write", path, () -> first.length < settings.blockSize()
                ? stager.stageStream(blob, path, InputStream.nullInputStream(), first, first.length, writeId)
                : stager.stageStream(blob, path, counter, first, first.length, writeId));
        return new Piece(writeId + "." + blocks + "." + counter.total(), counter.total());
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
        List<String> ids = blockIds(handles);
        call("compose into", target, () -> {
            // Committing the same list twice (two replicas completing one upload) gives the same blob.
            source.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(ids), null, Context.NONE);
            copier.copy(path, blob(path), blob(target).getBlockBlobClient());
            return null;
        });
    }

    /**
     * Commits the pieces' blocks as the blob at {@code path}: readable from then on. Later pieces stage new
     * blocks, and the final commit names these again (Azure finds them among the committed ones). Blocks
     * staged but not named here would be discarded, which is why only the writer of every piece of a path
     * may publish it.
     */
    @Override
    public boolean publishPieces(String path, List<String> handles) {
        BlockBlobClient blob = blob(path).getBlockBlobClient();
        List<String> ids = blockIds(handles);
        call("publish", path, () -> blob.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(ids), null,
                Context.NONE));
        return true;
    }

    private static List<String> blockIds(List<String> handles) {
        List<String> ids = new ArrayList<>();
        for (String handle : handles) {
            String[] parts = handle.split("\\.");
            if (parts.length != 3) {
                throw new ObjectNotFoundException("piece " + handle);
            }
            ids.addAll(BlockStager.blockIds(parts[0], Integer.parseInt(parts[1])));
        }
        return ids;
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
                if (AzureErrors.notFound(e)) {
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
                if (AzureErrors.lostCondition(e, expectedVersion != null)) {
                    throw new VersionConflictException(path);
                }
                throw e;
            }
        });
    }

    @Override
    public List<String> list(String path) {
        String folder = key(path) + "/";
        return call("list", path, () -> listing.all(folder));
    }

    /** The service cannot start a listing at a name: see {@link HierarchyListing#page}. */
    @Override
    public List<String> list(String path, String startAfter, int limit) {
        String folder = key(path) + "/";
        return call("list", path, () -> listing.page(folder, startAfter, limit));
    }

    /** A read-only SAS URL of the blob (service SAS with the account key, user-delegation SAS with Azure AD). */
    @Override
    public Optional<URI> readUrl(String path, Duration lifetime) {
        BlobClient blob = blob(path);
        return call("sign a read URL for", path, () -> Optional.of(
                URI.create(blob.getBlobUrl() + "?" + signer.readSas(blob, OffsetDateTime.now().plus(lifetime)))));
    }

    @Override
    public void delete(String path) {
        String key = key(path);
        call("delete", path, () -> {
            deleter.delete(key);
            return null;
        });
    }

    @Override
    public void close() {
        io.shutdownNow();
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
}
