# shellcheck shell=bash
# Shell functions shared by the benchmark scripts that run InfluxDB 1.6.7 (Debian 12's package) by
# hand beside edgetsdb: bench/influxdb_size.sh and bench/iot_side_by_side.sh. Source it from bash
# after `set -euo pipefail`; the sourcing script defines die() (message to stderr, exit 1).
#
# influxd runs from a directory of its own with a generated config: meta, data and WAL under that
# directory, HTTP and RPC on free loopback ports, the _internal monitor database and every
# background service but the write path's off, and the cache snapshotted and shards fully compacted
# after 1 s without writes (so that a benchmark can wait for a compacted database). It is stopped
# by its PID, never by name.

influxdb_pid=
influxdb_url=

# Installs influxdb and influxdb-client when influxd or influx is missing. A benchmark-only peer:
# it is not among the project's packages.
influxdb_ensure_installed() {
  if ! command -v influxd >/dev/null || ! command -v influx >/dev/null; then
    local sudo
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      influxdb influxdb-client >/dev/null
  fi
}

# A loopback port nothing listens on (a race with other programs is possible but harmless here:
# the server would fail to start and say so).
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free port found"
}

bytes_of() {  # Apparent bytes of the files matching find's arguments under $1.
  local dir=$1; shift
  find "$dir" -type f "$@" -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'
}

# wait_for_ping URL PID LOG: until GET URL/ping answers 204 (20 s at most); dies with the end of
# LOG if the process PID exits first.
wait_for_ping() {
  local url=$1 pid=$2 log=$3
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/ping")" = 204 ] && return 0
    kill -0 "$pid" 2>/dev/null || die "the server exited; the end of its log:
$(tail -n 20 "$log")"
    sleep 0.2
  done
  die "$url/ping did not answer 204 within 20 s"
}

# influxdb_start DIR INDEX_VERSION: writes DIR/influxdb.conf, starts influxd on it (log in
# DIR/influxd.log) and waits until it answers. Sets influxdb_pid and influxdb_url. INDEX_VERSION
# is tsi1 (on-disk index) or inmem (InfluxDB 1.6's default). wal-fsync-delay keeps its default of
# 0s: the WAL is fsynced on every write before the write is acknowledged.
influxdb_start() {
  local dir=$1 index_version=$2
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  local http_port rpc_port
  http_port=$(free_port)
  rpc_port=$(free_port)
  cat >"$dir/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  wal-fsync-delay = "0s"
  index-version = "$index_version"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "1s"
  compact-full-write-cold-duration = "1s"
  max-series-per-database = 0
  max-values-per-tag = 0
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$http_port"
  log-enabled = false
  pprof-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
[retention]
  enabled = false
EOF
  influxd -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
  influxdb_pid=$!
  influxdb_url=http://127.0.0.1:$http_port
  wait_for_ping "$influxdb_url" "$influxdb_pid" "$dir/influxd.log"
}

# Stops the influxd that influxdb_start started, if any (safe to call twice, e.g. from a trap).
influxdb_stop() {
  if [ -n "$influxdb_pid" ]; then
    kill "$influxdb_pid" 2>/dev/null || true
    wait "$influxdb_pid" 2>/dev/null || true
    influxdb_pid=
  fi
}

# influxdb_wait_compacted DATABASE_DATA_DIR WAL_DIR: returns once InfluxDB has nothing left to
# compact: the cache is on disk (WAL empty), nothing is being written (*.tmp), and the TSM files
# have not changed for STABLE_POLLS polls (default 3) POLL_SECONDS apart (default 5). Dies after
# COMPACTION_TIMEOUT_S seconds (default 900). Prints the seconds it waited.
influxdb_wait_compacted() {
  local data=$1 wal=$2
  local poll_seconds=${POLL_SECONDS:-5} stable_polls=${STABLE_POLLS:-3}
  local timeout_s=${COMPACTION_TIMEOUT_S:-900}
  local previous='' current stable=0 waited=0
  while :; do
    sleep "$poll_seconds"
    waited=$((waited + poll_seconds))
    current="$(bytes_of "$wal") $(find "$data" -name '*.tmp' | wc -l) \
$(find "$data" -name '*.tsm' -printf '%f:%s ' | sort)"
    if [ "$current" = "$previous" ] && [ "${current%% *}" = 0 ] &&
       [ "$(find "$data" -name '*.tmp' | wc -l)" = 0 ]; then
      stable=$((stable + 1))
      [ "$stable" -ge "$stable_polls" ] && break
    else
      stable=0
    fi
    previous=$current
    [ "$waited" -lt "$timeout_s" ] || die "InfluxDB's compaction did not settle in ${timeout_s} s"
  done
  echo "$waited"
}
