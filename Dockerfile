# Berth's container image: a multi-stage build with the legacy builder or BuildKit.
#
#   docker build -t berth .                                  # builds the jar with Maven, then the image
#   docker build --build-arg JAR_FILE=target/berth-0.1.0.jar -t berth .   # uses a jar built beforehand
#   docker build --build-arg BUILD_IMAGE=berth-build-base:17 \
#                --build-arg RUNTIME_IMAGE=berth-runtime-base:17 -t berth .  # local bases (scripts/build-base-images)
#
# The build stage reaches Maven Central (or the mirror MAVEN_OPTS / MAVEN_ARGS point at, e.g.
# --build-arg MAVEN_ARGS="-s /src/.mvn/ci-settings.xml"). The runtime stage is the Spring Boot jar extracted
# into its layers (a plain jar and its lib/), each copied on its own: a change to Berth's code re-pushes only
# the small application layer, not the ~60 MB of dependencies. A class-data sharing archive trained at build
# time lets the JVM map the classes Berth loads instead of loading each again: see the JVM options below.
ARG BUILD_IMAGE=eclipse-temurin:17-jdk
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
# Marks the (untagged) build-stage image the legacy builder leaves behind, so it can be found and pruned.
LABEL dev.berth.stage=build
# Empty: build the jar here with the Maven wrapper. A path inside the build context (e.g.
# target/berth-0.1.0.jar): use that jar as it is.
ARG JAR_FILE=
ARG MAVEN_OPTS=
ARG MAVEN_ARGS=
WORKDIR /src
# The context is the sources (see .dockerignore), plus target/berth-*.jar when one was built.
COPY . ./
RUN set -e; \
    if [ -n "$JAR_FILE" ]; then \
      cp "$JAR_FILE" /tmp/app.jar; \
    else \
      MAVEN_OPTS="$MAVEN_OPTS" ./mvnw -q -B -DskipTests $MAVEN_ARGS package; \
      cp target/berth-*.jar /tmp/app.jar; \
    fi; \
    mkdir /layers; \
    java -Djarmode=tools -jar /tmp/app.jar extract --layers --destination /layers; \
    mv /layers/application/app.jar /layers/application/berth.jar; \
    ls /layers/dependencies/lib /layers/application/berth.jar >/dev/null

FROM ${RUNTIME_IMAGE}
# A fixed numeric non-root user (Kubernetes' runAsNonRoot checks the number), written directly so that
# images without useradd work too. /data is the filesystem store's volume.
RUN set -e; \
    echo 'berth:x:10001:10001:Berth:/app:/usr/sbin/nologin' >> /etc/passwd; \
    echo 'berth:x:10001:' >> /etc/group; \
    mkdir -p /app /data; \
    chown 10001:10001 /data
WORKDIR /app
# Least to most often changed: each is its own image layer.
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
# Class-data sharing: a training run (start, refresh, exit) writes the classes Berth loads into berth.jsa, made
# by the image's own JVM; at start the JVM maps them instead of reading, parsing and verifying each again.
RUN set -e; \
    java -XX:ArchiveClassesAtExit=berth.jsa -XX:+UseSerialGC -Dspring.context.exit=onRefresh -jar berth.jar \
      --berth.storage.filesystem.root=/tmp/cds-training --server.port=0 --management.server.port=0 \
      --berth.uploads.purge.enabled=false > /tmp/cds-training.log 2>&1 || { cat /tmp/cds-training.log; exit 1; }; \
    rm -rf /tmp/cds-training /tmp/cds-training.log; \
    test -s berth.jsa
USER 10001:10001
VOLUME /data
EXPOSE 5000 5001
# Exec form: java is PID 1 and gets SIGTERM itself, so Berth's graceful shutdown lets in-flight pushes finish.
# JVM options, chosen by measurement on 2 cores (docs/benchmark.md, "At rest and at start"):
# - the CDS archive (-XX:SharedArchiveFile): time to ready 8.3 s -> 4.8 s in the same run, RSS lower too;
# - SerialGC and a heap that shrinks back after load (Min/MaxHeapFreeRatio): one GC thread and no idle heap
#   kept for a replica whose large data never passes through the heap (buffers are pooled and bounded);
# - 512 KiB thread stacks and capped code cache and metaspace: Tomcat's 200 workers and the JIT stay small;
# - the heap is 40 % of the container's memory (Berth's buffers are a quarter of the heap, see
#   berth.memory.budget): with 256 pushes at once a replica's threads, classes and code took another
#   ~240 MiB beside a 256 MiB heap (peak 490 MiB), so the chart's 640Mi leaves room;
#   -XX:+ExitOnOutOfMemoryError lets Kubernetes restart a replica that ran out anyway.
# C2 stays on: its SHA-256 intrinsic is what makes pushes cheap (C1 alone costs 3x the CPU per GiB).
# --add-opens lets the resumable SHA-256 use the JDK's own (the jar manifest says so too). More options:
# JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-XX:SharedArchiveFile=berth.jsa", "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=40", \
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-Xss512k", "-XX:ReservedCodeCacheSize=64m", \
            "-XX:MaxMetaspaceSize=160m", "-XX:+ExitOnOutOfMemoryError", \
            "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED", \
            "-jar", "berth.jar"]
CMD ["--berth.storage.filesystem.root=/data"]
