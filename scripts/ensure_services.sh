#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost: start them, or install Debian's
# packages first. Says what it does; needs no manual step.
set -euo pipefail

say() { printf '\033[1m[services]\033[0m %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  return 1
}
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if port_open 5432; then
  say "PostgreSQL answers on 127.0.0.1:5432"
else
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    say "PostgreSQL is not installed: installing Debian's postgresql package"
    apt_install postgresql
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    say "Allowing local trust authentication for this development machine ($hba)"
    $SUDO sed -i -E 's/^(local\s+all\s+postgres\s+)peer/\1trust/; s/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    # With systemd the package starts the cluster at once: make it read the new rules.
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
  fi
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  say "Starting PostgreSQL $version"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port 5432 || { say "PostgreSQL did not start"; exit 1; }
fi

if port_open 6379; then
  say "Redis answers on 127.0.0.1:6379"
else
  if ! command -v redis-server >/dev/null; then
    say "Redis is not installed: installing Debian's redis-server package"
    apt_install redis-server
  fi
  say "Starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/lotse.log
  wait_port 6379 || { say "Redis did not start"; exit 1; }
fi
