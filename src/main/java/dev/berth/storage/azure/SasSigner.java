package dev.berth.storage.azure;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import java.time.OffsetDateTime;

/**
 * Signs read-only SAS for single blobs, the way the store's credential allows (as Distribution's Azure driver
 * has a signer per credential): with the account key ({@link SharedKeySasSigner}) or with an Azure AD
 * delegation key ({@link UserDelegationSasSigner}). Chosen once, where the clients are built.
 */
interface SasSigner {

    /** A read-only SAS (the URL's query, without {@code ?}) for {@code blob}, valid until {@code expiry}. */
    String readSas(BlobClient blob, OffsetDateTime expiry);

    /** The URL from which the service's Copy Blob may read {@code source}, a blob of the same account. */
    String copySourceUrl(BlobClient source);

    /** Read permission from a few minutes ago (clock skew between us and the service) until {@code expiry}. */
    static BlobServiceSasSignatureValues readOnly(OffsetDateTime expiry) {
        return new BlobServiceSasSignatureValues(expiry, new BlobSasPermission().setReadPermission(true))
                .setStartTime(OffsetDateTime.now().minusMinutes(5));
    }
}
