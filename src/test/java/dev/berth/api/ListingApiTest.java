package dev.berth.api;

import static dev.berth.api.RegistryHttp.OCI_MANIFEST;
import static dev.berth.api.RegistryHttp.assertError;
import static dev.berth.api.RegistryHttp.get;
import static dev.berth.api.RegistryHttp.header;
import static dev.berth.api.RegistryHttp.json;
import static dev.berth.api.RegistryHttp.post;
import static dev.berth.api.RegistryHttp.pushBlob;
import static dev.berth.api.RegistryHttp.pushImage;
import static dev.berth.api.RegistryHttp.pushManifest;
import static dev.berth.api.RegistryHttp.startUpload;
import static dev.berth.api.RegistryHttp.text;
import static dev.berth.api.RegistryHttp.uniqueName;
import static dev.berth.support.RandomBytes.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.RegistryHttp.Image;
import dev.berth.support.Sha256;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** Tag listing and the catalog, with their {@code n}/{@code last} pagination and {@code Link} headers. */
@Timeout(30)
class ListingApiTest {

    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>; rel=\"next\"");
    /** Pushed in this (unsorted) order; listed sorted. */
    private static final List<String> TAGS = List.of("v2", "latest", "v1.0", "beta", "v10", "alpha", "v1");
    private static final List<String> SORTED_TAGS = TAGS.stream().sorted().toList();

    private static String name;

    @BeforeAll
    static void pushTaggedImage() {
        name = uniqueName("list-tags");
        Image image = pushImage(name, TAGS.get(0), OCI_MANIFEST);
        for (String tag : TAGS.subList(1, TAGS.size())) {
            pushManifest(name, tag, OCI_MANIFEST, image.json());
        }
    }

    // ---------------------------------------------------------------- tags

    @Test
    void tagsListIsTheNameAndEveryTagSorted() {
        HttpResponse<byte[]> response = get("/v2/" + name + "/tags/list");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(header(response, "Content-Type")).startsWith("application/json");
        assertThat(header(response, "Link")).isNull();
        JsonNode body = json(response);
        assertThat(body.path("name").asString()).isEqualTo(name);
        assertThat(strings(body.path("tags"))).containsExactlyElementsOf(SORTED_TAGS);
        assertThat(body.size()).as("fields of %s", body).isEqualTo(2);
    }

    @Test
    void tagsListWithNGivesTheFirstNAndALinkToTheNextPage() {
        HttpResponse<byte[]> response = get("/v2/" + name + "/tags/list?n=2");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(strings(json(response).path("tags"))).containsExactlyElementsOf(SORTED_TAGS.subList(0, 2));
        assertThat(header(response, "Link"))
                .isEqualTo("</v2/" + name + "/tags/list?n=2&last=" + SORTED_TAGS.get(1) + ">; rel=\"next\"");
    }

    @Test
    void followingTheLinkWalksEveryTagOnceWithNoLinkOnTheLastPage() {
        List<String> seen = walk("/v2/" + name + "/tags/list?n=3", "tags", 10);

        assertThat(seen).containsExactlyElementsOf(SORTED_TAGS);
    }

    @Test
    void pageSizeEqualToTheTagCountHasNoLink() {
        HttpResponse<byte[]> response = get("/v2/" + name + "/tags/list?n=" + TAGS.size());

        assertThat(strings(json(response).path("tags"))).containsExactlyElementsOf(SORTED_TAGS);
        assertThat(header(response, "Link")).isNull();
    }

    @Test
    void lastStartsAfterTheGivenTag() {
        HttpResponse<byte[]> response = get("/v2/" + name + "/tags/list?last=" + SORTED_TAGS.get(3));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(strings(json(response).path("tags"))).containsExactlyElementsOf(SORTED_TAGS.subList(4, TAGS.size()));
        assertThat(header(response, "Link")).isNull();

        HttpResponse<byte[]> paged = get("/v2/" + name + "/tags/list?n=1&last=" + SORTED_TAGS.get(3));
        assertThat(strings(json(paged).path("tags"))).containsExactly(SORTED_TAGS.get(4));
    }

    @Test
    void nZeroGivesAnEmptyListWithoutLink() {
        HttpResponse<byte[]> response = get("/v2/" + name + "/tags/list?n=0");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(json(response).path("name").asString()).isEqualTo(name);
        assertThat(json(response).path("tags").isArray()).isTrue();
        assertThat(json(response).path("tags")).isEmpty();
        assertThat(header(response, "Link")).isNull();
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(strings = {"-1", "abc", "1.5", "%20"})
    void invalidNIs400PaginationNumberInvalid(String n) {
        assertError(get("/v2/" + name + "/tags/list?n=" + n), 400, "PAGINATION_NUMBER_INVALID");
    }

    @Test
    void tagsOfUnknownRepositoryIs404NameUnknown() {
        assertError(get("/v2/" + uniqueName("list-unknown") + "/tags/list"), 404, "NAME_UNKNOWN");
    }

    @Test
    void repositoryWithBlobsButNoTagsListsNoTags() {
        String repository = uniqueName("list-no-tags");
        pushBlob(repository, randomBytes(10));

        HttpResponse<byte[]> response = get("/v2/" + repository + "/tags/list");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(json(response).path("name").asString()).isEqualTo(repository);
        assertThat(strings(json(response).path("tags"))).isEmpty();
    }

    // ---------------------------------------------------------------- catalog

    @Test
    void catalogListsRepositoriesSortedWithPaginationAndNestedNames() {
        String prefix = uniqueName("cat");
        List<String> repositories = List.of(prefix + "/org/team/app", prefix + "/b", prefix + "/a",
                prefix + "/org/team", prefix + "/a-z", prefix + "/c.d/e_f");
        for (String repository : repositories) {
            pushBlob(repository, randomBytes(8));
        }
        // In progress only: a started upload and a failed monolithic push leave no repository.
        startUpload(prefix + "/pending");
        post("/v2/" + prefix + "/failed/blobs/uploads/?digest=" + Sha256.digest("other"), randomBytes(4));

        // Walk pages of 2 from just before our names until a page goes past them.
        List<String> walked = new ArrayList<>();
        String next = "/v2/_catalog?n=2&last=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8);
        while (next != null && walked.stream().allMatch(repository -> repository.startsWith(prefix + "/"))) {
            HttpResponse<byte[]> response = get(next);
            assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
            List<String> page = strings(json(response).path("repositories"));
            assertThat(page.size()).as("page %s", next).isLessThanOrEqualTo(2);
            String link = header(response, "Link");
            if (link != null) {
                assertThat(page).hasSize(2);
                Matcher matcher = NEXT_LINK.matcher(link);
                assertThat(matcher.matches()).as("Link %s", link).isTrue();
                assertThat(matcher.group(1)).isEqualTo("/v2/_catalog?n=2&last="
                        + URLEncoder.encode(page.get(1), StandardCharsets.UTF_8));
                next = matcher.group(1);
            } else {
                next = null;
            }
            walked.addAll(page);
        }

        assertThat(walked).as("the walk").isSorted().doesNotHaveDuplicates();
        List<String> ours = walked.stream().filter(repository -> repository.startsWith(prefix + "/")).toList();
        assertThat(ours).containsExactlyElementsOf(repositories.stream().sorted().toList());
        assertThat(walked.subList(0, ours.size())).as("our names come first after last=prefix")
                .containsExactlyElementsOf(ours);
    }

    @Test
    void catalogPageHasExactlyNEntriesAndLink() {
        String prefix = uniqueName("catpage");
        for (String suffix : List.of("x", "y", "z")) {
            pushBlob(prefix + "/" + suffix, randomBytes(4));
        }

        HttpResponse<byte[]> response = get("/v2/_catalog?n=2&last=" + prefix);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(header(response, "Content-Type")).startsWith("application/json");
        JsonNode body = json(response);
        assertThat(strings(body.path("repositories"))).containsExactly(prefix + "/x", prefix + "/y");
        assertThat(body.size()).as("fields of %s", body).isEqualTo(1);
        String link = header(response, "Link");
        assertThat(link).isNotNull();
        Matcher next = NEXT_LINK.matcher(link);
        assertThat(next.matches()).as(link).isTrue();
        assertThat(next.group(1)).startsWith("/v2/_catalog?n=2&last=");
        HttpResponse<byte[]> second = get(next.group(1));
        assertThat(strings(json(second).path("repositories"))).startsWith(prefix + "/z");
    }

    @Test
    void catalogWithoutNGivesPagesOfOneHundred() {
        String prefix = uniqueName("catdefault");
        List<String> ours = new java.util.ArrayList<>();
        for (int i = 0; i < 101; i++) {
            String name = prefix + "/r" + String.format("%03d", i);
            pushBlob(name, randomBytes(4));
            ours.add(name);
        }

        HttpResponse<byte[]> response = get("/v2/_catalog?last=" + prefix);

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(strings(json(response).path("repositories"))).containsExactlyElementsOf(ours.subList(0, 100));
        Matcher next = NEXT_LINK.matcher(header(response, "Link"));
        assertThat(next.matches()).isTrue();
        assertThat(next.group(1)).startsWith("/v2/_catalog?n=100&last=");
        assertThat(strings(json(get(next.group(1))).path("repositories"))).startsWith(ours.get(100));
    }

    @Test
    void catalogLastBeyondEveryNameIsEmptyWithoutLink() {
        HttpResponse<byte[]> response = get("/v2/_catalog?n=5&last=" + "z".repeat(200));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).path("repositories").isArray()).isTrue();
        assertThat(json(response).path("repositories")).isEmpty();
        assertThat(header(response, "Link")).isNull();
    }

    @Test
    void catalogNZeroGivesAnEmptyListWithoutLink() {
        pushBlob(uniqueName("cat-zero"), randomBytes(3));

        HttpResponse<byte[]> response = get("/v2/_catalog?n=0");

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(json(response).path("repositories")).isEmpty();
        assertThat(header(response, "Link")).isNull();
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(strings = {"-1", "abc"})
    void catalogInvalidNIs400PaginationNumberInvalid(String n) {
        assertError(get("/v2/_catalog?n=" + n), 400, "PAGINATION_NUMBER_INVALID");
    }

    // ---------------------------------------------------------------- helpers

    /** Follows {@code Link: rel="next"} from {@code first}, collecting {@code field}; fails on a loop. */
    private static List<String> walk(String first, String field, int maxPages) {
        List<String> seen = new ArrayList<>();
        String next = first;
        int pages = 0;
        while (next != null) {
            assertThat(++pages).as("pages walked from %s", first).isLessThanOrEqualTo(maxPages);
            HttpResponse<byte[]> response = get(next);
            assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
            List<String> page = strings(json(response).path(field));
            String link = header(response, "Link");
            if (link != null) {
                Matcher matcher = NEXT_LINK.matcher(link);
                assertThat(matcher.matches()).as("Link %s", link).isTrue();
                assertThat(page).as("a page with a Link after it is not empty").isNotEmpty();
                next = matcher.group(1);
            } else {
                next = null;
            }
            for (String item : page) {
                assertThat(seen).as("seen before %s", item).doesNotContain(item);
                seen.add(item);
            }
        }
        return seen;
    }

    private static List<String> strings(JsonNode array) {
        assertThat(array.isArray()).as("array: %s", array).isTrue();
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asString()));
        return values;
    }
}
