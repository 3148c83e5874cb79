package dev.berth.registry.proxy;

import dev.berth.registry.RepositoryName;

/**
 * A repository of this registry that caches one of an upstream registry.
 *
 * @param name the repository as clients name it here ({@code hub/library/alpine})
 * @param upstreamName the same repository as the upstream names it ({@code library/alpine})
 * @param upstream the upstream registry
 */
public record CachedRepository(RepositoryName name, String upstreamName, UpstreamRegistry upstream) {
}
