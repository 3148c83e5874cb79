package dev.berth.registry.gc;

import static dev.berth.registry.gc.GcServices.imageManifest;
import static dev.berth.registry.gc.GcServices.index;
import static dev.berth.registry.gc.GcServices.referrer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.Digest;
import dev.berth.registry.RepositoryName;
import dev.berth.registry.StorePaths;
import dev.berth.registry.gc.GcServices.Blob;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a run deletes before it collects blobs: untagged manifests, orphaned referrers and the tags retention
 * policies do not keep; that a dry run lists exactly what the real run then deletes; and that a tag or
 * manifest pushed again while the run decides stays. On a store in memory, with a clock the test moves.
 */
class ManifestPruningTest {

    static final RepositoryName APP = new RepositoryName("team/app");
    static final Duration AGE = GcServices.UNTAGGED_AGE;

    final GcServices services = new GcServices();

    @AfterEach
    void stop() {
        services.close();
    }

    @Test
    void untaggedManifestsOlderThanTheAgeGoWithTheirUnsharedBlobsInTheSameRun() {
        Blob shared = Blob.random(900);
        Blob oldLayer = Blob.random(1000);
        Blob replaced = services.pushImage(APP, "v1", Blob.random(100), shared, oldLayer);
        Blob current = services.pushImage(APP, "v1", Blob.random(101), shared, Blob.random(1100));
        Blob byDigestLayer = services.push(APP, Blob.random(1200));
        Blob config = services.push(APP, Blob.random(102));
        Blob byDigest = imageManifest(config, byDigestLayer);
        services.putManifest(APP, byDigest.digest().toString(), byDigest);
        services.clock.advance(AGE.plusHours(1));
        Blob young = imageManifest(config);
        services.putManifest(APP, young.digest().toString(), young);

        GcReport report = services.pruning(false, true, false, GcSteps.NONE).run();

        assertThat(report.manifestsDeleted()).isEqualTo(2);
        assertThat(report.tagsDeleted()).isZero();
        assertThat(report.pruned()).containsExactlyInAnyOrder(
                new GcReport.Pruned(APP.value(), null, replaced.digest().toString(), "untagged"),
                new GcReport.Pruned(APP.value(), null, byDigest.digest().toString(), "untagged"));
        assertThat(services.hasRevision(APP, replaced)).isFalse();
        assertThat(services.hasRevision(APP, byDigest)).isFalse();
        assertThat(services.hasRevision(APP, current)).isTrue();
        assertThat(services.hasRevision(APP, young)).as("younger than the age").isTrue();
        assertThat(services.stored(oldLayer)).as("collected in the same run").isFalse();
        assertThat(services.stored(byDigestLayer)).isFalse();
        assertThat(services.stored(replaced)).isFalse();
        assertThat(services.readable(APP, shared)).as("shared with the tagged image").isTrue();
        assertThat(services.readable(APP, config)).as("the young manifest's config").isTrue();
    }

    @Test
    void untaggedChildrenOfATaggedIndexAndReferrersOfKeptManifestsStay() {
        Blob config = services.push(APP, Blob.random(100));
        Blob amd64 = imageManifest(config, services.push(APP, Blob.random(1000)));
        Blob arm64 = imageManifest(config, services.push(APP, Blob.random(1001)));
        services.putManifest(APP, amd64.digest().toString(), amd64);
        services.putManifest(APP, arm64.digest().toString(), arm64);
        Blob multi = index(amd64, arm64);
        services.putManifest(APP, "multi", multi);
        Blob signature = referrer(multi, services.push(APP, Blob.random(90)));
        services.putManifest(APP, signature.digest().toString(), signature);
        Blob sbom = referrer(amd64, services.push(APP, Blob.random(91)));
        services.putManifest(APP, sbom.digest().toString(), sbom);
        Blob sbomSignature = referrer(sbom, services.push(APP, Blob.random(92)));
        services.putManifest(APP, sbomSignature.digest().toString(), sbomSignature);
        Blob dropped = imageManifest(config, services.push(APP, Blob.random(1002)));
        services.putManifest(APP, dropped.digest().toString(), dropped);
        Blob droppedSignature = referrer(dropped, services.push(APP, Blob.random(93)));
        services.putManifest(APP, droppedSignature.digest().toString(), droppedSignature);
        services.clock.advance(AGE.plusHours(1));

        GcReport report = services.pruning(false, true, false, GcSteps.NONE).run();

        for (Blob kept : List.of(multi, amd64, arm64, signature, sbom, sbomSignature)) {
            assertThat(services.hasRevision(APP, kept)).as("%s stays", kept.digest()).isTrue();
        }
        assertThat(services.hasRevision(APP, dropped)).isFalse();
        assertThat(services.hasRevision(APP, droppedSignature)).as("a referrer of an untagged manifest")
                .isFalse();
        assertThat(services.store.list(StorePaths.referrers(APP, dropped.digest()) + "/sha256"))
                .as("the referrers entry the signature's push made").isEmpty();
        assertThat(report.manifestsDeleted()).isEqualTo(2);
    }

