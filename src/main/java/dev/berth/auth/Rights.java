package dev.berth.auth;

import java.util.Collection;

/**
 * What one signed-in user, or an anonymous visitor, may do, for the duration of one web UI request. In
 * {@code token} mode the answers come from an access token fetched for them: {@link #lookUp} fetches what a
 * page will ask about in one token request, so the {@link #allows} calls that follow cost nothing.
 */
public interface Rights {

    /** Whether someone is signed in and their sign-in still holds (a revoked one does not). */
    boolean signedIn();

    /** Finds out at once about everything in {@code accesses} (a page's repositories). */
    void lookUp(Collection<Access> accesses);

    boolean allows(Access access);
}
