# A chart-bundle image: the chart packages (*.tgz) of the build context under
# /charts, and a shell to copy them. The hotplug chart's initContainer runs
# `cp -R /charts/. /root/helmchartpkg/` from it (chartBundle.image).
#   docker build -f hack/chart-bundle.Dockerfile -t registry/hotplug-charts:2024.06 ./charts
FROM busybox:1.37
COPY --chown=65532:65532 *.tgz /charts/
RUN chmod 0644 /charts/*.tgz
USER 65532:65532