    @Test
    void aReferrerWhoseSubjectIsGoneIsDeletedAndOneOfAKeptImageStays() {
        Blob kept = services.pushImage(APP, "kept", Blob.random(100), Blob.random(1000));
        Blob keptSignature = referrer(kept, services.push(APP, Blob.random(90)));
        services.putManifest(APP, keptSignature.digest().toString(), keptSignature);
        Blob deleted = services.pushImage(APP, "deleted", Blob.random(101), Blob.random(1001));
        Blob orphanLayer = services.push(APP, Blob.random(91));
        Blob orphan = referrer(deleted, orphanLayer);
        services.putManifest(APP, orphan.digest().toString(), orphan);
        Blob taggedOrphan = referrer(deleted, services.push(APP, Blob.random(92)));
        services.putManifest(APP, "named", taggedOrphan);
        services.manifests.delete(APP, deleted.digest().toString());
        services.ageEverything();

        GcReport report = services.pruning(false, false, true, GcSteps.NONE).run();

        assertThat(report.pruned()).containsExactly(
                new GcReport.Pruned(APP.value(), null, orphan.digest().toString(), "orphaned-referrer"));
        assertThat(services.hasRevision(APP, orphan)).isFalse();
        assertThat(services.store.list(StorePaths.referrers(APP, deleted.digest()) + "/sha256"))
                .containsExactly(taggedOrphan.digest().hex());
        assertThat(services.stored(orphanLayer)).isFalse();
        assertThat(services.hasRevision(APP, keptSignature)).isTrue();
        assertThat(services.hasRevision(APP, taggedOrphan)).as("a tag names it").isTrue();
    }

    @Test
    void keepNewestCountsTagsByTheirPushTime() {
        Blob a = services.pushImage(APP, "a", Blob.random(100));
        for (String tag : List.of("b", "c", "d")) {
            services.clock.advance(Duration.ofMinutes(1));
            services.pushImage(APP, tag, Blob.random(101));
        }
        services.clock.advance(Duration.ofMinutes(1));
        services.putManifest(APP, "a", a); // pushed again: now the newest

        services.pruning(false, false, false, GcSteps.NONE, new RetentionPolicy("team/*", 2, List.of(), null)).run();

        // Neither the first nor the last two by name, nor the last two first pushed.
        assertThat(services.tags(APP)).containsExactly("a", "d");
    }

    @Test
    void aTagIsKeptByAnyRuleOfItsPolicyAndKeepTagsWinsOverAge() {
        services.pushImage(APP, "v1.0", Blob.random(100));
        services.pushImage(APP, "latest", Blob.random(101));
        services.pushImage(APP, "build-1", Blob.random(102));
        services.clock.advance(Duration.ofDays(10));
        services.pushImage(APP, "build-2", Blob.random(103));
        services.clock.advance(Duration.ofDays(20));
        services.pushImage(APP, "build-3", Blob.random(104));
        services.pushImage(APP, "build-4", Blob.random(105));
        services.clock.advance(Duration.ofMinutes(1));
        services.pushImage(APP, "build-5", Blob.random(106));
        RetentionPolicy policy = new RetentionPolicy("team/**", 1, List.of("v*", "latest"), Duration.ofDays(14));

        GcReport report = services.pruning(false, false, false, GcSteps.NONE, policy).run();

        // build-1 and build-2 are older than 14 days and not the newest; v1.0 and latest are older too.
        assertThat(services.tags(APP)).containsExactly("build-3", "build-4", "build-5", "latest", "v1.0");
        assertThat(report.tagsDeleted()).isEqualTo(2);
        assertThat(report.pruned()).extracting(GcReport.Pruned::tag).containsExactly("build-1", "build-2");
        assertThat(report.pruned()).extracting(GcReport.Pruned::rule).containsOnly(
                "retention team/** keep-newest=1 keep-tags=v*,latest delete-older-than=14d");
    }

