# Berth's container image: a multi-stage build with the legacy builder or BuildKit.
#
#   docker build -t berth .                                  # builds the jar with Maven, then the image
#   docker build --build-arg JAR_FILE=target/berth-0.1.0.jar -t berth .   # uses a jar built beforehand
#   docker build --build-arg BUILD_IMAGE=berth-build-base:17 \
#                --build-arg RUNTIME_IMAGE=berth-runtime-base:17 -t berth .  # local bases (scripts/build-base-images)
#
# The build stage reaches Maven Central (or the mirror MAVEN_OPTS / MAVEN_ARGS point at, e.g.
# --build-arg MAVEN_ARGS="-s /src/.mvn/ci-settings.xml"). The runtime stage is the Spring Boot jar extracted
# into its layers, each copied on its own: a change to Berth's code re-pushes only the small application
# layer, not the ~60 MB of dependencies.
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
    java -Djarmode=tools -jar /tmp/app.jar extract --layers --launcher --destination /layers; \
    ls /layers/dependencies /layers/spring-boot-loader /layers/snapshot-dependencies /layers/application >/dev/null

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
USER 10001:10001
VOLUME /data
EXPOSE 5000 5001
# Exec form: java is PID 1 and gets SIGTERM itself, so Berth's graceful shutdown lets in-flight pushes finish.
# The extracted launcher is started by class name, so the jar manifest's Add-Opens does not apply: the
# resumable SHA-256 needs the open given here. More JVM options: JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", \
            "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED", \
            "org.springframework.boot.loader.launch.JarLauncher"]
CMD ["--berth.storage.filesystem.root=/data"]
