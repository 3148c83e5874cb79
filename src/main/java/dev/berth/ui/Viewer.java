package dev.berth.ui;

import dev.berth.auth.Access;
import dev.berth.auth.RegistryAccess;

/**
 * Who is looking at a page: a signed-in user, or an anonymous visitor ({@code user} null), with the registry
 * API's rules for what they may do.
 */
record Viewer(String user, RegistryAccess access) {

    public boolean mayPull(String repository) {
        return access.allows(user, Access.repository(repository, Access.PULL));
    }

    public boolean mayDelete(String repository) {
        return access.allows(user, Access.repository(repository, Access.DELETE));
    }

    public boolean signedIn() {
        return user != null;
    }

    /** Whether a sign-in form is offered (htpasswd mode). */
    public boolean canSignIn() {
        return access.passwordSignIn();
    }
}