    @Test
    void theFirstPolicyMatchingARepositoryGovernsItAndOthersKeepEveryTag() {
        RepositoryName special = new RepositoryName("ci/special");
        RepositoryName nested = new RepositoryName("ci/a/b");
        RepositoryName team = new RepositoryName("team/x");
        RepositoryName deeper = new RepositoryName("team/x/y");
        RepositoryName other = new RepositoryName("other");
        for (RepositoryName repository : List.of(special, nested, team, deeper, other)) {
            services.pushImage(repository, "v1", Blob.random(100));
            services.clock.advance(Duration.ofMinutes(1));
            services.pushImage(repository, "build", Blob.random(101));
        }

        services.pruning(false, false, false, GcSteps.NONE,
                new RetentionPolicy("ci/special", null, List.of("*"), null),
                new RetentionPolicy("ci/**", 1, List.of(), null),
                new RetentionPolicy("team/*", null, List.of("v*"), null)).run();

        assertThat(services.tags(special)).containsExactly("build", "v1");
        assertThat(services.tags(nested)).as("the newest only").containsExactly("build");
        assertThat(services.tags(team)).containsExactly("v1");
        assertThat(services.tags(deeper)).as("* stays within one segment").containsExactly("build", "v1");
        assertThat(services.tags(other)).containsExactly("build", "v1");
    }

    @Test
    void manifestsLeftUntaggedByRetentionGoOnlyWithUntaggedDeletionOn() {
        Blob layer = Blob.random(1000);
        Blob old = services.pushImage(APP, "old", Blob.random(100), layer);
        services.clock.advance(Duration.ofMinutes(1));
        Blob newest = services.pushImage(APP, "new", Blob.random(101));
        services.clock.advance(AGE.plusHours(1));
        RetentionPolicy policy = new RetentionPolicy("team/app", 1, List.of(), null);

        services.pruning(false, false, false, GcSteps.NONE, policy).run();
        assertThat(services.tags(APP)).containsExactly("new");
        assertThat(services.hasRevision(APP, old)).as("untagged, but untagged deletion is off").isTrue();

        GcReport report = services.pruning(false, true, false, GcSteps.NONE, policy).run();
        assertThat(services.hasRevision(APP, old)).isFalse();
        assertThat(services.stored(layer)).isFalse();
        assertThat(services.hasRevision(APP, newest)).isTrue();
        assertThat(report.pruned()).containsExactly(
                new GcReport.Pruned(APP.value(), null, old.digest().toString(), "untagged"));
    }

    @Test
    void aDryRunDeletesNothingAndListsExactlyWhatTheRealRunThenDeletes() {
        Blob kept = services.pushImage(APP, "v1", Blob.random(100), Blob.random(1000));
        Blob keptSignature = referrer(kept, services.push(APP, Blob.random(90)));
        services.putManifest(APP, keptSignature.digest().toString(), keptSignature);
        Blob retired = services.pushImage(APP, "build-1", Blob.random(101), Blob.random(1001));
        Blob retiredSignature = referrer(retired, services.push(APP, Blob.random(91)));
        services.putManifest(APP, retiredSignature.digest().toString(), retiredSignature);
        services.pushImage(APP, "build-2", Blob.random(102), Blob.random(1002));
        Blob deleted = services.pushImage(APP, "gone", Blob.random(103));
        Blob orphan = referrer(deleted, services.push(APP, Blob.random(92)));
        services.putManifest(APP, orphan.digest().toString(), orphan);
        services.manifests.delete(APP, deleted.digest().toString());
        services.clock.advance(AGE.plusHours(1));
        services.pushImage(APP, "build-3", Blob.random(104), Blob.random(1003));
        RetentionPolicy policy = new RetentionPolicy("team/**", 1, List.of("v*"), null);
        Map<String, Instant> before = services.objects("docker");

        GcReport dry = services.pruning(true, true, true, GcSteps.NONE, policy).run();

        assertThat(services.objects("docker")).as("the store after the dry run").isEqualTo(before);
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.tagsDeleted()).isEqualTo(2);
        assertThat(dry.manifestsDeleted()).as("build-1, build-2, their untagged signature, the orphan")
                .isEqualTo(4);
        assertThat(dry.pruned()).hasSize(6);

