package dev.berth.registry.catalog;

import dev.berth.registry.ErrorCode;
import dev.berth.registry.RegistryException;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.storage.StorageDriver;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;

/**
 * Which repositories exist: a folder under {@code repositories/} holding {@code _manifests} or
 * {@code _layers} is one, as in Distribution. Folders starting with '_' hold a repository's data, never
 * nested repositories.
 */
@Service
public class RepositoryCatalog {

    private final StorageDriver store;

    public RepositoryCatalog(StorageDriver store) {
        this.store = store;
    }

    public boolean exists(RepositoryName repository) {
        List<String> children = store.list(StorePaths.repository(repository));
        return children.contains("_manifests") || children.contains("_layers");
    }

    public void requireExists(RepositoryName repository) {
        if (!exists(repository)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + repository + " is not known",
                    repository.value());
        }
    }

    /** Every repository name, sorted. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        collect("", names);
        names.sort(String::compareTo);
        return names;
    }

    private void collect(String prefix, List<String> names) {
        String folder = prefix.isEmpty() ? StorePaths.REPOSITORIES : StorePaths.REPOSITORIES + "/" + prefix;
        List<String> children = store.list(folder);
        if (!prefix.isEmpty() && (children.contains("_manifests") || children.contains("_layers"))
                && RepositoryName.isValid(prefix)) {
            names.add(prefix);
        }
        for (String child : children) {
            if (!child.startsWith("_")) {
                collect(prefix.isEmpty() ? child : prefix + "/" + child, names);
            }
        }
    }
}
