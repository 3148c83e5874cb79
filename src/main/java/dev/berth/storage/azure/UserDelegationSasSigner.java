package dev.berth.storage.azure;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.UserDelegationKey;
import java.time.Duration;
import java.time.OffsetDateTime;

/**
 * User-delegation SAS, for a client authorised by Azure AD (no account key to sign with). The delegation key
 * costs a request to fetch, so one is kept while it outlives the SAS it must sign, and a new one is asked for
 * {@code sasLifetime} beyond the SAS that needed it.
 */
final class UserDelegationSasSigner implements SasSigner {

    /** Fetches a delegation key valid from a start to an expiry: {@code BlobServiceClient::getUserDelegationKey}. */
    interface DelegationKeys {
        UserDelegationKey fetch(OffsetDateTime start, OffsetDateTime expiry);
    }

    private final DelegationKeys keys;
    private final Duration sasLifetime;
    private volatile UserDelegationKey delegationKey;

    UserDelegationSasSigner(BlobServiceClient service, Duration sasLifetime) {
        this(service::getUserDelegationKey, sasLifetime);
    }

    UserDelegationSasSigner(DelegationKeys keys, Duration sasLifetime) {
        this.keys = keys;
        this.sasLifetime = sasLifetime;
    }

    @Override
    public String readSas(BlobClient blob, OffsetDateTime expiry) {
        return blob.generateUserDelegationSas(SasSigner.readOnly(expiry), userDelegationKey(expiry));
    }

    /** Without the account key, Copy Blob needs a SAS to read even a source of the same account. */
    @Override
    public String copySourceUrl(BlobClient source) {
        return source.getBlobUrl() + "?" + readSas(source, OffsetDateTime.now().plus(sasLifetime));
    }

    /** An Azure AD delegation key, kept while it outlives the SAS it must sign. */
    private UserDelegationKey userDelegationKey(OffsetDateTime needed) {
        UserDelegationKey key = delegationKey;
        if (key == null || key.getSignedExpiry().isBefore(needed)) {
            synchronized (this) {
                key = delegationKey;
                if (key == null || key.getSignedExpiry().isBefore(needed)) {
                    OffsetDateTime now = OffsetDateTime.now();
                    key = keys.fetch(now.minusMinutes(5), needed.plus(sasLifetime));
                    delegationKey = key;
                }
            }
        }
        return key;
    }
}
