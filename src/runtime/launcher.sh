#!/bin/sh
# actk-runtime: an OCI runtime shim, runc-compatible on the command line.
# (The runtime helper answers only programs whose second line starts as the one above.)
#
# Every command goes to the low-level runtime unchanged, by exec (same pid,
# argv, stdio, extra fds, environment, signals, exit code). Only `create` of a
# bundle whose config.json may hold a device request starts the JS part (bun
# when there is one, else Node), which edits
# config.json and returns; then this script execs the low-level runtime.
# The pre-filter is a conservative fixed-string grep for the vendors' request
# markers: a false positive costs a Node start, never a wrong container.
#
# Keep in step with src/runtime/args.ts (command and bundle),
# src/runtime/low-level.ts (runtime lookup) and src/runtime/launcher.c (the native
# launcher, which does this script's work up to the pre-filter when a build has a C
# compiler, and runs this script for the rest). docs/runtime.md explains all three.
#
# Environment: ACTK_CONFIG_FILE (default /etc/actk/config.toml under
# ACTK_HOST_ROOT, else NVIDIA's config.toml; only the first `runtimes = [...]`
# line is read here), ACTK_JS (JS engine: bun or node, a path or a name), ACTK_NODE (node binary),
# ACTK_RUNTIME_LIB (the Node part), ACTK_HOST_ROOT, ACTK_RUNTIME_LOG_FILE,
# ACTK_RUNTIME_MODE (all passed on to Node by inheritance), ACTK_RUNTIME_HELPER (the runtime
# helper's directory, default /run/actk/runtime-helper, or off), ACTK_RUNTIME_HELPER_TIMEOUT
# (seconds to wait for its answer, default 5).

actk_fail() {
	# shellcheck disable=SC2016 # the backquotes are text: the command to run
	printf 'actk-runtime: %s; run `actk doctor` for a full diagnosis\n' "$1" >&2
	exit "${2:-4}"
}

# Low-level runtime candidates: runtime.runtimes from the config (one line), else the defaults.
# The config is found like src/config/load.ts does (XDG_CONFIG_HOME aside: engines do not set it).
actk_candidates="docker-runc runc crun"
actk_config=${ACTK_CONFIG_FILE:-${ACTK_HOST_ROOT%/}/etc/actk/config.toml}
if [ -z "${ACTK_CONFIG_FILE:-}" ] && [ ! -f "$actk_config" ]; then
	actk_config=${ACTK_HOST_ROOT%/}/etc/nvidia-container-runtime/config.toml
fi
# Shell builtins only (no fork): this runs before every runtime command.
if [ -f "$actk_config" ]; then
	while IFS= read -r actk_line || [ -n "$actk_line" ]; do
		actk_line=${actk_line#"${actk_line%%[![:space:]]*}"}
		case $actk_line in
		runtimes=* | runtimes[[:space:]]*=*) ;;
		*) continue ;;
		esac
		case $actk_line in
		*\[*\]*) ;;
		*) actk_fail "$actk_config: runtimes must be written on one line (runtimes = [\"runc\"]). Fix: put the list on one line" 3 ;;
		esac
		actk_line=${actk_line#*\[}
		actk_candidates=${actk_line%%\]*}
		break
	done <"$actk_config"
fi

