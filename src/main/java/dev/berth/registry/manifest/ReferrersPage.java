package dev.berth.registry.manifest;

import dev.berth.registry.Digest;
import java.util.List;

/**
 * One page of a referrers list, decided before any descriptor is read, so its answer can be streamed.
 *
 * @param referrers the referrers to look at, in order (those not of the asked-for type are left out as they
 *     are read)
 * @param resumeAfter where the next page starts (the hex of the last referrer on this one), or null when this
 *     page is the last
 */
public record ReferrersPage(List<Digest> referrers, String resumeAfter) {

    public ReferrersPage {
        referrers = List.copyOf(referrers);
    }
}
