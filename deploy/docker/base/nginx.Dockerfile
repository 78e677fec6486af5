# The nginx:1.27 equivalent from a Debian bookworm image (Debian's nginx 1.22), for a site that cannot pull
# nginx:1.27 (no Docker Hub); the portal's proxy target then builds from it:
#   docker build -f deploy/docker/base/nginx.Dockerfile --build-arg DEBIAN_IMAGE=local/debian:bookworm \
#       -t local/nginx deploy/docker/base
#   docker build -f deploy/docker/Dockerfile --target proxy --build-arg NGINX_IMAGE=local/nginx ... .
# As the official image: the files in /etc/nginx/conf.d/ are the only sites, the logs go to docker, nginx
# runs in the foreground and stops gracefully on SIGQUIT; its pid file is /run/nginx.pid (compose's check).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install --yes --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
