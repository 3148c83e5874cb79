package dev.berth.ship;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart in {@code helm/berth}: lints, renders with its defaults and with other values (Helm 3 itself,
 * through helm-java), and the rendered objects, parsed by the fabric8 model, say what the chart promises.
 */
class HelmChartTest {

    static final Path CHART = Path.of("helm/berth");
    static final KubernetesSerialization YAML = new KubernetesSerialization();

    @TempDir
    Path work;

    @Test
    void lints() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
    }

    @Test
    void defaultsRenderOneReplicaOnAVolumeWithProbesOnTheManagementPort() {
        List<HasMetadata> objects = render(t -> t);
        Deployment deployment = one(objects, Deployment.class);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(deployment.getSpec().getStrategy().getType()).as("one volume, one writer").isEqualTo("Recreate");
        Container berth = container(deployment);
        assertThat(berth.getArgs()).contains("--berth.storage.backend=filesystem", "--berth.storage.filesystem.root=/data");
        assertProbe(berth.getStartupProbe(), "/actuator/health/liveness");
        assertProbe(berth.getLivenessProbe(), "/actuator/health/liveness");
        assertProbe(berth.getReadinessProbe(), "/actuator/health/readiness");
        assertThat(berth.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("management");
            assertThat(p.getContainerPort()).isEqualTo(5001);
        });

        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        assertThat(berth.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(berth.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(berth.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("tmp");
            assertThat(v.getEmptyDir()).isNotNull();
        });
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getPersistentVolumeClaim()).isNotNull());
        assertThat(berth.getResources().getLimits()).containsKey("memory");
        assertThat(pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution())
                .singleElement()
                .satisfies(t -> assertThat(t.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname"));

        Service service = one(objects, Service.class);
        assertThat(service.getSpec().getPorts()).extracting(ServicePort::getName, ServicePort::getPort)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("registry", 5000),
                        org.assertj.core.groups.Tuple.tuple("management", 5001));
        assertThat(one(objects, PodDisruptionBudget.class).getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);

        // The ConfigMap is mounted where SPRING_CONFIG_ADDITIONAL_LOCATION points.
        assertThat(berth.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("SPRING_CONFIG_ADDITIONAL_LOCATION");
            assertThat(e.getValue()).isEqualTo("optional:file:/config/");
        });
        assertThat(berth.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/config"));

        assertThat(kinds(objects)).doesNotContain("Ingress", "ServiceMonitor", "PrometheusRule",
                "HorizontalPodAutoscaler", "Secret");
    }

    @Test
    void threeReplicasOnAzureReferenceTheConnectionStringFromASecret() throws Exception {
        String connectionString = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==";
        Path values = work.resolve("azure.yaml");
        Files.writeString(values, String.join("\n",
                "replicaCount: 3",
                "storage:",
                "  backend: azure",
                "  azure:",
                "    container: registry",
                "    connectionString: \"" + connectionString + "\"",
                "config:",
                "  berth:",
                "    uploads:",
                "      idle-timeout: 2h",
                ""), StandardCharsets.UTF_8);
        List<HasMetadata> objects = render(t -> t.withValuesFile(values));

        Deployment deployment = one(objects, Deployment.class);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
        Container berth = container(deployment);
        assertThat(berth.getArgs()).contains("--berth.storage.backend=azure", "--berth.storage.azure.container=registry");
        EnvVar credentials = berth.getEnv().stream()
                .filter(e -> e.getName().equals("BERTH_STORAGE_AZURE_CONNECTION_STRING")).findFirst().orElseThrow();
        assertThat(credentials.getValue()).as("never inlined").isNull();
        assertThat(credentials.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("connection-string");
        String secretName = credentials.getValueFrom().getSecretKeyRef().getName();
        assertThat(YAML.asYaml(deployment)).as("the Deployment never holds the connection string")
                .doesNotContain("AccountKey").doesNotContain("c2VjcmV0LWtleQ");
        Secret secret = objects.stream().filter(Secret.class::isInstance).map(Secret.class::cast)
                .filter(s -> s.getMetadata().getName().equals(secretName)).findFirst().orElseThrow();
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("connection-string")), StandardCharsets.UTF_8))
                .isEqualTo(connectionString);
        // No volume for the Azure store.
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes())
                .noneSatisfy(v -> assertThat(v.getPersistentVolumeClaim()).isNotNull());
        assertThat(kinds(objects)).doesNotContain("PersistentVolumeClaim");

        var configMap = one(objects, io.fabric8.kubernetes.api.model.ConfigMap.class);
        assertThat(configMap.getData().get("application.yaml")).contains("idle-timeout: 2h");
    }

    @Test
    void anExistingSecretIsReferencedAndNoSecretIsCreated() {
        List<HasMetadata> objects = render(t -> t.set("storage.backend", "azure")
                .set("storage.azure.existingSecret", "berth-azure-creds")
                .set("storage.azure.existingSecretKey", "cs"));
        var ref = container(one(objects, Deployment.class)).getEnv().stream()
                .filter(e -> e.getName().equals("BERTH_STORAGE_AZURE_CONNECTION_STRING")).findFirst().orElseThrow()
                .getValueFrom().getSecretKeyRef();
        assertThat(ref.getName()).isEqualTo("berth-azure-creds");
        assertThat(ref.getKey()).isEqualTo("cs");
        assertThat(kinds(objects)).doesNotContain("Secret");
    }

    @Test
    void pullThroughCacheRulesBecomeSettingsAndTheirPasswordsAMountedSecret() {
        Deployment deployment = one(render(t -> t.set("proxy.rules[0].prefix", "hub")
                .set("proxy.rules[0].upstream", "https://registry.example.com")
                .set("proxy.rules[0].username", "puller")
                .set("proxy.rules[0].passwordKey", "hub-password")
                .set("proxy.rules[0].tagTtl", "10m")
                .set("proxy.rules[0].evictAfter", "30d")
                .set("proxy.credentials.existingSecret", "upstream-passwords")), Deployment.class);
        assertThat(container(deployment).getArgs()).contains("--berth.proxy.rules[0].prefix=hub",
                "--berth.proxy.rules[0].upstream=https://registry.example.com",
                "--berth.proxy.rules[0].username=puller",
                "--berth.proxy.rules[0].password-file=/etc/berth/proxy/hub-password",
                "--berth.proxy.rules[0].tag-ttl=10m", "--berth.proxy.rules[0].evict-after=30d");
        assertThat(container(deployment).getVolumeMounts()).anySatisfy(mount -> {
            assertThat(mount.getName()).isEqualTo("proxy-credentials");
            assertThat(mount.getMountPath()).isEqualTo("/etc/berth/proxy");
            assertThat(mount.getReadOnly()).isTrue();
        });
        assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes())
                .filteredOn(volume -> volume.getName().equals("proxy-credentials"))
                .singleElement().satisfies(volume ->
                        assertThat(volume.getSecret().getSecretName()).isEqualTo("upstream-passwords"));
        assertThat(container(one(render(t -> t.set("proxy.mirror", "https://registry.example.com")
                .set("proxy.mirrorEvictAfter", "14d")), Deployment.class)).getArgs())
                .contains("--berth.proxy.mirror.upstream=https://registry.example.com",
                        "--berth.proxy.mirror.evict-after=14d")
                .noneMatch(arg -> arg.contains("rules["));
        assertThatThrownBy(() -> render(t -> t.set("proxy.mirror", "registry.example.com"))).hasMessageContaining("mirror");
    }

    @Test
    void schemaRejectsSeveralReplicasOnTheFilesystemStore() {
        assertThatThrownBy(() -> render(t -> t.set("replicaCount", 3)))
                .hasMessageContaining("backend");
        assertThatThrownBy(() -> render(t -> t.set("autoscaling.enabled", true)))
                .hasMessageContaining("backend");
        assertThatThrownBy(() -> render(t -> t.set("storage.backend", "s3")))
                .hasMessageContaining("backend");
        // The same replicas on Azure render.
        assertThat(one(render(t -> t.set("replicaCount", 3).set("storage.backend", "azure")
                .set("storage.azure.existingSecret", "x")), Deployment.class).getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void logFormatSwitchesEveryLogToJson() {
        assertThat(container(one(render(t -> t), Deployment.class)).getEnv())
                .noneMatch(env -> env.getName().equals("LOGGING_STRUCTURED_FORMAT_CONSOLE"));
        assertThat(container(one(render(t -> t.set("logFormat", "ecs")), Deployment.class)).getEnv())
                .anySatisfy(env -> {
                    assertThat(env.getName()).isEqualTo("LOGGING_STRUCTURED_FORMAT_CONSOLE");
                    assertThat(env.getValue()).isEqualTo("ecs");
                });
        assertThatThrownBy(() -> render(t -> t.set("logFormat", "json"))).hasMessageContaining("logFormat");
    }

    @Test
    void schemaRejectsKeysTheChartDoesNotKnow() {
        // A misspelt key would otherwise render the defaults without a word.
        for (String key : List.of("replicaCont", "storage.backnd", "storage.azure.containr", "probes.startup.periodSecond",
                "ingress.classname", "auth.mountpath", "metrics.serviceMonitor.intervall", "autoscaling.maxReplica",
                "metrics.grafanaDashboard.enable")) {
            assertThatThrownBy(() -> render(t -> t.set(key, "1"))).as(key)
                    .hasMessageContaining(key.substring(key.lastIndexOf('.') + 1));
        }
        // Kubernetes' own objects stay open: any field of theirs is passed through.
        Deployment deployment = one(render(t -> t.set("resources.limits.cpu", "2")
                .set("podSecurityContext.supplementalGroups[0]", 2000)
                .set("auth.files.htpasswd", "alice:$2y$05$x").set("javaToolOptions", "-Xmx300m")
                .set("ingress.className", "traefik").set("probes.startup.periodSeconds", 3)), Deployment.class);
        assertThat(container(deployment).getResources().getLimits().get("cpu").toString()).isEqualTo("2");
        assertThat(container(deployment).getStartupProbe().getPeriodSeconds()).isEqualTo(3);
    }

    @Test
    void schemaDescribesEveryValue() throws Exception {
        Map<String, Object> values = new org.yaml.snakeyaml.Yaml().load(Files.readString(CHART.resolve("values.yaml")));
        tools.jackson.databind.JsonNode schema = tools.jackson.databind.json.JsonMapper.builder().build()
                .readTree(Files.readString(CHART.resolve("values.schema.json")));
        List<String> undescribed = new ArrayList<>();
        undescribedKeys("", values, schema, undescribed);
        assertThat(undescribed).as("values.yaml keys missing from values.schema.json").isEmpty();
    }

    /** An object any key may go in: a schema for extra keys, or no list of properties and none forbidden. */
    private static boolean freeForm(tools.jackson.databind.JsonNode node) {
        tools.jackson.databind.JsonNode extra = node.path("additionalProperties");
        return extra.isObject() || (!node.has("properties") && extra.asBoolean(true));
    }

    /** Keys of {@code values} the schema node neither lists nor leaves open (a free-form object). */
    @SuppressWarnings("unchecked")
    private static void undescribedKeys(String path, Map<String, Object> values, tools.jackson.databind.JsonNode node,
            List<String> undescribed) {
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            String key = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
            tools.jackson.databind.JsonNode property = node.path("properties").path(entry.getKey());
            if (property.isMissingNode()) {
                if (!freeForm(node)) {
                    undescribed.add(key);
                }
                continue;
            }
            if (entry.getValue() instanceof Map<?, ?> nested && property.has("properties")) {
                undescribedKeys(key, (Map<String, Object>) nested, property, undescribed);
            }
        }
    }

    @Test
    void ingressCarriesTheAnnotationsForLargeUploads() {
        List<HasMetadata> objects = render(t -> t.set("ingress.enabled", true)
                .set("ingress.hosts[0].host", "registry.example.org")
                .set("ingress.hosts[0].paths[0].path", "/")
                .set("ingress.hosts[0].paths[0].pathType", "Prefix")
                .set("ingress.tls[0].secretName", "registry-tls")
                .set("ingress.tls[0].hosts[0]", "registry.example.org")
                .set("ingress.annotations.cert-manager\\.io/cluster-issuer", "letsencrypt"));
        Ingress ingress = one(objects, Ingress.class);
        assertThat(ingress.getMetadata().getAnnotations())
                .containsEntry("nginx.ingress.kubernetes.io/proxy-body-size", "0")
                .containsEntry("nginx.ingress.kubernetes.io/proxy-request-buffering", "off")
                .containsEntry("nginx.ingress.kubernetes.io/proxy-read-timeout", "900")
                .containsEntry("nginx.ingress.kubernetes.io/proxy-send-timeout", "900")
                .containsEntry("cert-manager.io/cluster-issuer", "letsencrypt");
        assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
        assertThat(ingress.getSpec().getTls().get(0).getSecretName()).isEqualTo("registry-tls");
        var backend = ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService();
        assertThat(backend.getName()).isEqualTo(one(objects, Service.class).getMetadata().getName());
        assertThat(backend.getPort().getNumber()).isEqualTo(5000);
    }

    @Test
    void monitoringObjectsOnlyWhenEnabled() {
        assertThat(kinds(render(t -> t))).doesNotContain("ServiceMonitor", "PrometheusRule");
        List<HasMetadata> objects = render(t -> t.set("metrics.serviceMonitor.enabled", true)
                .set("metrics.prometheusRule.enabled", true));
        GenericKubernetesResource monitor = generic(objects, "ServiceMonitor");
        List<Map<String, Object>> endpoints = monitor.get("spec", "endpoints");
        assertThat(endpoints).singleElement().satisfies(e -> {
            assertThat(e).containsEntry("port", "management").containsEntry("path", "/actuator/prometheus");
        });
        String rules = YAML.asYaml(generic(objects, "PrometheusRule"));
        assertThat(rules).contains("BerthNotReady", "BerthStoreUnreachable", "berth_storage_errors_total",
                "berth_uploads_failed_total", "berth_purge_uploads_deleted_total");
    }

    @Test
    void grafanaDashboardIsAConfigMapForTheSidecarOnlyWhenEnabled() throws Exception {
        assertThat(render(t -> t).stream().map(o -> o.getMetadata().getName())).doesNotContain("reg-berth-dashboard");

        List<HasMetadata> objects = render(t -> t.set("metrics.grafanaDashboard.enabled", true)
                .set("metrics.grafanaDashboard.annotations.grafana_folder", "Registry"));
        var dashboard = objects.stream().filter(io.fabric8.kubernetes.api.model.ConfigMap.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.ConfigMap.class::cast)
                .filter(c -> c.getMetadata().getName().equals("reg-berth-dashboard")).findFirst().orElseThrow();
        assertThat(dashboard.getMetadata().getNamespace()).isEqualTo("registry");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1")
                .containsEntry("app.kubernetes.io/name", "berth");
        assertThat(dashboard.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Registry");
        String json = dashboard.getData().get("berth-dashboard.json");
        assertThat(json + "\n").as("the ConfigMap carries the chart's dashboard file as it is")
                .isEqualTo(Files.readString(CHART.resolve("dashboards/berth-dashboard.json")));
        tools.jackson.databind.JsonNode parsed = tools.jackson.databind.json.JsonMapper.builder().build().readTree(json);
        assertThat(parsed.path("uid").asString()).isEqualTo("berth");
        assertThat(parsed.path("panels").size()).isGreaterThan(10);

        var elsewhere = named(render(t -> t.set("metrics.grafanaDashboard.enabled", true)
                .set("metrics.grafanaDashboard.namespace", "monitoring")
                .set("metrics.grafanaDashboard.labels.grafana_dashboard", "berth")), "reg-berth-dashboard");
        assertThat(elsewhere.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(elsewhere.getMetadata().getLabels()).containsEntry("grafana_dashboard", "berth");
    }

    @Test
    void theDashboardForPeopleWithoutTheChartIsTheChartsOwn() throws Exception {
        // One source of truth: docs/grafana holds a copy of the chart's file, never an edited one.
        assertThat(Files.readString(Path.of("docs/grafana/berth-dashboard.json")))
                .isEqualTo(Files.readString(CHART.resolve("dashboards/berth-dashboard.json")));
    }

    @Test
    void autoscalerReplacesTheFixedReplicaCount() {
        List<HasMetadata> objects = render(t -> t.set("autoscaling.enabled", true).set("storage.backend", "azure")
                .set("storage.azure.existingSecret", "x"));
        assertThat(kinds(objects)).contains("HorizontalPodAutoscaler");
        assertThat(one(objects, Deployment.class).getSpec().getReplicas()).isNull();
    }

    // ---------------------------------------------------------------------------------------------------

    static List<HasMetadata> render(UnaryOperator<TemplateCommand> options) {
        String manifest = options.apply(new Helm(CHART).template().withName("reg").withNamespace("registry")).call();
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : manifest.split("(?m)^---\\s*$")) {
            if (document.lines().anyMatch(l -> l.startsWith("kind:"))) {
                objects.add(YAML.unmarshal(document, HasMetadata.class));
            }
        }
        return objects;
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("rendered %s objects", type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    static GenericKubernetesResource generic(List<HasMetadata> objects, String kind) {
        return objects.stream().filter(o -> o.getKind().equals(kind)).map(GenericKubernetesResource.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " in " + kinds(objects)));
    }

    static HasMetadata named(List<HasMetadata> objects, String name) {
        return objects.stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no object named " + name));
    }

    static List<String> kinds(List<HasMetadata> objects) {
        return objects.stream().map(HasMetadata::getKind).toList();
    }

    static Container container(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals("berth")).findFirst().orElseThrow();
    }

    static void assertProbe(Probe probe, String path) {
        assertThat(probe).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        // The named port "management" is containerPort 5001.
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("management");
    }
}
