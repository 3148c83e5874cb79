package dev.berth.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import dev.berth.api.ListingProperties;
import dev.berth.api.guard.RequestLimits;
import dev.berth.auth.AuthProperties;
import dev.berth.memory.MemoryProperties;
import dev.berth.registry.events.NotificationProperties;
import dev.berth.registry.gc.GcProperties;
import dev.berth.registry.manifest.ManifestProperties;
import dev.berth.registry.proxy.ProxyProperties;
import dev.berth.registry.upload.UploadProperties;
import dev.berth.storage.RedirectProperties;
import dev.berth.storage.StorageProperties;
import dev.berth.ui.UiProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.context.properties.bind.AbstractBindHandler;
import org.springframework.boot.context.properties.bind.BindContext;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.web.server.Ssl;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.util.unit.DataSize;

/**
 * The YAML examples of README.md and docs/, as a reader would copy them: Helm values render with the chart
 * (whose schema refuses unknown keys), and Berth's and Spring Boot's settings bind to the properties classes
 * that read them, every key of the example to a property that exists.
 */
class DocumentedExamplesTest {

    static final Pattern YAML_BLOCK = Pattern.compile("(?ms)^```yaml\\n(.*?)^```");

    /** Where each settings prefix the examples use is read. */
    static final Map<String, Class<?>> SETTINGS = new LinkedHashMap<>();

    static {
        SETTINGS.put("berth.auth", AuthProperties.class);
        SETTINGS.put("berth.listings", ListingProperties.class);
        SETTINGS.put("berth.limits", RequestLimits.class);
        SETTINGS.put("berth.storage", StorageProperties.class);
        SETTINGS.put("berth.storage.redirect", RedirectProperties.class);
        SETTINGS.put("berth.manifests", ManifestProperties.class);
        SETTINGS.put("berth.uploads", UploadProperties.class);
        SETTINGS.put("berth.memory", MemoryProperties.class);
        SETTINGS.put("berth.gc", GcProperties.class);
        SETTINGS.put("berth.ui", UiProperties.class);
        SETTINGS.put("berth.notifications", NotificationProperties.class);
        SETTINGS.put("berth.proxy", ProxyProperties.class);
        SETTINGS.put("spring.ssl", SslProperties.class);
        SETTINGS.put("server.ssl", Ssl.class);
    }

    @TempDir
    Path work;

    record Example(Path file, int number, String yaml) {
        @Override
        public String toString() {
            return file + " YAML example " + number;
        }
    }

    @Test
    void everyYamlExampleRendersOrBinds() throws IOException {
        Set<String> chartKeys = new org.yaml.snakeyaml.Yaml().<Map<String, Object>>load(
                Files.readString(HelmChartTest.CHART.resolve("values.yaml"))).keySet();
        List<String> checked = new ArrayList<>();
        for (Example example : examples()) {
            Map<String, Object> top = new org.yaml.snakeyaml.Yaml().load(example.yaml());
            if (chartKeys.containsAll(top.keySet())) {
                Path values = work.resolve("values-" + checked.size() + ".yaml");
                Files.writeString(values, example.yaml());
                String rendered = new Helm(HelmChartTest.CHART).template().withName("reg").withValuesFile(values).call();
                assertThat(rendered).as("%s rendered by the chart", example).contains("kind: Deployment");
                if (top.get("config") instanceof Map<?, ?> config) {
                    // The chart passes config to Berth as its application.yaml: the same check as settings.
                    Example settings = new Example(example.file(), example.number(),
                            new org.yaml.snakeyaml.Yaml().dump(config));
                    assertThat(unknownKeys(settings)).as("keys of %s's config that no setting reads", example)
                            .isEmpty();
                }
                checked.add(example + " (Helm values)");
            } else {
                assertThat(unknownKeys(example)).as("keys of %s that no setting reads", example).isEmpty();
                checked.add(example + " (settings)");
            }
        }
        System.out.println("documented YAML examples checked:\n  " + String.join("\n  ", checked));
        assertThat(checked).as("examples found").hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void aMisspeltKeyInAnExampleIsCaught() throws IOException {
        Example wrong = new Example(Path.of("test"), 1, "berth:\n  auth:\n    anonymous-pul:\n      - public/**\n");
        assertThat(unknownKeys(wrong)).containsExactly("berth.auth.anonymous-pul[0]");
    }

    static List<Example> examples() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        List<Example> examples = new ArrayList<>();
        for (Path file : files) {
            Matcher block = YAML_BLOCK.matcher(Files.readString(file));
            int number = 0;
            while (block.find()) {
                examples.add(new Example(file, ++number, block.group(1)));
            }
        }
        return examples;
    }

    /** The example's keys that no properties class binds, each binding the way Berth's start does. */
    static Set<String> unknownKeys(Example example) throws IOException {
        List<PropertySource<?>> loaded = new YamlPropertySourceLoader().load(example.toString(),
                new ByteArrayResource(example.yaml().getBytes(StandardCharsets.UTF_8)));
        Iterable<ConfigurationPropertySource> sources = ConfigurationPropertySources.from(loaded);
        Set<String> bound = new TreeSet<>();
        AbstractBindHandler recorder = new AbstractBindHandler() {
            @Override
            public Object onSuccess(ConfigurationPropertyName name, Bindable<?> target, BindContext context,
                    Object result) {
                Class<?> type = target.getType().resolve(Object.class);
                if (BeanUtils.isSimpleValueType(type) || Duration.class.equals(type) || DataSize.class.equals(type)
                        || Path.class.equals(type) || Collection.class.isAssignableFrom(type) || type.isArray()) {
                    bound.add(name.toString());
                }
                return result;
            }
        };
        Binder binder = new Binder(sources);
        SETTINGS.forEach((prefix, type) -> binder.bind(prefix, Bindable.of(type), recorder));
        Set<String> unknown = new TreeSet<>();
        for (ConfigurationPropertySource source : sources) {
            for (ConfigurationPropertyName name : (IterableConfigurationPropertySource) source) {
                String key = name.toString();
                if (bound.stream().noneMatch(b -> key.equals(b) || key.startsWith(b + "[") || key.startsWith(b + "."))) {
                    unknown.add(key);
                }
            }
        }
        return unknown;
    }
}
