package dev.berth.ui;

import dev.berth.auth.Access;
import dev.berth.auth.Rights;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Who is looking at a page: a signed-in user, or an anonymous visitor ({@code user} null), with the registry
 * API's rules for what they may do. A page names what it will ask about first ({@link #lookUpPull},
 * {@link #lookUpRepository}): in token mode that is one token request for the whole page.
 *
 * @param canSignIn whether a sign-in form is offered (htpasswd and token modes)
 */
record Viewer(String user, Rights rights, boolean canSignIn) {

    public boolean mayPull(String repository) {
        return rights.allows(Access.repository(repository, Access.PULL));
    }

    public boolean mayDelete(String repository) {
        return rights.allows(Access.repository(repository, Access.DELETE));
    }

    public boolean signedIn() {
        return user != null && rights.signedIn();
    }

    /** Finds out at once which of {@code repositories} the viewer may pull (a page of the catalog). */
    void lookUpPull(Collection<String> repositories) {
        List<Access> accesses = new ArrayList<>();
        for (String repository : repositories) {
            accesses.add(Access.repository(repository, Access.PULL));
        }
        rights.lookUp(accesses);
    }

    /** Finds out at once whether the viewer may pull and delete in {@code repository} (its pages). */
    void lookUpRepository(String repository) {
        rights.lookUp(List.of(Access.repository(repository, Access.PULL),
                Access.repository(repository, Access.DELETE)));
    }
}
