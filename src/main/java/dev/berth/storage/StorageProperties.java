package dev.berth.storage;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where Berth keeps its data.
 *
 * @param backend which store to use: {@code filesystem} (one node) or {@code azure} (clusters)
 * @param filesystem settings of the filesystem store
 * @param azure settings of the Azure Blob Storage store
 */
@ConfigurationProperties("berth.storage")
public record StorageProperties(@DefaultValue("filesystem") Backend backend, @DefaultValue Filesystem filesystem,
        @DefaultValue Azure azure) {

    /**
     * The stores Berth can keep its data in; bound case-insensitively, and any other value stops Berth at
     * start-up with the valid ones listed.
     */
    public enum Backend {
        /** Files under one folder, for a single node (or several processes on one host). */
        FILESYSTEM,
        /** An Azure Blob Storage container shared by any number of replicas. */
        AZURE
    }

    /**
     * @param root folder holding the store; the layout under it is CNCF Distribution's, so
     *     {@code registry:2} can serve the same folder
     */
    public record Filesystem(@DefaultValue("./data") Path root) {
    }

    /**
     * An Azure Blob Storage container. Credentials, first match wins: {@code connection-string}; else
     * {@code account-name} with {@code account-key}; else {@code DefaultAzureCredential} (workload identity,
     * managed identity, environment, Azure CLI) for {@code account-name} or {@code endpoint}.
     *
     * @param connectionString a storage account connection string (secret; also names the endpoint)
     * @param accountName the storage account; with {@code account-key} or an Azure AD credential
     * @param accountKey the account's shared key (secret); enables service SAS for server-side concatenation
     * @param endpoint the blob service URL, for Azurite or sovereign clouds; defaults to
     *     {@code https://<account-name>.blob.core.windows.net}
     * @param container the container holding the store
     * @param prefix an optional folder inside the container under which the store's layout lives
     * @param createContainer whether to create the container at start when it is missing
     */
    public record Azure(String connectionString, String accountName, String accountKey, String endpoint,
            @DefaultValue("berth") String container, String prefix, @DefaultValue("true") boolean createContainer) {

        /** Never shows the secrets, whoever logs this. */
        @Override
        public String toString() {
            return "Azure[connectionString=" + (connectionString == null ? "unset" : "******")
                    + ", accountName=" + accountName + ", accountKey=" + (accountKey == null ? "unset" : "******")
                    + ", endpoint=" + endpoint + ", container=" + container + ", prefix=" + prefix
                    + ", createContainer=" + createContainer + "]";
        }
    }
}