actk_runtime=
actk_oldifs=$IFS
set -f
actk_tried=
# Split the TOML list's items on commas, quotes, spaces and tabs.
IFS=", 	\"'"
for actk_c in $actk_candidates; do
	IFS=$actk_oldifs
	[ -n "$actk_c" ] || continue
	actk_tried=${actk_tried:+$actk_tried, }$actk_c
	actk_p=
	case $actk_c in
	*/*) actk_p=$actk_c ;;
	*)
		IFS=:
		# One variable: only an expansion's result is split, so PATH's last entry and a literal
		# `:/usr/local/sbin…` after it would stay one word.
		actk_dirs=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		for actk_d in $actk_dirs; do
			[ -n "$actk_d" ] || continue
			if [ -f "$actk_d/$actk_c" ] && [ -x "$actk_d/$actk_c" ]; then
				actk_p=$actk_d/$actk_c
				break
			fi
		done
		;;
	esac
	# shellcheck disable=SC2015 # any test failing means the same: not this candidate
	[ -n "$actk_p" ] && [ -f "$actk_p" ] && [ -x "$actk_p" ] || continue
	case ${actk_p##*/} in
	actk-runtime*) actk_fail "runtime.runtimes names actk-runtime itself ($actk_p), which would call itself forever. Fix: list runc or crun in runtime.runtimes" 3 ;;
	esac
	# shellcheck disable=SC3013 # -ef is not POSIX, but dash, bash and busybox ash (any /bin/sh on Linux) have it
	if [ "$actk_p" -ef "$0" ]; then
		actk_fail "runtime.runtimes names actk-runtime itself ($actk_p), which would call itself forever. Fix: list runc or crun in runtime.runtimes" 3
	fi
	actk_runtime=$actk_p
	break
done
IFS=$actk_oldifs
set +f
[ -n "$actk_runtime" ] || actk_fail "no low-level runtime found from runtime.runtimes [$actk_tried]. Fix: install runc or crun, or set runtime.runtimes to its absolute path" 4

# The sub-command: the first argument that is not a global flag or a global flag's value.
actk_cmd=
actk_bundle=
actk_expect=
actk_debug=0
for actk_a in "$@"; do
	if [ -z "$actk_cmd" ]; then
		if [ -n "$actk_expect" ]; then
			actk_expect=
			continue
		fi
		case $actk_a in
		- | --) ;; # not flags, as args.ts reads them: the command
		-*)
			case ${actk_a#"${actk_a%%[!-]*}"} in
			*=*) ;;
			log | log-format | root | criu | rootless) actk_expect=1 ;;
			esac
			# runc's --debug (as args.ts reads it: any value) also means a debug log from the helper.
			case ${actk_a#"${actk_a%%[!-]*}"} in
			debug | debug=*) actk_debug=1 ;;
			esac
			continue
			;;
		esac
		actk_cmd=$actk_a
		[ "$actk_cmd" = create ] || break
		continue
	fi
	if [ -n "$actk_expect" ]; then
		actk_bundle=$actk_a
		actk_expect=
		continue
	fi
	case $actk_a in
	-*)
		case ${actk_a#"${actk_a%%[!-]*}"} in
		b | bundle) actk_expect=1 ;;
		b=* | bundle=*) actk_bundle=${actk_a#*=} ;;
		esac
		;;
	esac
done

# Every command but `create` goes on here, before dash has parsed the rest of this file.
{ [ "$actk_cmd" = create ] && [ -z "$actk_expect" ]; } || exec "$actk_runtime" "$@"

actk_spec=${actk_bundle:-.}/config.json
# The native launcher (launcher.c) runs this script only for a create whose config.json its own
# pre-filter matched, and says so (1, or the mode its program name carries: actk-runtime.cdi):
# that needs no second look. Unset, so the low-level runtime gets the engine's environment.
actk_prefiltered=${ACTK_RUNTIME_PREFILTERED:-}
unset ACTK_RUNTIME_PREFILTERED
# The program name's mode goes to the JS part (or the helper) as ACTK_RUNTIME_ALIAS_MODE, only.
actk_alias=${ACTK_RUNTIME_ALIAS_MODE:-}
case $actk_prefiltered in
jit | cdi | legacy | csv)
	actk_alias=$actk_prefiltered
	actk_prefiltered=1
	;;
esac
# busybox's grep starts in about half the time of GNU grep (no PCRE library to load; none at all when
# static), and this runs for every container: use it when root owns it (docs/runtime.md "Speed").
actk_grep="grep"
if [ -f /bin/busybox ] && [ -x /bin/busybox ] && [ -O /bin/busybox ]; then
	actk_grep="/bin/busybox grep"
