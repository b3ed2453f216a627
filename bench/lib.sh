# shellcheck shell=bash disable=SC2034,SC2016
# Shared helpers for the benchmark scripts in bench/ (sourced, not run).
#
# Environment (each also has a command-line option, see bench_usage):
#   MKIMG        the mkimg binary (default: `mkimg` from $PATH)
#   BENCH_RUNS   timed runs per tool (default 5)
#   BENCH_COLD   1 = drop the page cache before every run (default 0: warm cache)
#   BENCH_SYNC   1 = each timed run ends with sync(1), i.e. includes writing to disk
#   BENCH_WS_TMPFS 1 = mkimg's workspace (--workspace-dir) on a tmpfs
#   BENCH_CACHE  where the input tree is cached (default /var/cache/mkimg-bench)
#   BENCH_SUITE  Debian suite of the input tree (default bookworm)
#   BENCH_TREE   use this tree instead of the cached Debian root
#   BENCH_TMP    where scratch images go (default /var/tmp)
#
# A script sources this file, calls bench_parse_args "$@", bench_setup, defines
# bench_reset (undo what one run left, called before every run and at exit), then calls
# bench_measure for each tool (or bench_add for each and bench_run_rounds, which
# interleaves them) and bench_report at the end.

MKIMG=${MKIMG:-mkimg}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_COLD=${BENCH_COLD:-0}
BENCH_SYNC=${BENCH_SYNC:-0}
BENCH_WS_TMPFS=${BENCH_WS_TMPFS:-0}
BENCH_CACHE=${BENCH_CACHE:-/var/cache/mkimg-bench}
BENCH_SUITE=${BENCH_SUITE:-bookworm}
BENCH_TMP=${BENCH_TMP:-/var/tmp}
BENCH_NO_MKIMG=0
BENCH_CHECK=0
BENCH_ZSTD=0

_bench_cleanups=()
_bench_names=()
_bench_times=()
_bench_q_names=()
_bench_q_checks=()
_bench_q_cmds=()
_bench_failed_targets=0

bench_root_path()
{
	echo "$BENCH_CACHE/debian-$BENCH_SUITE-minbase"
}

bench_die()
{
	local code=$1
	shift
	echo "${0##*/}: $*" >&2
	exit "$code"
}

need_root()
{
	[ "$(id -u)" = 0 ] || bench_die 3 "must run as root"
}

# bench_need_cmd CMD PACKAGE: install PACKAGE with apt-get when CMD is missing.
bench_need_cmd()
{
	local cmd=$1 pkg=$2
	PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 && return 0
	echo "installing $pkg (for $cmd)" >&2
	if [ -z "${_bench_apt_updated:-}" ]; then
		apt-get update -qq >&2 || true
		_bench_apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2 ||
		bench_die 3 "cannot install '$pkg' (needed for '$cmd')"
}

bench_usage()
{
	cat <<EOF
usage: ${0##*/} [--runs N] [--cold] [--sync] [--ws-tmpfs] [--check] [--no-mkimg]${1:+ $1}

  --runs N     timed runs per tool (default $BENCH_RUNS); the median is reported
  --cold       drop the page cache before every run (default: warm cache)
  --sync       time a sync(1) at the end of every run (default: output may stay in
               the page cache, as it does for the user)
  --ws-tmpfs   put mkimg's workspace (the BaseTrees copy) on a tmpfs instead of
               the scratch directory's filesystem
  --check      exit 1 when a target is missed (default: report only)
  --no-mkimg   time only the rival tools (mkimg not built yet)
${2:+$2
}
The mkimg binary is \$MKIMG (default: mkimg from \$PATH).
EOF
}

# bench_parse_args [--zstd-ok] -- ARGS...: parse the common options.
bench_parse_args()
{
	local zstd_ok=0
	if [ "${1:-}" = --zstd-ok ]; then
		zstd_ok=1
		shift
	fi
	[ "${1:-}" = -- ] && shift
	while [ $# -gt 0 ]; do
		case $1 in
		--runs)
			[ $# -ge 2 ] || bench_die 2 "--runs needs a number"
			BENCH_RUNS=$2
			shift
			;;
		--runs=*) BENCH_RUNS=${1#--runs=} ;;
		--cold) BENCH_COLD=1 ;;
		--sync) BENCH_SYNC=1 ;;
		--ws-tmpfs) BENCH_WS_TMPFS=1 ;;
		--check) BENCH_CHECK=1 ;;
		--no-mkimg) BENCH_NO_MKIMG=1 ;;
		--zstd)
			[ "$zstd_ok" = 1 ] || bench_die 2 "unknown option '$1'"
			BENCH_ZSTD=1
			;;
		-h | --help)
			if [ "$zstd_ok" = 1 ]; then
				bench_usage "[--zstd]" "  --zstd       also compare zstd-compressed archives"
			else
				bench_usage "" ""
			fi
			exit 0
			;;
		*) bench_die 2 "unknown option '$1' (try --help)" ;;
		esac
		shift
	done
	case $BENCH_RUNS in
	'' | *[!0-9]* | 0) bench_die 2 "--runs: '$BENCH_RUNS' is not a positive number" ;;
	esac
}

