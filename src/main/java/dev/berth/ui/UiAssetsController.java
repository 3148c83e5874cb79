package dev.berth.ui;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;

/**
 * The UI's stylesheet and its few lines of script, from the jar (nothing from a CDN). A fixed list of files
 * rather than a static folder: nothing else in the class path can be asked for, and with the UI off there is
 * nothing to serve.
 */
@Controller
@UiEnabled
class UiAssetsController {

    private static final Map<String, MediaType> FILES = Map.of(
            "ui.css", MediaType.valueOf("text/css;charset=UTF-8"),
            "ui.js", MediaType.valueOf("text/javascript;charset=UTF-8"));

    @GetMapping("/ui/assets/{file}")
    ResponseEntity<byte[]> asset(@PathVariable String file) throws IOException {
        MediaType type = FILES.get(file);
        if (type == null) {
            return ResponseEntity.status(404).contentType(MediaType.TEXT_PLAIN)
                    .body("no such file\n".getBytes(StandardCharsets.UTF_8));
        }
        try (InputStream in = new ClassPathResource("ui/assets/" + file).getInputStream()) {
            return ResponseEntity.ok().contentType(type).cacheControl(CacheControl.maxAge(Duration.ofHours(1)))
                    .body(in.readAllBytes());
        }
    }
}
