package dev.berth.ui;

import java.util.List;

/**
 * What the pages show of one manifest: an image (config and layers) or an index (its children).
 *
 * @param compressedSize the layers' and config's sizes added up (what a pull downloads), or null for an index
 * @param config what the image's config blob says, or null for an index or an artifact without one
 * @param json the manifest itself, pretty-printed (at most berth.manifests.max-size, as stored)
 */
record ImageView(String digest, String mediaType, long manifestSize, boolean index, String artifactType,
        String subject, List<DescriptorRow> layers, DescriptorRow configBlob, List<ChildRow> children,
        Long compressedSize, ConfigView config, String json) {

    /** A layer or config descriptor. */
    record DescriptorRow(String digest, String mediaType, long size) {
        public String sizeText() {
            return Sizes.human(size);
        }
    }

    /** One manifest of an index, with the platform it is for. */
    record ChildRow(String digest, String mediaType, long size, String platform) {
    }

    public String compressedSizeText() {
        return compressedSize == null ? null : Sizes.human(compressedSize);
    }

    /** The platforms of an index's children, in order, without repeats (attestations have none). */
    public List<String> platforms() {
        return children.stream().map(ChildRow::platform).filter(p -> p != null && !p.isEmpty()).distinct().toList();
    }
}
