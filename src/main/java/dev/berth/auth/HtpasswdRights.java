package dev.berth.auth;

import dev.berth.settings.InvalidSettingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What each htpasswd user may do, from {@code berth.auth.htpasswd.access}: with no rules every user may do
 * everything; with rules a user may do on a repository the union of what the rules naming both grant, and
 * list the catalog (as Distribution's htpasswd mode lets any user). The rules are checked once, at start:
 * a mistake stops Berth instead of silently granting nothing.
 */
final class HtpasswdRights {

    static final String PROPERTY = "berth.auth.htpasswd.access";
    private static final String ANY = "*";
    private static final Set<String> ACTIONS = Set.of(Access.PULL, Access.PUSH, Access.DELETE, ANY);

    private final List<Grant> grants;

    HtpasswdRights(List<AuthProperties.Htpasswd.Rule> rules) {
        List<Grant> compiled = new ArrayList<>();
        List<AuthProperties.Htpasswd.Rule> all = rules == null ? List.of() : rules;
        for (int i = 0; i < all.size(); i++) {
            compiled.add(Grant.of(all.get(i), PROPERTY + "[" + i + "]"));
        }
        this.grants = List.copyOf(compiled);
    }

    /** Whether rules apply (otherwise every user may do everything). */
    boolean restricted() {
        return !grants.isEmpty();
    }

    int size() {
        return grants.size();
    }

    /** The user names the rules name ({@code *} left out): a name the file lacks is likely a typo. */
    Set<String> namedUsers() {
        Set<String> named = new java.util.TreeSet<>();
        grants.forEach(g -> named.addAll(g.users()));
        named.remove(ANY);
        return named;
    }

    /** Whether {@code user}, proven by the htpasswd file, may do {@code access}. */
    boolean allows(String user, Access access) {
        if (grants.isEmpty()) {
            return true;
        }
        if (access.equals(Access.catalog())) {
            return true;
        }
        if (!access.type().equals("repository")) {
            return false;
        }
        for (Grant grant : grants) {
            if (grant.covers(user, access.name(), access.action())) {
                return true;
            }
        }
        return false;
    }

    /** The identity a request proven to come from {@code user} carries, on the API and in the web UI alike. */
    Identity identity(String user) {
        return new Identity() {
            @Override
            public String subject() {
                return user;
            }

            @Override
            public boolean allows(Access access) {
                return HtpasswdRights.this.allows(user, access);
            }
        };
    }

    /** One rule, checked and compiled. */
    private record Grant(List<RepositoryPattern> repositories, Set<String> users, Set<String> actions) {

        static Grant of(AuthProperties.Htpasswd.Rule rule, String property) {
            List<String> repositories = required(rule.repositories(), property + ".repositories",
                    "repository name patterns, such as ci/** or team/*");
            List<String> users = required(rule.users(), property + ".users",
                    "user names of the htpasswd file, or * for every user");
            List<String> actions = required(rule.actions(), property + ".actions",
                    "actions: pull, push, delete, or * for all three");
            for (String pattern : repositories) {
                if (!RepositoryPattern.isPlausible(pattern)) {
                    throw new InvalidSettingException(property + ".repositories", "'" + pattern + "' can never match a"
                            + " repository name", "Use the characters of repository names (a-z 0-9 . _ - /) with * and"
                            + " ** (docs/auth.md).");
                }
            }
            for (String user : users) {
                if (user.isBlank() || user.indexOf(':') >= 0) {
                    throw new InvalidSettingException(property + ".users", "'" + user + "' is not a user name",
                            "Name users as the htpasswd file does, or use * for every user.");
                }
            }
            List<String> normalized = actions.stream().map(a -> a.strip().toLowerCase(Locale.ROOT)).toList();
            for (String action : normalized) {
                if (!ACTIONS.contains(action)) {
                    throw new InvalidSettingException(property + ".actions", "'" + action + "' is not an action",
                            "Use pull, push, delete, or * for all three (docs/auth.md).");
                }
            }
            return new Grant(repositories.stream().map(RepositoryPattern::of).toList(), Set.copyOf(users),
                    Set.copyOf(normalized));
        }

        private static List<String> required(List<String> values, String property, String what) {
            if (values == null || values.isEmpty() || values.stream().anyMatch(v -> v == null || v.isBlank())) {
                throw new InvalidSettingException(property, values == null || values.isEmpty() ? "empty"
                        : "has an empty entry", "List " + what + " (docs/auth.md); a rule must name repositories,"
                        + " users and actions.");
            }
            return values;
        }

        boolean covers(String user, String repository, String action) {
            return (users.contains(ANY) || users.contains(user))
                    && (actions.contains(ANY) || actions.contains(action))
                    && repositories.stream().anyMatch(p -> p.matches(repository));
        }
    }
}