# bench_on_exit CMD...: run CMD (eval'd) at exit, last registered first.
bench_on_exit()
{
	_bench_cleanups+=("$*")
}

_bench_run_cleanups()
{
	local i
	for ((i = ${#_bench_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_bench_cleanups[i]}" || true
	done
	_bench_cleanups=()
}

# bench_setup NAME: root check, tools, input tree, scratch dir $BENCH_DIR, exit traps.
# Sets BENCH_TREE, BENCH_LOG, and BENCH_WSROOT (where mkimg's workspace and directory
# outputs go: $BENCH_DIR, or a tmpfs under it with --ws-tmpfs).
bench_setup()
{
	local name=$1 here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

	need_root
	trap '_bench_run_cleanups' EXIT
	trap '_bench_run_cleanups; trap - INT; kill -INT $$' INT
	trap '_bench_run_cleanups; trap - TERM; kill -TERM $$' TERM

	if [ "$BENCH_NO_MKIMG" = 0 ]; then
		command -v "$MKIMG" >/dev/null 2>&1 ||
			bench_die 3 "mkimg binary '$MKIMG' not found (set MKIMG=/path/to/mkimg, or --no-mkimg)"
		MKIMG=$(command -v "$MKIMG")
		case $MKIMG in /*) ;; *) MKIMG=$PWD/$MKIMG ;; esac
	fi

	if [ -z "${BENCH_TREE:-}" ]; then
		BENCH_TREE=$("$here/prepare-debian-root") || bench_die 3 "cannot prepare the input tree"
	fi
	[ -d "$BENCH_TREE" ] || bench_die 2 "input tree '$BENCH_TREE' is not a directory"

	mkdir -p "$BENCH_TMP"
	BENCH_DIR=$(mktemp -d "$BENCH_TMP/mkimg-bench-$name.XXXXXX")
	bench_on_exit 'rm -rf "$BENCH_DIR"'
	BENCH_WSROOT=$BENCH_DIR
	if [ "$BENCH_WS_TMPFS" = 1 ]; then
		BENCH_WSROOT=$BENCH_DIR/tmpfs
		mkdir "$BENCH_WSROOT"
		mount -t tmpfs -o mode=0755 mkimg-bench "$BENCH_WSROOT" ||
			bench_die 3 "cannot mount a tmpfs on '$BENCH_WSROOT'"
		bench_on_exit 'umount "$BENCH_WSROOT" || umount -l "$BENCH_WSROOT"'
	fi
	# Registered after the rm so that it runs first: undo what the last run left.
	bench_on_exit 'declare -F bench_reset >/dev/null && bench_reset'
	BENCH_LOG=$BENCH_DIR/log
	: >"$BENCH_LOG"
}

# bench_ws_reset: empty mkimg's workspace directory and directory outputs.
bench_ws_reset()
{
	rm -rf "${BENCH_WSROOT:?}/ws" "${BENCH_WSROOT:?}/dirout"
	mkdir -p "$BENCH_WSROOT/ws" "$BENCH_WSROOT/dirout"
}

# bench_mkimg RECIPE: one mkimg build with the benchmark's workspace.
bench_mkimg()
{
	"$MKIMG" --workspace-dir "$BENCH_WSROOT/ws" build "$1"
}

# bench_mkimg_phases RECIPE: one more (untimed) `mkimg -v` build, printing each log line
# with the seconds from the start and the time until the next line: where a build goes.
bench_mkimg_phases()
{
	local start now line prev="" prevt=0 t
	bench_reset
	_bench_drop_caches
	echo "   mkimg -v timeline of one more build (at s, then s until the next line):"
	start=$(_bench_now_ns)
	while IFS= read -r line; do
		now=$(_bench_now_ns)
		t=$((now - start))
		[ -n "$prev" ] && _bench_phase_line "$prevt" "$t" "$prev"
		prev=${line#mkimg: }
		prevt=$t
	done < <(
		"$MKIMG" -v --workspace-dir "$BENCH_WSROOT/ws" build "$1" 2>&1 >/dev/null
		echo "(exit status $?)"
	)
	now=$(_bench_now_ns)
	[ -n "$prev" ] && _bench_phase_line "$prevt" "$prevt" "$prev"
}

_bench_phase_line()
{
	awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN {
		if (length(m) > 70) m = substr(m, 1, 67) "..."
		printf "   %7.3f %+7.3f  %s\n", a / 1e9, (b - a) / 1e9, m }'
}

# Describe the input tree in one line.
bench_tree_info()
{
	local bytes entries
	bytes=$(du -sx --apparent-size -B1 "$BENCH_TREE" | cut -f1)
	entries=$(find "$BENCH_TREE" -xdev | wc -l)
	echo "input tree $BENCH_TREE: $((bytes / 1048576)) MiB in $entries entries"
}

# Read the whole tree once so that the first timed run does not pay for the page cache.
bench_warm_tree()
{
	[ "$BENCH_COLD" = 1 ] && return 0
	find "$BENCH_TREE" -xdev -type f -print0 | xargs -0 -r cat >/dev/null 2>&1 || true
}

_bench_drop_caches()
{
	sync
	[ "$BENCH_COLD" = 1 ] && echo 3 >/proc/sys/vm/drop_caches
	return 0
}

_bench_now_ns()
{
	date +%s%N
}

# _bench_time_once NAME RUN CMD [ARGS...]: one timed run of CMD after bench_reset; its
# wall time goes to _bench_last_ns. CMD's output goes to $BENCH_LOG. CMD may be a shell
# function: it runs in a subshell with `set -e`, so any failing step fails the run.
_bench_time_once()
{
	local name=$1 run=$2 t0 t1 rc
	shift 2
	bench_reset
	_bench_drop_caches
	echo "== $name, run $run: $*" >>"$BENCH_LOG"
	t0=$(_bench_now_ns)
	set +e
	(
		set -e
		"$@"
		[ "$BENCH_SYNC" = 0 ] || sync
	) >>"$BENCH_LOG" 2>&1
	rc=$?
	set -e
	t1=$(_bench_now_ns)
	if [ "$rc" != 0 ]; then
		echo " FAILED" >&2
		tail -n 20 "$BENCH_LOG" >&2
		bench_die 1 "'$name' failed (exit $rc) in run $run"
	fi
	_bench_last_ns=$((t1 - t0))
}

# bench_measure NAME CMD [ARGS...]: run CMD $BENCH_RUNS times, each after bench_reset,
# and record its wall times. The last run's output is left in place for a check.
bench_measure()
{
	local name=$1 i times=()
	shift
	printf '%-34s' "$name" >&2
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		_bench_time_once "$name" "$i" "$@"
		times+=("$_bench_last_ns")
		printf ' %s' "$(_bench_fmt "$_bench_last_ns")" >&2
	done
	echo >&2
	_bench_names+=("$name")
	_bench_times+=("${times[*]}")
}

# bench_add NAME CHECK CMD [ARGS...]: queue a tool for bench_run_rounds. CHECK (eval'd,
# may be empty) runs after the tool's last run, with its output still in place.
bench_add()
{
	local name=$1 check=$2
	shift 2
	_bench_q_names+=("$name")
	_bench_q_checks+=("$check")
	_bench_q_cmds+=("$(printf '%q ' "$@")")
}

# bench_run_rounds: run the queued tools round-robin, $BENCH_RUNS rounds, so that a
# machine that gets busier or quieter meanwhile weighs on every tool alike. Records
# each tool's times as bench_measure does, in queue order.
bench_run_rounds()
{
	local i j n=${#_bench_q_names[@]} cmd
	local -a times=()
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		printf 'round %d/%d:' "$i" "$BENCH_RUNS" >&2
		for ((j = 0; j < n; j++)); do
			eval "cmd=(${_bench_q_cmds[j]})"
			_bench_time_once "${_bench_q_names[j]}" "$i" "${cmd[@]}"
			times[j]="${times[j]:-} $_bench_last_ns"
			printf ' %s' "$(_bench_fmt "$_bench_last_ns")" >&2
			if [ "$i" = "$BENCH_RUNS" ] && [ -n "${_bench_q_checks[j]}" ]; then
				eval "${_bench_q_checks[j]}"
			fi
		done
		echo >&2
	done
	for ((j = 0; j < n; j++)); do
		_bench_names+=("${_bench_q_names[j]}")
		_bench_times+=("${times[j]# }")
	done
	_bench_q_names=() _bench_q_checks=() _bench_q_cmds=()
}

# bench_record NAME NS...: record times measured by the caller (e.g. time to an event
# inside a longer command), as if bench_measure had timed them.
bench_record()
{
	local name=$1
	shift
	_bench_names+=("$name")
	_bench_times+=("$*")
}

# _bench_fmt NS: nanoseconds as seconds with 3 decimals.
_bench_fmt()
{
	awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'
}

# _bench_stat median|min|max NS...: nanoseconds.
_bench_stat()
{
	local what=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v what="$what" '
		{ v[NR] = $1 }
		END {
			if (what == "min") print v[1]
			else if (what == "max") print v[NR]
			else if (NR % 2) print v[(NR + 1) / 2]
			else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

_bench_index()
{
	local i
	for i in "${!_bench_names[@]}"; do
		if [ "${_bench_names[i]}" = "$1" ]; then
			echo "$i"
			return 0
		fi
	done
	return 1
}

# bench_median NAME: median of NAME in nanoseconds.
bench_median()
{
	local i
	i=$(_bench_index "$1") || bench_die 1 "no measurement named '$1'"
	# shellcheck disable=SC2086
	_bench_stat median ${_bench_times[i]}
}

# bench_report TITLE [REF [INCLUDE [EXCLUDE]]]: table of median/min/max per tool whose
# name matches the glob INCLUDE (default all) and not EXCLUDE, with REF's median divided by
# each tool's median (REF = our tool; < 1 means we are faster).  The column is labelled
# "$BENCH_REF_LABEL/tool" (default "mkimg/tool").
bench_report()
{
	local title=$1 ref=${2:-} inc=${3:-*} exc=${4:-} refmed="" i med min max ratio
	if [ -n "$ref" ] && _bench_index "$ref" >/dev/null; then
		refmed=$(bench_median "$ref")
	fi
	echo
	echo "== $title"
	echo "   $BENCH_RUNS runs each, $([ "$BENCH_COLD" = 1 ] && echo cold || echo warm) page cache," \
		"$([ "$BENCH_SYNC" = 1 ] && echo "sync timed" || echo "no sync")," \
		"mkimg workspace on $([ "$BENCH_WS_TMPFS" = 1 ] && echo tmpfs ||
			echo "$(findmnt -n -o FSTYPE --target "$BENCH_DIR") ($BENCH_TMP)")"
	printf '%-34s %9s %9s %9s %12s\n' tool "median s" "min s" "max s" \
		"${refmed:+${BENCH_REF_LABEL:-mkimg}/tool}"
	for i in "${!_bench_names[@]}"; do
		# shellcheck disable=SC2053
		[[ ${_bench_names[i]} == $inc ]] || continue
		# shellcheck disable=SC2053
		[[ -n $exc && ${_bench_names[i]} == $exc ]] && continue
		# shellcheck disable=SC2086
		med=$(_bench_stat median ${_bench_times[i]})
		# shellcheck disable=SC2086
		min=$(_bench_stat min ${_bench_times[i]})
		# shellcheck disable=SC2086
		max=$(_bench_stat max ${_bench_times[i]})
		ratio=""
		[ -n "$refmed" ] && ratio=$(awk -v a="$refmed" -v b="$med" 'BEGIN { printf "%.2f", a / b }')
		printf '%-34s %9s %9s %9s %12s\n' "${_bench_names[i]}" "$(_bench_fmt "$med")" \
			"$(_bench_fmt "$min")" "$(_bench_fmt "$max")" "$ratio"
	done
}

# bench_target OURS RIVAL MAX TEXT [info]: check median(OURS)/median(RIVAL) <= MAX; with
# "info" a miss is shown but does not count for --check.
bench_target()
{
	local ours=$1 rival=$2 max=$3 text=$4 info=${5:-} a b ratio verdict
	if ! _bench_index "$ours" >/dev/null || ! _bench_index "$rival" >/dev/null; then
		printf 'target %-44s %s\n' "$text:" "not measured"
		return 0
	fi
	a=$(bench_median "$ours")
	b=$(bench_median "$rival")
	ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
	if awk -v a="$a" -v b="$b" -v m="$max" 'BEGIN { exit !(a / b <= m) }'; then
		verdict=PASS
	else
		verdict=MISS
		[ "$info" = info ] && verdict="MISS (informational)" ||
			_bench_failed_targets=$((_bench_failed_targets + 1))
	fi
	printf 'target %-44s %s (%s %s)  %s\n' "$text:" "$ratio" "${BENCH_REF_LABEL:-mkimg}" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN {
			if (a <= b) printf "%.2fx faster", b / a; else printf "%.2fx slower", a / b }')" \
		"$verdict"
}

# bench_finish: exit status after the report (1 with --check when a target was missed).
bench_finish()
{
	if [ "$_bench_failed_targets" -gt 0 ] && [ "$BENCH_CHECK" = 1 ]; then
		exit 1
	fi
	exit 0
}

# bench_write_recipe FILE FORMAT OUTPUT [KEY=VALUE for [Output]...]: a Distribution=none
# recipe that starts from $BENCH_TREE.
bench_write_recipe()
{
	local file=$1 format=$2 output=$3 kv
	shift 3
	{
		printf '[Distribution]\nDistribution=none\n\n[Output]\nFormat=%s\nOutput=%s\n' \
			"$format" "$output"
		for kv in "$@"; do
			printf '%s\n' "$kv"
		done
		printf '\n[Content]\nBaseTrees=%s\n' "$BENCH_TREE"
	} >"$file"
}
