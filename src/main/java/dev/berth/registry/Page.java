package dev.berth.registry;

import java.util.List;

/**
 * One page of a sorted listing. {@code more} tells whether entries follow the last one returned, in which
 * case the client asks again with {@code last} set to it.
 */
public record Page(List<String> items, boolean more) {

    /**
     * The entries after {@code last} (or from the start), at most {@code limit} of them ({@code null}: all).
     */
    public static Page of(List<String> sorted, Integer limit, String last) {
        if (limit != null && limit < 0) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must not be negative");
        }
        List<String> after = last == null || last.isEmpty()
                ? sorted
                : sorted.stream().filter(item -> item.compareTo(last) > 0).toList();
        if (limit != null && limit == 0) {
            // The spec: n=0 asks for an empty list and no link to more.
            return new Page(List.of(), false);
        }
        if (limit == null || after.size() <= limit) {
            return new Page(after, false);
        }
        return new Page(after.subList(0, limit), true);
    }

    public String lastItem() {
        return items.isEmpty() ? null : items.get(items.size() - 1);
    }
}
