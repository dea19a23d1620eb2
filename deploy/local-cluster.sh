#!/usr/bin/env bash
# A local multi-process NasActors cluster on loopback: one controller+trainer node and N evaluator nodes, on SQLite
# (the controller's journal) or PostgreSQL (a throw-away server in the cluster folder, or an external one given by
# NAS_POSTGRES_CONNECTION / NAS_POSTGRES_PASSWORD). See deploy/README.md.
#
#   deploy/local-cluster.sh start [-n N] [--persistence sqlite|postgres] [--backend torch|stub] [--base-port P] [--folder DIR]
#   deploy/local-cluster.sh restart NAME [--folder DIR]   (one node, e.g. after it crashed: controller, evaluator-1, ...)
#   deploy/local-cluster.sh status [--folder DIR]
#   deploy/local-cluster.sh stop [--folder DIR]
#   deploy/local-cluster.sh clean [--folder DIR]      (stop, then delete the folder: journals, logs, database)
#
# Node i listens on base-port + i (remoting) and base-port + 100 + i (its pbm command host: pbm 127.0.0.1:<port>).
# Every node lists every node as a seed node (the controller first): a node that restarts joins the cluster the
# others still form, whichever it is; only the first seed (the controller) may start a cluster of its own, and only
# when no other node answers it (`start` on an empty folder, or every node restarted).
# Nodes run from NAS_DLL (default: src/NasActors.Node/bin/Release/net10.0/nas.dll, built when missing). Each node
# has its folder DIR/<name> with node.log and node.pid; `stop` sends SIGTERM (graceful leave: evaluators hand their
# jobs back), waits, and stops the PostgreSQL server it started.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

# The comment at the top of this file, without its #.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
command=${1:-}
[ -n "$command" ] && shift || true
case "$command" in
  start|restart|status|stop|clean) ;;
  -h|--help|help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
name=""
if [ "$command" = restart ]; then name=${1:-}; [ -n "$name" ] && shift || { echo "local-cluster.sh: restart needs a node name" >&2; exit 2; }; fi
evaluators=2
persistence=sqlite
backend=torch
base_port=4053
folder="$repo/runs/local-cluster"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) evaluators=$2; shift 2 ;;
    --persistence) persistence=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
    --folder) folder=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "local-cluster.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$persistence" in sqlite|postgres) ;; *) echo "local-cluster.sh: --persistence must be sqlite or postgres, got '$persistence'" >&2; exit 2 ;; esac
case "$backend" in torch|stub) ;; *) echo "local-cluster.sh: --backend must be torch or stub, got '$backend'" >&2; exit 2 ;; esac
[[ "$evaluators" =~ ^[0-9]+$ ]] || { echo "local-cluster.sh: -n must be a number, got '$evaluators'" >&2; exit 2; }
[[ "$base_port" =~ ^[0-9]+$ ]] || { echo "local-cluster.sh: --base-port must be a number, got '$base_port'" >&2; exit 2; }
folder="$(mkdir -p "$folder" && cd "$folder" && pwd)"
# `restart` runs a node as `start` did: the settings of the last start.
if [ "$command" = restart ]; then
  [ -f "$folder/cluster.settings" ] || { echo "local-cluster.sh: no cluster was started in $folder" >&2; exit 2; }
  . "$folder/cluster.settings"
fi
# PostgreSQL's folder; as root it must be reachable by the postgres user, else it goes to a temp folder (recorded).
pg=$(cat "$folder/postgres.path" 2>/dev/null || echo "$folder/postgres")

nas_dll=${NAS_DLL:-"$repo/src/NasActors.Node/bin/Release/net10.0/nas.dll"}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local bin port=$((base_port + 1000))
  bin=$(pg_bin)
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2; exit 1; }
  if [ ! -d "$pg/data" ]; then
    mkdir -p "$pg"
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$pg" 2>/dev/null; then
      rmdir "$pg"
      pg=$(mktemp -d /tmp/nas-local-cluster-pg-XXXXXX)
    fi
    echo "$pg" > "$folder/postgres.path"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$pg/password"
    chmod 600 "$pg/password"
    [ "$(id -u)" = 0 ] && chown -R postgres "$pg"
    as_postgres "$bin/initdb" -D "$pg/data" -U nas --auth=scram-sha-256 --pwfile="$pg/password" -E UTF8 >/dev/null
    fresh=1
  fi
  as_postgres "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -o "-p $port -k $pg -c listen_addresses=127.0.0.1" start >/dev/null
  echo "$port" > "$pg/port"
  if [ "${fresh:-0}" = 1 ]; then
    PGPASSWORD=$(cat "$pg/password") "$bin/psql" -h 127.0.0.1 -p "$port" -U nas -d postgres -qc "CREATE DATABASE nas" >/dev/null
  fi
  postgres_environment
  echo "PostgreSQL on 127.0.0.1:$port (data in $pg/data)"
}

postgres_environment() {
  export NAS_POSTGRES_CONNECTION="Host=127.0.0.1;Port=$(cat "$pg/port");Database=nas;Username=nas"
  export NAS_POSTGRES_PASSWORD=$(cat "$pg/password")
}

seed_nodes() {
  local seeds="akka.tcp://nas@127.0.0.1:$base_port"
  for i in $(seq 1 "$evaluators"); do seeds="$seeds,akka.tcp://nas@127.0.0.1:$((base_port + i))"; done
  echo "$seeds"
}

