#!/bin/sh
# Makes the Debian base image without a registry (a site that reaches a Debian mirror but not Docker Hub):
# debootstrap's minimal bookworm, its apt pointed at the release, its updates and its security updates,
# imported as one layer. Then deploy/docker/base/Dockerfile makes the python:3.11-slim equivalent from it:
#   deploy/docker/base/make-debian.sh local/debian:bookworm [mirror]
#   docker build -f deploy/docker/base/Dockerfile --build-arg DEBIAN_IMAGE=local/debian:bookworm \
#       -t local/python:3.11-slim deploy/docker/base
# Needs root, debootstrap (apt-get install debootstrap) and a running Docker daemon.
set -eu
tag=${1:-local/debian:bookworm}
mirror=${2:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/debian-bookworm.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror"
security=$(printf '%s' "$mirror" | sed 's,/debian/*$,/debian-security,')
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
# As Debian's own images: no package lists or downloaded packages inside (apt-get update comes first).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
tar -C "$root" --numeric-owner -c . | docker import --change 'CMD ["bash"]' - "$tag"