fi
# shellcheck disable=SC2086 # actk_grep is a program and its applet
if [ -f "$actk_spec" ] && { [ "$actk_prefiltered" = 1 ] || $actk_grep -q -F \
	-e NVIDIA_VISIBLE_DEVICES -e NVIDIA_DRIVER_CAPABILITIES -e NVIDIA_REQUIRE_ -e CUDA_VERSION \
	-e NVIDIA_DISABLE_REQUIRE -e NVIDIA_IMEX_CHANNELS -e NVIDIA_MIG_ -e NVIDIA_GDS -e NVIDIA_MOFED \
	-e NVIDIA_NVSWITCH -e NVIDIA_GDRCOPY \
	-e DOCKER_RESOURCE_ -e /var/run/nvidia-container-devices -e nvidia-container-runtime-hook \
	-e ASCEND_VISIBLE_DEVICES -e ASCEND_RUNTIME_OPTIONS -e ASCEND_RUNTIME_MOUNTS -e ASCEND_VNPU_SPECS \
	-e ASCEND_ALLOW_LINK \
	-e AMD_VISIBLE_DEVICES -e ROCR_VISIBLE_DEVICES \
	-e cdi.k8s.io/ \
	"$actk_spec"; }; then
	# The per-host runtime helper (src/runtime/helper.ts), when one runs: a line on its FIFO and
	# a signal back instead of a JS engine's start. Only a FIFO owned by the user running this
	# (root, for engines), with a live helper behind it; any doubt falls through to the JS part.
	actk_hdir=${ACTK_RUNTIME_HELPER:-/run/actk/runtime-helper}
	actk_answer=
	if [ "$actk_hdir" != off ] && [ -p "$actk_hdir/requests" ] && [ -O "$actk_hdir/requests" ] &&
		[ -f "$actk_hdir/pid" ] && read -r actk_hpid <"$actk_hdir/pid" && kill -0 "$actk_hpid" 2>/dev/null; then
		actk_b=${actk_bundle:-.}
		case $actk_b in /*) ;; *) actk_b=$PWD/$actk_b ;; esac
		# Tab-separated, one line (src/runtime/helper-protocol.ts).
		actk_req="actk-helper-1	$$	$actk_b	$0	$actk_runtime	$actk_debug	${ACTK_CONFIG_FILE:-}	${ACTK_HOST_ROOT:-}	${XDG_CONFIG_HOME:-}	${ACTK_RUNTIME_MODE:-}	${actk_alias}	${ACTK_RUNTIME_LDCACHE:-}	${ACTK_RUNTIME_LOG_FILE:-}"
		actk_nl='
'
		case $actk_req in
		*"$actk_nl"*) actk_answer=unsendable ;;
		*) [ ${#actk_req} -lt 4000 ] || actk_answer=unsendable ;;
		esac
		# A tab in any value would shift the fields and the helper drop the line (a full timeout's wait):
		# every value above but $$ and actk_debug (this script's own) is checked here.
		case ${actk_b}${0}${actk_runtime}${ACTK_CONFIG_FILE:-}${ACTK_HOST_ROOT:-}${XDG_CONFIG_HOME:-}${ACTK_RUNTIME_MODE:-}${actk_alias}${ACTK_RUNTIME_LDCACHE:-}${ACTK_RUNTIME_LOG_FILE:-} in
		*"	"*) actk_answer=unsendable ;;
		esac
		if [ -z "$actk_answer" ]; then
			trap 'actk_answer=ok' USR1
			trap 'actk_answer=fallback' USR2
			# Read-write: opening never blocks, even if the helper has just gone.
			printf '%s\n' "$actk_req" 1<>"$actk_hdir/requests"
			sleep "${ACTK_RUNTIME_HELPER_TIMEOUT:-5}" &
			actk_sleep=$!
			# A trapped signal ends `wait` at once (POSIX); the answer may also have come already.
			[ -n "$actk_answer" ] || wait "$actk_sleep"
			kill "$actk_sleep" 2>/dev/null
			# exec resets caught signals: the low-level runtime starts with the engine's dispositions.
			[ "$actk_answer" = ok ] && exec "$actk_runtime" "$@"
			# Caught, not ignored (ignored ones would pass to runc and the container): a late answer is harmless.
			trap : USR1 USR2
			actk_answer=${actk_answer:-timeout}
		fi
	fi
	actk_self=$0
	if [ -L "$0" ]; then
		actk_self=$(readlink -f -- "$0" 2>/dev/null) || actk_self=$0
	fi
	actk_lib=${ACTK_RUNTIME_LIB:-${actk_self%/*}/../lib/actk-runtime.mjs}
	# The JS engine (docs/runtime.md): ACTK_JS, else a bun shipped with the install, else the
	# checkout's node_modules bun, else node (ACTK_NODE, the install's, PATH, /usr/local/bin, /usr/bin).
	actk_js=
	actk_want=${ACTK_JS:-}
	case $actk_want in
	"" | node) ;;
	*/*) actk_js=$actk_want ;;
	*) actk_js=$(command -v "$actk_want" 2>/dev/null) || actk_fail "ACTK_JS=$actk_want was not found. Fix: set ACTK_JS to the absolute path of bun or node" 4 ;;
	esac
	if [ -z "$actk_want" ]; then
		for actk_c in "${actk_self%/*}/../lib/bun" "${actk_self%/*}/../bun" "${actk_self%/*}/../../node_modules/@oven/bun-linux-x64/bin/bun"; do
			# Only a bun owned by the user running this (root, for engines): never one another user could swap.
			if [ -f "$actk_c" ] && [ -x "$actk_c" ] && [ -O "$actk_c" ]; then
				actk_js=$actk_c
				break
			fi
		done
	fi
	if [ -z "$actk_js" ]; then
		actk_js=${ACTK_NODE:-}
		# The node `actk install --with-node` copies beside the launcher (<lib>/node), on the same terms as bun.
		actk_c=${actk_self%/*}/../node
		if [ -z "$actk_js" ] && [ -f "$actk_c" ] && [ -x "$actk_c" ] && [ -O "$actk_c" ]; then
			actk_js=$actk_c
		fi
		if [ -z "$actk_js" ]; then
			actk_js=$(command -v node 2>/dev/null) || actk_js=
			for actk_d in /usr/local/bin /usr/bin; do
				[ -n "$actk_js" ] && break
				[ -x "$actk_d/node" ] && actk_js=$actk_d/node
			done
		fi
	fi
	[ -n "$actk_js" ] || actk_fail "the container asks for a device but neither bun nor node (Node.js >= 20) was found. Fix: install Node.js, or set ACTK_JS to bun or node" 4
	# Bun would read bunfig.toml (preload scripts) and .env files from the current directory,
	# which the engine picks (the bundle): neither may steer a process that runs as root.
	actk_jsflags=
	case ${actk_js##*/} in
	bun | bun-*) actk_jsflags="--config=/dev/null --no-env-file" ;;
	esac
	# The JS part edits config.json only; its stdout is never the engine's.
	# shellcheck disable=SC2086 # actk_jsflags is a list of flags
	ACTK_RUNTIME_STAGE=prepare ACTK_RUNTIME_SELF=$0 ACTK_LOW_LEVEL_RUNTIME=$actk_runtime ACTK_RUNTIME_HELPER_STATE=$actk_answer \
		ACTK_RUNTIME_ALIAS_MODE=$actk_alias \
		"$actk_js" $actk_jsflags "$actk_lib" "$@" </dev/null >/dev/null || exit $?
fi

exec "$actk_runtime" "$@"
