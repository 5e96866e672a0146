#!/usr/bin/env bash
# The HTTP macro benchmark: edgetsdb's server and InfluxDB 1.6.7 side by side on the same IoT
# workload (bench/iot_workload.h), loaded by the same client (build/bench/iot_bench) on the same
# connections, both acknowledging a write only after fsync. Prints points/s ingested, peak
# resident memory during the ingest, bytes per point on disk and the four queries' latencies, then
# the ratios against the issue's targets. Builds nothing: run `make build` (or build the edgetsdb
# and iot_bench targets) first, and run it on a quiet machine, under the build lock:
#
#   flock /tmp/edgetsdb-build.lock bench/iot_side_by_side.sh [iot_bench options...]
#
# Environment (defaults in brackets):
#   DEVICES [1000], DURATION [24h: Nh, Nm or Ns], CONNECTIONS [4], QUERY_RUNS [20],
#   SEED [1]: the workload and the load; extra arguments go to every iot_bench run
#   (e.g. --late-fraction 0.05). The data ends at the last whole hour before now.
#   ENGINES ["edgetsdb influxdb"]: which servers to run, in this order. InfluxDB is skipped when
#   influxd is not installed, unless INSTALL_INFLUXDB=1 (apt-get install influxdb).
#   EDGETSDB [build/edgetsdb], IOT_BENCH [build/bench/iot_bench].
#   EDGETSDB_SERVE_ARGS []: more flags for `edgetsdb serve`.
#   INDEX_VERSION [tsi1]: InfluxDB's index (inmem is InfluxDB 1.6's default; tsi1 uses less memory).
#   EDGETSDB_BENCH_DIR [$TMPDIR or /tmp]: where the data directories go; not tmpfs, where fsync
#   costs nothing (ALLOW_TMPFS=1 overrides). KEEP=1 keeps them and the logs.
#
# Each server is started on a free loopback port with an empty data directory, stopped by its PID:
#   1. iot_bench --phases load: CREATE DATABASE, then every body to /write (each must be 204).
#   2. Peak resident memory during the ingest: VmHWM of the server's process, read right after.
#   3. Compaction: edgetsdb gets POST /admin/compact (timed), then the script waits until its data
#      directory stops changing; InfluxDB has no such call, so the script waits until its own
#      compactions settle (WAL empty, TSM files unchanged for three 5 s polls; its config asks for a
#      cache snapshot and a full compaction after 1 s without writes).
#   4. Bytes on disk: every file the server keeps, as allocated (du): edgetsdb's data directory;
#      InfluxDB's data and WAL directories (TSM files, TSI index, series file; meta is not counted).
#      Bytes per point divide by the points loaded (a point is one field value).
#   5. iot_bench --phases query: each query --query-warmup times, then QUERY_RUNS timed runs on
#      one keep-alive connection; medians and p90. Every answer is checked (series and rows), and
#      the summary warns when the two servers' answers hold different numbers.
# edgetsdb runs with --durability sync (its default: the log is fsynced before a write is
# acknowledged) and --log-level warn; InfluxDB with wal-fsync-delay = "0s" (its default: the WAL
# is fsynced on every write) and HTTP request logging off.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
edgetsdb=${EDGETSDB:-$repo/build/edgetsdb}
iot_bench=${IOT_BENCH:-$repo/build/bench/iot_bench}
devices=${DEVICES:-1000}
duration=${DURATION:-24h}
connections=${CONNECTIONS:-4}
query_runs=${QUERY_RUNS:-20}
seed=${SEED:-1}
engines=${ENGINES:-edgetsdb influxdb}
index_version=${INDEX_VERSION:-tsi1}
database=iot_bench

die() { echo "iot_side_by_side: $*" >&2; exit 1; }
# free_port, bytes_of, wait_for_ping, influxdb_start/stop/wait_compacted.
# shellcheck source=bench/influxdb_lib.sh
source "$here/influxdb_lib.sh"

command -v curl >/dev/null || die "curl is needed"
[ -x "$iot_bench" ] || die "$iot_bench not built (cmake --build build --target iot_bench)"

case $duration in
  *h) duration_s=$((${duration%h} * 3600)) ;;
  *m) duration_s=$((${duration%m} * 60)) ;;
  *s) duration_s=${duration%s} ;;
  *) die "DURATION must be Nh, Nm or Ns, got '$duration'" ;;
esac
# One start for every run, so that both servers get the same bytes and the queries their windows.
start_s=$(( $(date +%s) / 3600 * 3600 - duration_s ))
start=$(date -u -d "@$start_s" +%Y-%m-%dT%H:%M:%SZ)
workload_args=(--devices "$devices" --duration "$duration" --start "$start" --seed "$seed"
               --db "$database" "$@")

