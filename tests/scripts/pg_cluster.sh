# SPDX-License-Identifier: MIT
# pg_cluster.sh - sourced by the PostgreSQL tests: a throwaway PostgreSQL 15
# cluster from Debian's binaries, in a fresh temporary directory, run by an
# unprivileged account (the caller, or Debian's `postgres` user when the
# tests run as root, as CI does), listening on a Unix socket in that
# directory and on a free 127.0.0.1 port. Stopped and removed on exit.
#
#   . "$FZ_SRC/tests/scripts/pg_cluster.sh"
#   fz_pg_start            # sets FZ_TEST_PG_URI, FZ_PG_PORT, FZ_PG_DIR, FZ_PG_PASSWORD
#   fz_pg_restart          # stops and starts the server (a fault test)
#   fz_pg_down; fz_pg_server_start   # the same with a pause between
#
# FZ_TEST_PG_URI reaches the cluster over the socket (trust); the role
# `flowzap` also has the password $FZ_PG_PASSWORD for 127.0.0.1 (scram).
#
# The test_pg_*.sh scripts source pg_test.sh, which sources this file and
# adds their shared set-up, clean-up and failure report.

FZ_PG_BIN=${FZ_PG_BIN:-/usr/lib/postgresql/15/bin}

fz_pg_as() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$FZ_PG_USER" -- "$@"
  else
    "$@"
  fi
}

fz_pg_stop() {
  if [ -n "${FZ_PG_DIR:-}" ] && [ -d "$FZ_PG_DIR/data" ]; then
    fz_pg_as "$FZ_PG_BIN/pg_ctl" -D "$FZ_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "${FZ_PG_DIR:-}" ]; then
    rm -rf "$FZ_PG_DIR"
  fi
}

fz_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

fz_pg_server_start() {
  fz_pg_as "$FZ_PG_BIN/pg_ctl" -D "$FZ_PG_DIR/data" -l "$FZ_PG_DIR/log" -w -t 60 \
    -o "-k $FZ_PG_DIR/sock -p $FZ_PG_PORT -c listen_addresses=127.0.0.1" start >/dev/null
}

fz_pg_start() {
  if [ ! -x "$FZ_PG_BIN/initdb" ]; then
    echo "pg_cluster: $FZ_PG_BIN/initdb not found (scripts/install-deps.sh installs postgresql-15)" >&2
    return 1
  fi
  FZ_PG_USER=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    FZ_PG_USER=postgres
    id postgres >/dev/null 2>&1 || { echo "pg_cluster: no 'postgres' account to run the server as" >&2; return 1; }
  fi
  FZ_PG_DIR=$(mktemp -d /tmp/fz-pg-XXXXXX)
  trap fz_pg_stop EXIT
  mkdir -p "$FZ_PG_DIR/sock"
  FZ_PG_PASSWORD="pw-$RANDOM-$RANDOM"
  printf '%s\n' "$FZ_PG_PASSWORD" >"$FZ_PG_DIR/pwfile"
  [ "$(id -u)" -eq 0 ] && chown -R "$FZ_PG_USER" "$FZ_PG_DIR"
  chmod 700 "$FZ_PG_DIR"
  fz_pg_as "$FZ_PG_BIN/initdb" -D "$FZ_PG_DIR/data" -U flowzap -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$FZ_PG_DIR/pwfile" --no-sync \
    >"$FZ_PG_DIR/initdb.log" 2>&1 || { cat "$FZ_PG_DIR/initdb.log" >&2; return 1; }
  # The socket directory is the tests' to reach: open it to them.
  chmod 755 "$FZ_PG_DIR"
  chmod 777 "$FZ_PG_DIR/sock"
  rm -f "$FZ_PG_DIR/pwfile"
  local try
  for try in 1 2 3 4 5; do
    FZ_PG_PORT=$(fz_pg_free_port)
    fz_pg_server_start && break
    if [ "$try" = 5 ]; then
      cat "$FZ_PG_DIR/log" >&2
      return 1
    fi
  done
  fz_pg_as "$FZ_PG_BIN/createdb" -h "$FZ_PG_DIR/sock" -p "$FZ_PG_PORT" -U flowzap flowzap
  export FZ_PG_DIR FZ_PG_PORT FZ_PG_PASSWORD
  export FZ_TEST_PG_URI="postgresql:///flowzap?host=$FZ_PG_DIR/sock&port=$FZ_PG_PORT&user=flowzap"
}

# psql on the cluster's database, as the tests' role.
fz_psql() {
  psql "$FZ_TEST_PG_URI" -v ON_ERROR_STOP=1 -qAtX "$@"
}

fz_pg_restart() {
  fz_pg_down
  fz_pg_server_start
}

# The server stopped (fz_pg_server_start brings it back).
fz_pg_down() {
  fz_pg_as "$FZ_PG_BIN/pg_ctl" -D "$FZ_PG_DIR/data" -m fast -w stop >/dev/null
}