        GcReport real = services.pruning(false, true, true, GcSteps.NONE, policy).run();

        assertThat(real.pruned()).isEqualTo(dry.pruned());
        assertThat(real.tagsDeleted()).isEqualTo(dry.tagsDeleted());
        assertThat(real.manifestsDeleted()).isEqualTo(dry.manifestsDeleted());
        for (GcReport.Pruned pruned : dry.pruned()) {
            Digest digest = Digest.parse(pruned.digest());
            if (pruned.tag() != null) {
                assertThat(services.tags(APP)).doesNotContain(pruned.tag());
            } else {
                assertThat(services.manifests.find(APP, digest)).as("%s", pruned).isEmpty();
            }
        }
        assertThat(services.tags(APP)).containsExactly("build-3", "v1");
        assertThat(services.hasRevision(APP, kept)).isTrue();
        assertThat(services.hasRevision(APP, keptSignature)).isTrue();
        assertThat(services.pruning(false, true, true, GcSteps.NONE, policy).run().pruned())
                .as("a second run finds nothing more").isEmpty();
    }

    @Test
    void aTagPushedAgainBetweenTheDecisionAndTheDeletionStays() {
        Blob first = services.pushImage(APP, "moved", Blob.random(100));
        Blob same = services.pushImage(APP, "same", Blob.random(101));
        services.pushImage(APP, "left", Blob.random(102));
        services.clock.advance(Duration.ofDays(30));
        Blob second = imageManifest(services.push(APP, Blob.random(103)));
        GcSteps pushAgain = new GcSteps() {
            @Override
            public void untagging(RepositoryName repository, String tag) {
                if (tag.equals("moved")) {
                    services.putManifest(APP, "moved", second); // to another manifest
                } else if (tag.equals("same")) {
                    services.clock.advance(Duration.ofSeconds(1));
                    services.putManifest(APP, "same", same); // to the same one
                }
            }
        };

        GcReport report = services.pruning(false, true, false, pushAgain,
                new RetentionPolicy("team/app", null, List.of(), Duration.ofDays(14))).run();

        assertThat(services.tags(APP)).containsExactly("moved", "same");
        assertThat(services.manifests.get(APP, "moved", List.of()).digest()).isEqualTo(second.digest());
        assertThat(services.hasRevision(APP, same)).isTrue();
        assertThat(services.hasRevision(APP, first)).as("left untagged by the push").isTrue();
        assertThat(report.pruned()).extracting(GcReport.Pruned::tag).containsExactly("left", null);
    }

    @Test
    void aManifestPushedAgainBetweenTheDecisionAndTheDeletionStaysWithItsBlobs() {
        Blob layer = Blob.random(1000);
        Blob image = services.pushImage(APP, "v1", Blob.random(100), layer);
        services.manifests.delete(APP, "v1");
        services.clock.advance(AGE.plusHours(1));
        GcSteps pushAgain = new GcSteps() {
            @Override
            public void pruning(RepositoryName repository, Digest manifest) {
                services.putManifest(APP, manifest.toString(), image);
            }
        };

        GcReport report = services.pruning(false, true, false, pushAgain).run();

        assertThat(report.manifestsDeleted()).isZero();
        assertThat(services.hasRevision(APP, image)).isTrue();
        assertThat(services.readable(APP, layer)).isTrue();
    }

    @Test
    void anIndexPushedBetweenTheDecisionAndTheDeletionKeepsItsOldUntaggedChildren() {
        Blob layer = Blob.random(1000);
        Blob child = services.pushImage(APP, "amd64", Blob.random(100), layer);
        services.manifests.delete(APP, "amd64"); // the tag only: the child is an untagged revision now
        services.clock.advance(AGE.plusHours(1));
        Blob multi = GcServices.index(child);
        GcSteps indexPushed = new GcSteps() {
            @Override
            public void pruning(RepositoryName repository, Digest manifest) {
                if (manifest.equals(child.digest())) {
                    services.putManifest(APP, "multi", multi);
                }
            }
        };

        GcReport report = services.pruning(false, true, false, indexPushed).run();

        assertThat(report.manifestsDeleted()).isZero();
        assertThat(services.hasRevision(APP, child)).as("a child of the index pushed during the run").isTrue();
        assertThat(services.readable(APP, layer)).isTrue();
        assertThat(services.manifests.get(APP, "multi", List.of()).digest()).isEqualTo(multi.digest());
    }
}
