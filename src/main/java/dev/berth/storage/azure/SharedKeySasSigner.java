package dev.berth.storage.azure;

import com.azure.storage.blob.BlobClient;
import java.time.OffsetDateTime;

/** Service SAS signed with the account key that authorises the client itself. */
final class SharedKeySasSigner implements SasSigner {

    @Override
    public String readSas(BlobClient blob, OffsetDateTime expiry) {
        return blob.generateSas(SasSigner.readOnly(expiry));
    }

    /**
     * Within one account a shared-key request may name the source plainly, and must: Azurite answers 500 to
     * a Copy Blob whose source carries a SAS.
     */
    @Override
    public String copySourceUrl(BlobClient source) {
        return source.getBlobUrl();
    }
}