work=$(mktemp -d "${EDGETSDB_BENCH_DIR:-${TMPDIR:-/tmp}}/edgetsdb-iot-XXXXXX")
fs_type=$(stat -f -c %T "$work")
if [ "$fs_type" = tmpfs ] || [ "$fs_type" = ramfs ]; then
  [ "${ALLOW_TMPFS:-0}" = 1 ] || { rm -rf "$work"; die "$work is on $fs_type, where fsync is free"; }
fi
edgetsdb_pid=
cleanup() {
  if [ -n "$edgetsdb_pid" ]; then
    kill "$edgetsdb_pid" 2>/dev/null || true
    wait "$edgetsdb_pid" 2>/dev/null || true
  fi
  influxdb_stop
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

proc_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }  # PID KEY (VmHWM, VmRSS)
csv_get() { awk -F, -v k="$2" '$1 == k {print $2}' "$1"; }               # FILE KEY

# Polls `du` of a directory every second until two polls in a row agree.
wait_dir_settled() {
  local previous='' current
  for _ in $(seq 600); do
    current=$(du -s -B1 "$1" | cut -f1)
    [ "$current" = "$previous" ] && return 0
    previous=$current
    sleep 1
  done
  die "$1 kept changing for 10 minutes"
}

# Writes $work/NAME.result: key=value lines the summary reads.
record() {
  local name=$1 url=$2 pid=$3 data_bytes=$4 compact_s=$5
  local load_csv=$work/$name-load.csv query_csv=$work/$name-query.csv
  {
    echo "points=$(csv_get "$load_csv" points)"
    echo "points_per_s=$(csv_get "$load_csv" load_points_per_s)"
    echo "load_s=$(csv_get "$load_csv" load_seconds)"
    echo "peak_rss_kib=$peak_rss_kib"
    echo "final_rss_kib=$(proc_kib "$pid" VmRSS)"
    echo "disk_bytes=$data_bytes"
    echo "compact_s=$compact_s"
    local q
    for q in lastpoint device_day_1m site_hour_max raw_hour; do
      echo "${q}_median_ms=$(csv_get "$query_csv" "query_${q}_median_ms")"
      echo "${q}_p90_ms=$(csv_get "$query_csv" "query_${q}_p90_ms")"
      echo "${q}_rows=$(csv_get "$query_csv" "query_${q}_rows")"
      echo "${q}_value_sum=$(csv_get "$query_csv" "query_${q}_value_sum")"
    done
  } >"$work/$name.result"
}

bench() {  # NAME URL PHASES: one iot_bench run, its figures in $work/NAME-PHASE.csv.
  local name=$1 url=$2 phases=$3 csv_name=$4
  echo "--- $name: iot_bench --phases $phases"
  "$iot_bench" --target "${url#http://}" --phases "$phases" --connections "$connections" \
    --query-runs "$query_runs" --csv "$work/$name-$csv_name.csv" "${workload_args[@]}"
}

run_edgetsdb() {
  [ -x "$edgetsdb" ] || die "$edgetsdb not built (cmake --build build --target edgetsdb)"
  local dir=$work/edgetsdb port url
  mkdir -p "$dir"
  port=$(free_port)
  url=http://127.0.0.1:$port
  # shellcheck disable=SC2086  # EDGETSDB_SERVE_ARGS is a list of flags.
  "$edgetsdb" serve --data-dir "$dir/data" --http-addr "127.0.0.1:$port" --durability sync \
    --log-level warn ${EDGETSDB_SERVE_ARGS:-} >"$dir/server.log" 2>&1 &
  edgetsdb_pid=$!
  wait_for_ping "$url" "$edgetsdb_pid" "$dir/server.log"
  bench edgetsdb "$url" load load
  peak_rss_kib=$(proc_kib "$edgetsdb_pid" VmHWM)
  local t0 t1
  t0=$(date +%s.%N)
  bench edgetsdb "$url" compact compact
  wait_dir_settled "$dir/data"
  t1=$(date +%s.%N)
  local disk
  disk=$(du -s -B1 "$dir/data" | cut -f1)
  bench edgetsdb "$url" query query
  record edgetsdb "$url" "$edgetsdb_pid" "$disk" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')"
  kill "$edgetsdb_pid"
  wait "$edgetsdb_pid" 2>/dev/null || true
  edgetsdb_pid=
}

run_influxdb() {
  if ! command -v influxd >/dev/null; then
    if [ "${INSTALL_INFLUXDB:-0}" = 1 ]; then
      influxdb_ensure_installed
    else
      echo "--- influxdb: influxd is not installed; skipped (INSTALL_INFLUXDB=1 installs it)"
      return 0
    fi
  fi
  local dir=$work/influxdb
  influxdb_start "$dir" "$index_version"
  bench influxdb "$influxdb_url" load load
  peak_rss_kib=$(proc_kib "$influxdb_pid" VmHWM)
  echo "--- influxdb: waiting for its compactions to settle"
  local waited
  waited=$(influxdb_wait_compacted "$dir/data/$database" "$dir/wal")
  local disk
  disk=$(du -s -B1 "$dir/data" "$dir/wal" | awk '{s += $1} END {print s}')
  bench influxdb "$influxdb_url" query query
  record influxdb "$influxdb_url" "$influxdb_pid" "$disk" "$waited"
  influxdb_stop
}

