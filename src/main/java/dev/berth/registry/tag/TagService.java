package dev.berth.registry.tag;

import dev.berth.registry.Digest;
import dev.berth.registry.ErrorCode;
import dev.berth.registry.Page;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;

/** Tags: a name in a repository pointing at one manifest digest, kept in Distribution's layout. */
@Service
public class TagService {

    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    private final StorageDriver store;

    public TagService(StorageDriver store) {
        this.store = store;
    }

    public static void validate(String tag) {
        if (!TAG.matcher(tag).matches()) {
            throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag '" + tag
                    + "': up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'");
        }
    }

    public static boolean isValid(String tag) {
        return TAG.matcher(tag).matches();
    }

    public Optional<Digest> resolve(RepositoryName repository, String tag) {
        if (!TAG.matcher(tag).matches()) {
            return Optional.empty();
        }
        return store.readBytes(StorePaths.tagCurrentLink(repository, tag))
                .map(link -> Digest.parse(new String(link, StandardCharsets.UTF_8).trim()));
    }

    /**
     * Points {@code tag} at {@code digest}; the index link records every digest the tag ever named, as
     * Distribution does. The current link comes first: a tag that is listed always resolves.
     */
    public void tag(RepositoryName repository, String tag, Digest digest) {
        validate(tag);
        byte[] link = digest.toString().getBytes(StandardCharsets.UTF_8);
        store.writeBytes(StorePaths.tagCurrentLink(repository, tag), link);
        store.writeBytes(StorePaths.tagIndexLink(repository, tag, digest), link);
    }

    /** Up to {@code limit} tags after {@code last} (null: from the first), sorted, read a page at a time. */
    public Page page(RepositoryName repository, String last, int limit) {
        if (limit <= 0) {
            return new Page(List.of(), false);
        }
        List<String> found = new ArrayList<>();
        String after = last == null || last.isEmpty() ? null : last;
        while (found.size() <= limit) {
            int wanted = limit + 1 - found.size();
            List<String> listed = store.list(StorePaths.tags(repository), after, wanted);
            listed.stream().filter(TagService::isValid).forEach(found::add);
            if (listed.size() < wanted) {
                break;
            }
            after = listed.get(listed.size() - 1);
        }
        return found.size() > limit ? new Page(found.subList(0, limit), true) : new Page(found, false);
    }

    /** Every tag of the repository, sorted. */
    public List<String> list(RepositoryName repository) {
        return store.list(StorePaths.tags(repository)).stream()
                .filter(tag -> TAG.matcher(tag).matches())
                .toList();
    }

    public List<String> tagsPointingAt(RepositoryName repository, Digest digest) {
        return list(repository).stream()
                .filter(tag -> resolve(repository, tag).filter(digest::equals).isPresent())
                .toList();
    }

    /**
     * Removes a tag; false when there was none. A tag folder left without its current link (a replica died
     * while deleting it) is removed too, so a repeated delete finishes the first.
     */
    public boolean untag(RepositoryName repository, String tag) {
        if (resolve(repository, tag).isEmpty() && store.list(StorePaths.tag(repository, tag), null, 1).isEmpty()) {
            return false;
        }
        store.delete(StorePaths.tag(repository, tag));
        return true;
    }
}