start_node() { # name port roles(comma) evaluators
  local name=$1 port=$2 roles=$3 count=$4 dir="$folder/$1"
  mkdir -p "$dir"
  if [ -f "$dir/node.pid" ] && kill -0 "$(cat "$dir/node.pid")" 2>/dev/null; then
    echo "$name is running already (pid $(cat "$dir/node.pid"))" >&2; exit 1
  fi
  local configs=()
  [ "$persistence" = postgres ] && configs=(--config persistence-postgres.conf)
  # The background subshell execs into the node: the pid file names the node itself, and nothing keeps this
  # script's output open.
  (cd "$dir" && NAS_ROLES=$roles NAS_SEED_NODES="$(seed_nodes)" \
     exec nohup dotnet "$nas_dll" node --port "$port" "${configs[@]}" --set "nas.backend = $backend" --set "nas.evaluators = $count" \
       --set "nas.pbm.port = $((port + 100))" \
     > node.log 2>&1 < /dev/null) &
  echo $! > "$dir/node.pid"
}

wait_up() { # name
  local dir="$folder/$1" deadline=$((SECONDS + 180))
  until grep -q "nas node up" "$dir/node.log" 2>/dev/null; do
    if ! kill -0 "$(cat "$dir/node.pid")" 2>/dev/null; then echo "$1 exited:" >&2; tail -20 "$dir/node.log" >&2; return 1; fi
    [ $SECONDS -lt $deadline ] || { echo "$1 not up after 180 s" >&2; return 1; }
    sleep 0.2
  done
  echo "$1: $(grep -m1 "nas node up" "$dir/node.log")"
}

stop_node() { # name
  local dir="$folder/$1" pid deadline
  [ -f "$dir/node.pid" ] || return 0
  pid=$(cat "$dir/node.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "$1 did not stop in 60 s: killed" >&2; kill -9 "$pid" || true; fi
    echo "$1 stopped"
  fi
  rm -f "$dir/node.pid"
}

case "$command" in
  start)
    if [ ! -f "$nas_dll" ]; then
      echo "building the node (Release)..."
      dotnet build -c Release "$repo/src/NasActors.Node" >/dev/null
    fi
    [ "$persistence" = postgres ] && [ -z "${NAS_POSTGRES_CONNECTION:-}" ] && start_postgres
    echo "$evaluators" > "$folder/evaluator-nodes"
    printf 'evaluators=%s\npersistence=%s\nbackend=%s\nbase_port=%s\nexternal_postgres=%s\n' \
      "$evaluators" "$persistence" "$backend" "$base_port" "${NAS_POSTGRES_CONNECTION:+1}" > "$folder/cluster.settings"
    trap 'echo "start failed: stopping what started" >&2; "$0" stop --folder "$folder"' ERR
    start_node controller "$base_port" controller,trainer 0
    wait_up controller
    for i in $(seq 1 "$evaluators"); do start_node "evaluator-$i" $((base_port + i)) evaluator 1; done
    for i in $(seq 1 "$evaluators"); do wait_up "evaluator-$i"; done
    trap - ERR
    echo "cluster up: submit with  dotnet $nas_dll submit hocon/specs/nb201-stub.conf --node 127.0.0.1:$base_port"
    ;;
  restart)
    case "$name" in
      controller) port=$base_port; roles=controller,trainer; count=0 ;;
      evaluator-*) i=${name#evaluator-}
        [[ "$i" =~ ^[0-9]+$ ]] && [ "$i" -ge 1 ] && [ "$i" -le "$evaluators" ] || { echo "local-cluster.sh: no node '$name' (evaluator-1..$evaluators)" >&2; exit 2; }
        port=$((base_port + i)); roles=evaluator; count=1 ;;
      *) echo "local-cluster.sh: no node '$name' (controller, evaluator-1..$evaluators)" >&2; exit 2 ;;
    esac
    if [ "$persistence" = postgres ] && [ -z "${external_postgres:-}" ]; then
      [ -f "$pg/port" ] || { echo "local-cluster.sh: the cluster's PostgreSQL is not running (start the cluster again)" >&2; exit 1; }
      postgres_environment
    elif [ "$persistence" = postgres ] && [ -z "${NAS_POSTGRES_CONNECTION:-}" ]; then
      echo "local-cluster.sh: the cluster was started with NAS_POSTGRES_CONNECTION: set it again" >&2; exit 2
    fi
    stop_node "$name"
    [ -f "$folder/$name/node.log" ] && mv "$folder/$name/node.log" "$folder/$name/node.log.previous"
    start_node "$name" "$port" "$roles" "$count"
    wait_up "$name"
    ;;
  status)
    for dir in "$folder"/*/; do
      [ -f "$dir/node.pid" ] || continue
      name=$(basename "$dir"); pid=$(cat "$dir/node.pid")
      if kill -0 "$pid" 2>/dev/null; then echo "$name: running (pid $pid)"; else echo "$name: not running"; fi
    done
    ;;
  stop)
    # Evaluators first (they hand their jobs back), then the controller, then the database.
    for dir in "$folder"/evaluator-*/; do [ -d "$dir" ] && stop_node "$(basename "$dir")"; done
    stop_node controller
    if [ -f "$pg/port" ] && [ -d "$pg/data" ]; then
      as_postgres "$(pg_bin)/pg_ctl" -D "$pg/data" -w -m fast stop >/dev/null 2>&1 || true
      rm -f "$pg/port"
      echo "PostgreSQL stopped"
    fi
    ;;
  clean)
    "$0" stop --folder "$folder"
    rm -rf "$pg" "$folder"
    echo "removed $folder"
    ;;
esac
