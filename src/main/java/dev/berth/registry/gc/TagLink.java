package dev.berth.registry.gc;

import dev.berth.registry.Digest;
import java.time.Instant;

/** A tag as listed: the manifest its current link names, and when that link was last written (its push). */
record TagLink(String tag, Digest digest, Instant pushedAt) {
}
