#!/usr/bin/env bash
# Makes sure the services the tests talk to are running on their standard ports:
# PostgreSQL on 127.0.0.1:5432 (user postgres, database test) and Redis on 127.0.0.1:6379.
# Installs and starts them when absent (Debian 12); does nothing when they already answer.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql postgresql-client
fi
if ! pg_up; then
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi
# A fresh Debian cluster wants a password over TCP; give the test user a known one and the
# database the tests use. Harmless where trust auth is already configured.
$SUDO -u postgres psql -q -h /var/run/postgresql -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null 2>&1 || true
$SUDO -u postgres psql -q -h /var/run/postgresql -tc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
  || $SUDO -u postgres createdb -h /var/run/postgresql test 2>/dev/null || true

if ! command -v redis-server >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server
fi
if ! redis_up; then
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || { echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "services: PostgreSQL and Redis are up"
