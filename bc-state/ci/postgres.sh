#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 for bc-state's tests and prints the
# line to export (`eval "$(bc-state/ci/postgres.sh)"`). Installs PostgreSQL from the
# distribution's packages when it is missing (Debian/Ubuntu, needs root). Stop the cluster
# with `pg_ctl -D "$BCSYNC_TEST_PGDATA" stop` (also printed).
set -euo pipefail
PORT="${BCSYNC_PG_PORT:-54329}"
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PGDATA="$(mktemp -d /tmp/bcsync-pg.XXXXXX)"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$PGDATA"
  AS=(runuser -u postgres --)
else
  AS=()
fi
"${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
  -o "-k /tmp -h 127.0.0.1 -p $PORT -c max_connections=200" start >&2
"$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE bcsync LOGIN PASSWORD 'bcsync'" \
  -c "CREATE DATABASE bcsync_test OWNER bcsync" >&2
echo "export BCSYNC_TEST_POSTGRES_URL=postgres://bcsync:bcsync@127.0.0.1:$PORT/bcsync_test"
echo "export BCSYNC_TEST_PGDATA=$PGDATA"
echo "export BCSYNC_TEST_PG_CTL=\"${AS[*]} $PGBIN/pg_ctl\""
