# stc in a container. Build the jar first, then the image:
#   mvn -B package -DskipTests && docker build -t stc:0.1.0 .
# Runs as an unprivileged user; /var/lib/stc is the state directory (state_dir).
FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --home-dir /var/lib/stc stc \
    && mkdir -p /var/lib/stc /etc/stc \
    && chown stc /var/lib/stc
COPY target/stc.jar /opt/stc/stc.jar
USER 10001
WORKDIR /var/lib/stc
EXPOSE 8080 9090
# The JVM sizes its heap from the container's memory limit; ParallelGC as ./stc uses (see there).
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+UseParallelGC", "-jar", "/opt/stc/stc.jar"]
CMD ["serve", "--config", "/etc/stc/stc.yaml"]
