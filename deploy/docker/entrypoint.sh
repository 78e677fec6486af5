#!/bin/sh
# The image's commands (deploy/docker/Dockerfile). Settings: /etc/safety-portal/portal.ini (production.ini
# plus the compose network's addresses); every secret from the environment.
set -eu
INI=${PORTAL_INI:-/etc/safety-portal/portal.ini}
command=${1:-web}
[ $# -gt 0 ] && shift
case "$command" in
    web) exec pserve "$INI" http_port="${PORTAL_HTTP_PORT:-6543}" "$@" ;;
    worker) exec portal-worker "$INI" --skip media-staff-copies "$@" ;;
    copies) exec portal-worker "$INI" --only media-staff-copies "$@" ;;
    migrate) exec portal-initialize-db "$INI" "$@" ;;
    create-unit) exec portal-create-unit "$INI" "$@" ;;
    create-officer) exec portal-create-officer "$INI" "$@" ;;
    audit-verify) exec portal-audit-verify "$INI" "$@" ;;
    warm-proxy) exec portal-warm-proxy "$INI" "$@" ;;
    *) exec "$command" "$@" ;;
esac
