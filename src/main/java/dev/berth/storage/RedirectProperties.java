package dev.berth.storage;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Sending blob readers straight to the store.
 *
 * @param enabled answer blob GETs with 307 to a signed, read-only URL of the store (where the store can sign
 *     one: Azure), so the bytes bypass the replica; HEAD is still answered by Berth
 * @param lifetime how long such a URL stays valid
 */
@ConfigurationProperties("berth.storage.redirect")
public record RedirectProperties(@DefaultValue("false") boolean enabled, @DefaultValue("20m") Duration lifetime) {
}
