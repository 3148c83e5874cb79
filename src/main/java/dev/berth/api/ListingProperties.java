package dev.berth.api;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How much one listing answer (catalog, tags, referrers) may hold. A client asking for more (or, for tags,
 * not saying how many) gets a full page and a {@code Link} header to the next one, as the spec allows.
 *
 * @param maxPageSize most entries in one answer
 * @param catalogPageSize entries of a catalog page when the client sends no {@code n} (Distribution's 100)
 */
@ConfigurationProperties("berth.listings")
public record ListingProperties(@DefaultValue("1000") int maxPageSize, @DefaultValue("100") int catalogPageSize) {
}