echo "iot_side_by_side: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); \
$devices devices x $duration from $start; $connections connections; data in $work ($fs_type)"
for engine in $engines; do
  case $engine in
    edgetsdb) run_edgetsdb ;;
    influxdb) run_influxdb ;;
    *) die "unknown engine '$engine' (edgetsdb, influxdb)" ;;
  esac
done

# The summary: one column per server that ran, then edgetsdb against InfluxDB and the target.
results=()
for engine in $engines; do [ -f "$work/$engine.result" ] && results+=("$engine"); done
[ ${#results[@]} -gt 0 ] || die "no server ran"
awk -F= -v names="${results[*]}" -v dir="$work" '
function value(engine, key) { return v[engine, key] + 0 }
function row(label, key, scale, format,   i, line) {
  line = sprintf("%-36s", label)
  for (i = 1; i <= n; ++i) line = line sprintf(" %14s", sprintf(format, value(e[i], key) * scale))
  return line
}
BEGIN {
  n = split(names, e, " ")
  for (i = 1; i <= n; ++i) {
    file = dir "/" e[i] ".result"
    while ((getline line < file) > 0) {
      split(line, kv, "=")
      v[e[i], kv[1]] = kv[2]
    }
  }
  header = sprintf("%-36s", "")
  for (i = 1; i <= n; ++i) header = header sprintf(" %14s", e[i] == "influxdb" ? "InfluxDB 1.6.7" : e[i])
  print ""
  print header
  print row("ingest, M points/s", "points_per_s", 1e-6, "%.3f")
  print row("peak RSS during ingest, MiB", "peak_rss_kib", 1 / 1024, "%.1f")
  print row("RSS after the queries, MiB", "final_rss_kib", 1 / 1024, "%.1f")
  for (i = 1; i <= n; ++i) v[e[i], "bytes_per_point"] = value(e[i], "disk_bytes") / value(e[i], "points")
  print row("disk after compaction, bytes/point", "bytes_per_point", 1, "%.3f")
  print row("disk after compaction, MB", "disk_bytes", 1e-6, "%.1f")
  print row("compaction (or its wait), s", "compact_s", 1, "%.1f")
  split("lastpoint device_day_1m site_hour_max raw_hour", q, " ")
  for (j = 1; j <= 4; ++j) {
    print row(q[j] ", median ms", q[j] "_median_ms", 1, "%.2f")
    print row(q[j] ", p90 ms", q[j] "_p90_ms", 1, "%.2f")
  }
  if (!(("edgetsdb", "points") in v) || !(("influxdb", "points") in v)) exit
  print ""
  printf "%-36s %14s %14s %6s\n", "edgetsdb against InfluxDB", "measured", "target", ""
  target("ingest points/s, x InfluxDB", value("edgetsdb", "points_per_s") / value("influxdb", "points_per_s"), ">=", 2)
  for (j = 1; j <= 4; ++j) {
    if (value("edgetsdb", q[j] "_rows") != value("influxdb", q[j] "_rows")) {
      printf "warning: %s returned %d rows from edgetsdb, %d from InfluxDB\n", q[j],
             value("edgetsdb", q[j] "_rows"), value("influxdb", q[j] "_rows")
    }
    # The sum of every number in the answers (15 digits): the same data must
    # give the same values.
    a = value("edgetsdb", q[j] "_value_sum"); b = value("influxdb", q[j] "_value_sum")
    if ((a - b) * (a - b) > 1e-18 * (a * a + b * b)) {
      printf "warning: %s answers differ: their numbers add up to %s from edgetsdb, %s from InfluxDB\n",
             q[j], v["edgetsdb", q[j] "_value_sum"], v["influxdb", q[j] "_value_sum"]
    }
    target(q[j] " median, x faster", value("influxdb", q[j] "_median_ms") / value("edgetsdb", q[j] "_median_ms"), ">=", 5)
  }
  target("disk bytes/point, share", value("edgetsdb", "bytes_per_point") / value("influxdb", "bytes_per_point"), "<=", 0.25)
  target("peak RSS during ingest, share", value("edgetsdb", "peak_rss_kib") / value("influxdb", "peak_rss_kib"), "<=", 0.25)
}
function target(label, ratio, op, goal) {
  met = op == ">=" ? ratio >= goal : ratio <= goal
  printf "%-36s %14.3f %11s %.2f %6s\n", label, ratio, op, goal, met ? "met" : "NOT met"
}'
