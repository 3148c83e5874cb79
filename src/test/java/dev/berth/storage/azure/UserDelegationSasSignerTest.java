package dev.berth.storage.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobClientBuilder;
import com.azure.storage.blob.models.UserDelegationKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The user-delegation signer asks the service for a delegation key only when the one it keeps would expire
 * before the SAS it must sign. Azurite has no Azure AD, so the keys come from a stand-in for the service's
 * key request; the SAS are signed for real.
 */
class UserDelegationSasSignerTest {

    private static final Duration SAS_LIFETIME = Duration.ofHours(1);

    private final BlobClient blob = new BlobClientBuilder().endpoint("https://account.blob.core.windows.net")
            .containerName("berth").blobName("docker/registry/v2/blobs/data").buildClient();
    private final List<OffsetDateTime> keyExpiries = new ArrayList<>();
    private UserDelegationSasSigner signer;

    @BeforeEach
    void serviceHandsOutKeys() {
        signer = new UserDelegationSasSigner((start, expiry) -> {
            keyExpiries.add(expiry);
            return new UserDelegationKey().setSignedObjectId("object-" + keyExpiries.size())
                    .setSignedTenantId("tenant").setSignedService("b").setSignedVersion("2021-08-06")
                    .setSignedStart(start).setSignedExpiry(expiry)
                    .setValue(Base64.getEncoder().encodeToString("key".getBytes(StandardCharsets.US_ASCII)));
        }, SAS_LIFETIME);
    }

    @Test
    void keepsTheKeyForEverySasItOutlives() {
        OffsetDateTime now = OffsetDateTime.now();
        String first = signer.readSas(blob, now.plusMinutes(20));
        String second = signer.readSas(blob, now.plusMinutes(40));

        assertThat(keyExpiries).as("keys fetched").hasSize(1);
        assertThat(keyExpiries.get(0)).isEqualTo(now.plusMinutes(20).plus(SAS_LIFETIME));
        assertThat(first).contains("skoid=object-1").contains("sig=").contains("sp=r");
        assertThat(second).contains("skoid=object-1");
    }

    @Test
    void asksForANewKeyWhenASasWouldOutliveTheKept() {
        OffsetDateTime now = OffsetDateTime.now();
        signer.readSas(blob, now.plusMinutes(20));
        String later = signer.readSas(blob, now.plusHours(3));

        assertThat(keyExpiries).as("keys fetched").hasSize(2);
        assertThat(keyExpiries.get(1)).isEqualTo(now.plusHours(3).plus(SAS_LIFETIME));
        assertThat(later).contains("skoid=object-2");
    }

    @Test
    void aCopySourceCarriesASasOfTheSasLifetime() {
        String url = signer.copySourceUrl(blob);

        assertThat(url).startsWith(blob.getBlobUrl() + "?").contains("skoid=object-1").contains("sp=r");
        assertThat(keyExpiries.get(0)).isAfter(OffsetDateTime.now().plus(SAS_LIFETIME).plus(SAS_LIFETIME).minusMinutes(1));
    }
}
