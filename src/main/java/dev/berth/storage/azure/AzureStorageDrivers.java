package dev.berth.storage.azure;

import dev.berth.settings.InvalidSettingException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.berth.storage.StorageException;
import dev.berth.storage.StorageProperties;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds an {@link AzureStorageDriver} from {@code berth.storage.azure.*}. */
public final class AzureStorageDrivers {

    private static final Logger log = LoggerFactory.getLogger(AzureStorageDrivers.class);

    private AzureStorageDrivers() {
    }

    /**
     * Transient failures (5xx, 429, timeouts, broken connections) are retried by the SDK: 5 tries with
     * exponential back-off from 0.5 s up to 10 s. No per-try timeout: a Put Block From URL of 4000 MiB may
     * legitimately take minutes; a stuck connection is caught by the HTTP client's read/response timeouts.
     */
    public static RequestRetryOptions retryOptions() {
        return new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 5, (Duration) null, Duration.ofMillis(500),
                Duration.ofSeconds(10), null);
    }

    /**
     * The JDK's HTTP client (see pom.xml), with timeouts that catch a stuck service without cutting a long
     * server-side copy short, and threads of its own. By default the SDK completes every response on its
     * shared executor (two threads a core), where it also runs blocking work such as Copy Blob polling: with
     * that many commits waiting at once, no response could complete any more, and the replica stood still.
     */
    public static HttpClient httpClient() {
        return new JdkHttpClientBuilder()
                .connectionTimeout(Duration.ofSeconds(10))
                .writeTimeout(Duration.ofSeconds(60))
                .responseTimeout(Duration.ofMinutes(5))
                .readTimeout(Duration.ofSeconds(60))
                .executor(HTTP_THREADS)
                .build();
    }

    /** Threads that complete HTTP exchanges with the store: only non-blocking work runs here. */
    private static final ExecutorService HTTP_THREADS = Executors.newCachedThreadPool(daemonThreads("berth-azure-http-"));

    /** Daemon threads named {@code name} and a count, so that they show in thread dumps as the store's. */
    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    public static AzureStorageDriver create(StorageProperties.Azure azure) {
        return create(azure, AzureStorageDriver.Settings.defaults());
    }

    public static AzureStorageDriver create(StorageProperties.Azure azure, AzureStorageDriver.Settings settings) {
        return create(azure, settings, httpClient());
    }

    /** With a given HTTP client (tests and measurements of other transports). */
    public static AzureStorageDriver create(StorageProperties.Azure azure, AzureStorageDriver.Settings settings,
            HttpClient httpClient) {
        return create(azure, settings, httpClient, retryOptions());
    }

    /** With a given HTTP client and retry policy (tests). */
    public static AzureStorageDriver create(StorageProperties.Azure azure, AzureStorageDriver.Settings settings,
            HttpClient httpClient, RequestRetryOptions retryOptions) {
        BlobServiceClientBuilder builder = new BlobServiceClientBuilder()
                .httpClient(httpClient)
                .retryOptions(retryOptions);
        // How read URLs (and, without the account key, Copy Blob sources) are signed: fixed by the credential.
        Function<BlobServiceClient, SasSigner> signer;
        String credentialKind;
        if (hasText(azure.connectionString())) {
            builder.connectionString(azure.connectionString());
            if (hasText(azure.endpoint())) {
                builder.endpoint(azure.endpoint());
            }
            // A connection string with only a SAS token cannot sign SAS for concatenation.
            signer = azure.connectionString().contains("AccountKey=") ? service -> new SharedKeySasSigner()
                    : service -> new UserDelegationSasSigner(service, settings.sasLifetime());
            credentialKind = "connection string";
        } else if (hasText(azure.accountKey())) {
            if (!hasText(azure.accountName())) {
                throw new InvalidSettingException("berth.storage.azure.account-name", "not set, but an account key is",
                        "Set berth.storage.azure.account-name to the storage account the key belongs to.");
            }
            builder.endpoint(endpoint(azure)).credential(new StorageSharedKeyCredential(azure.accountName(), azure.accountKey()));
            signer = service -> new SharedKeySasSigner();
            credentialKind = "account key";
        } else {
            if (!hasText(azure.accountName()) && !hasText(azure.endpoint())) {
                throw new InvalidSettingException("berth.storage.azure.connection-string",
                        "not set, and neither is berth.storage.azure.account-name, so berth.storage.backend=azure"
                                + " has no storage account to use",
                        "Set berth.storage.azure.connection-string (environment: BERTH_STORAGE_AZURE_CONNECTION_STRING),"
                                + " or berth.storage.azure.account-name with berth.storage.azure.account-key or Azure AD"
                                + " credentials (workload or managed identity).");
            }
            builder.endpoint(endpoint(azure)).credential(new DefaultAzureCredentialBuilder().build());
            signer = service -> new UserDelegationSasSigner(service, settings.sasLifetime());
            credentialKind = "DefaultAzureCredential";
        }
        BlobServiceClient service = builder.buildClient();
        BlobContainerClient container = service.getBlobContainerClient(azure.container());
        // Only names, never secrets.
        log.info("Azure blob store: {} container '{}' prefix '{}' ({})", service.getAccountUrl(), azure.container(),
                azure.prefix() == null ? "" : azure.prefix(), credentialKind);
        if (azure.createContainer()) {
            try {
                container.createIfNotExists();
            } catch (BlobStorageException e) {
                throw new InvalidSettingException("berth.storage.azure.container", "cannot create the container '"
                        + azure.container() + "': HTTP " + e.getStatusCode() + " " + e.getErrorCode(),
                        "Create the container beforehand, or give Berth's credentials the right to create it.", e);
            } catch (RuntimeException e) {
                // A malformed key or connection string fails here too, not only an unreachable endpoint.
                throw new StorageException("cannot use the Azure blob store at " + service.getAccountUrl()
                        + " (unreachable, or the credentials are malformed): " + e.getClass().getSimpleName(), e);
            }
        }
        return new AzureStorageDriver(container, builder.buildAsyncClient().getBlobContainerAsyncClient(azure.container()),
                azure.prefix(), signer.apply(service), Executors.newCachedThreadPool(daemonThreads("berth-azure-io-")),
                settings);
    }

    private static String endpoint(StorageProperties.Azure azure) {
        if (hasText(azure.endpoint())) {
            return azure.endpoint();
        }
        return "https://" + azure.accountName() + ".blob.core.windows.net";
    }

    private static boolean hasText(String value) {
        return value != null && !value.isBlank();
    }
}
