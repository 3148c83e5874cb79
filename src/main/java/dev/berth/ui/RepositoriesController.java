package dev.berth.ui;

import dev.berth.registry.Page;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.catalog.RepositoryCatalog;
import dev.berth.registry.tag.TagService;
import jakarta.servlet.http.HttpServletRequest;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The list of repositories: a page of the catalog at a time (never all of it), with the ones the viewer may
 * pull and whose name contains the search text. A search looks at no more than {@link #MAX_SCAN} names per
 * request; when it found fewer matches than asked for, the page offers to search on from where it stopped.
 * Each row's stored size comes from the last garbage collection's report ({@link RepositorySizes}), never
 * from a store call of its own.
 */
@Controller
@UiEnabled
class RepositoriesController {

    static final int DEFAULT_PAGE = 25;
    static final int MAX_PAGE = 100;
    /** Catalog names one request looks at, at most. */
    static final int MAX_SCAN = 1000;
    /** Tags counted per repository shown; beyond, the page says "100+". */
    static final int MAX_TAGS_COUNTED = 100;

    /** When the sizes were measured, to the minute: what a person needs to judge them. */
    private static final DateTimeFormatter AS_OF = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final RepositoryCatalog catalog;
    private final TagService tags;
    private final UiSessions sessions;
    private final RepositorySizes sizes;

    RepositoriesController(RepositoryCatalog catalog, TagService tags, UiSessions sessions, RepositorySizes sizes) {
        this.catalog = catalog;
        this.tags = tags;
        this.sessions = sessions;
        this.sizes = sizes;
    }

    /** Only the root itself: everything under /v2/ stays the API's. */
    @GetMapping("/")
    String root() {
        return "redirect:/ui/";
    }

    @GetMapping("/ui")
    String ui() {
        return "redirect:/ui/";
    }

    /** A repository shown: its name, its tag count, and its stored size as of the last collection, or null. */
    record Row(String name, String tags, String size) {
    }

    @GetMapping("/ui/")
    String repositories(@RequestParam(required = false) String q, @RequestParam(required = false) String last,
            @RequestParam(required = false) String n, HttpServletRequest request, Model model) {
        Viewer viewer = sessions.viewer(request);
        String query = UiRequests.text(q, "the search text");
        query = query == null ? "" : query.strip().toLowerCase(Locale.ROOT);
        String after = UiRequests.text(last, "the page cursor");
        int size = UiRequests.pageSize(n, DEFAULT_PAGE, MAX_PAGE);

        List<Row> rows = new ArrayList<>();
        RepositorySizes.Measured measured = sizes.current();
        String cursor = after == null || after.isEmpty() ? null : after;
        int scanned = 0;
        boolean more = true;
        while (rows.size() < size && scanned < MAX_SCAN && more) {
            int batch = Math.min(MAX_SCAN - scanned, query.isEmpty() ? size - rows.size() : MAX_PAGE);
            Page page = catalog.page(cursor, batch);
            more = page.more();
            List<String> names = page.items();
            String text = query;
            viewer.lookUpPull(names.stream().filter(name -> name.contains(text)).toList());
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                scanned++;
                cursor = name;
                if (name.contains(query) && viewer.mayPull(name)) {
                    rows.add(new Row(name, tagCount(name), measured.of(name).map(Sizes::human).orElse(null)));
                    if (rows.size() == size) {
                        more = more || i < names.size() - 1;
                        break;
                    }
                }
            }
            if (names.isEmpty()) {
                more = false;
            }
        }
        model.addAttribute("viewer", viewer);
        model.addAttribute("rows", rows);
        model.addAttribute("sizesAsOf", measured.at() == null ? null : AS_OF.format(measured.at()));
        model.addAttribute("q", query);
        model.addAttribute("n", size);
        model.addAttribute("scanned", scanned);
        model.addAttribute("next", more ? cursor : null);
        model.addAttribute("searchStopped", more && rows.size() < size);
        model.addAttribute("first", after == null || after.isEmpty());
        return "ui/repositories";
    }

    private String tagCount(String name) {
        Page page = tags.page(new RepositoryName(name), null, MAX_TAGS_COUNTED);
        return page.items().size() + (page.more() ? "+" : "");
    }
}
