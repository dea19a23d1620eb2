#!/bin/sh
# Binds every interface and advertises the container's own address unless NAS_PUBLIC_HOSTNAME is given, so that
# replicas of one service (evaluators) each have a distinct, reachable address.
set -e
export NAS_HOSTNAME="${NAS_HOSTNAME:-0.0.0.0}"
if [ -z "${NAS_PUBLIC_HOSTNAME:-}" ]; then
  NAS_PUBLIC_HOSTNAME="$(hostname -i | awk '{print $1}')"
  export NAS_PUBLIC_HOSTNAME
fi
exec dotnet /app/nas.dll "$@"
