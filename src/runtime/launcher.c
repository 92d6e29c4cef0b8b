/*
 * actk-runtime's native launcher: the per-container fast path of launcher.sh, without a shell.
 *
 * An engine runs actk-runtime several times per container (create, start, state, kill, delete),
 * and most containers ask for no accelerator. Starting `sh` alone costs more than the ≤ 5 %
 * the runtime may add to a container's lifecycle (docs/runtime.md "Speed"), so this program
 * does what launcher.sh does before its pre-filter, with no fork at all:
 *   - find the low-level runtime (runtime.runtimes from the config's first `runtimes` line, or
 *     the defaults; PATH lookup; actk-runtime itself refused),
 *   - find the command and, for `create`, the bundle,
 *   - exec the low-level runtime, unless it is a `create` whose config.json holds one of the
 *     vendors' request markers.
 * Only that last case needs more, and it goes to launcher.sh (../lib/actk-runtime.sh from this
 * program's real path), which does the rest (helper, JS part) as it does when it is the program
 * itself. Every decision here must be launcher.sh's: src/runtime/launcher.test.ts runs the same
 * cases through both, and checks that the marker lists are the same.
 *
 * The low-level runtime gets this process as it came: same pid, argv (argv[0] its path, as
 * `exec "$runtime" "$@"` gives), environment, stdio, extra fds (every fd opened here is
 * O_CLOEXEC), signal dispositions and mask (none are touched).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* launcher.sh's grep list, in the same order (launcher.test.ts compares them). */
static const char *const markers[] = {
	"NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "NVIDIA_REQUIRE_", "CUDA_VERSION",
	"NVIDIA_DISABLE_REQUIRE", "NVIDIA_IMEX_CHANNELS", "NVIDIA_MIG_", "NVIDIA_GDS", "NVIDIA_MOFED",
	"NVIDIA_NVSWITCH", "NVIDIA_GDRCOPY",
	"DOCKER_RESOURCE_", "/var/run/nvidia-container-devices", "nvidia-container-runtime-hook",
	"ASCEND_VISIBLE_DEVICES", "ASCEND_RUNTIME_OPTIONS", "ASCEND_RUNTIME_MOUNTS", "ASCEND_VNPU_SPECS",
	"ASCEND_ALLOW_LINK",
	"AMD_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
	"cdi.k8s.io/",
};
#define NMARKERS (sizeof markers / sizeof markers[0])

/* A config file larger than this is read this far: the `runtimes` line is near the top. */
#define CONFIG_MAX (1 << 20)
#define DEFAULT_CANDIDATES "docker-runc runc crun"
#define FIXED_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SELF_LOOP "runtime.runtimes names actk-runtime itself (%s), which would call itself forever. Fix: list runc or crun in runtime.runtimes"

static _Noreturn void fail(int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dprintf(2, "actk-runtime: %s; run `actk doctor` for a full diagnosis\n", msg);
	exit(code);
}

static char *str_cat(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);
	if (!s) fail(4, "out of memory");
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* `[ -f p ] && [ -x p ]` as dash tests them (stat follows links; access for the effective ids). */
static int is_exec_file(const char *p, struct stat *st)
{
	return stat(p, st) == 0 && S_ISREG(st->st_mode) && faccessat(AT_FDCWD, p, X_OK, AT_EACCESS) == 0;
}

/*
 * An fd of p when it is a regular file, else -1. Checked with stat() first, as `[ -f ]` does, so a
 * FIFO or a device there is never opened (opening one can have effects); then fstat() again, as
 * the file may have been replaced between the two.
 */
static int open_regular(const char *p)
{
	struct stat st;
	if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole of a regular file, up to max bytes (NUL-terminated), or NULL. */
static char *read_regular(const char *p, size_t max, size_t *len)
{
	int fd = open_regular(p);
	if (fd < 0) return NULL;
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (fstat(fd, &st) != 0) goto out;
	cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	if (!(buf = malloc(cap))) goto out;
	while (n < cap - 1) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		n += (size_t)r;
	}
	buf[n] = 0;
out:
	close(fd);
	*len = n;
	return buf;
}

/*
 * The text between `[` and `]` of the config's first `runtimes = [...]` line, or NULL when
 * there is none. Which file: ACTK_CONFIG_FILE, else the host root's /etc/actk/config.toml,
 * else NVIDIA's config.toml (src/config/load.ts, XDG_CONFIG_HOME aside: engines do not set it).
 */
static char *configured_candidates(void)
{
	const char *file = getenv("ACTK_CONFIG_FILE");
	char *path;
	if (file && *file) {
		path = str_cat(file, "", "");
	} else {
		/* ${ACTK_HOST_ROOT%/}: one trailing slash off. */
		const char *root = getenv("ACTK_HOST_ROOT");
		char *r = str_cat(root ? root : "", "", "");
		size_t rl = strlen(r);
		if (rl && r[rl - 1] == '/') r[rl - 1] = 0;
		struct stat st;
		path = str_cat(r, "/etc/actk/config.toml", "");
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			path = str_cat(r, "/etc/nvidia-container-runtime/config.toml", "");
		}
		free(r);
	}
	size_t len;
	char *text = read_regular(path, CONFIG_MAX, &len);
	if (!text) {
		free(path);
		return NULL;
	}
	char *found = NULL;
	for (char *line = text; line < text + len;) {
		char *end = memchr(line, '\n', (size_t)(text + len - line));
		if (!end) end = text + len;
		*end = 0;
		while (*line && isspace((unsigned char)*line)) line++;
		/* `runtimes=*` or `runtimes[[:space:]]*=*`, as launcher.sh's case does. */
		if (strncmp(line, "runtimes", 8) == 0 &&
		    (line[8] == '=' || (line[8] && isspace((unsigned char)line[8]) && strchr(line + 9, '=')))) {
			char *lb = strchr(line, '[');
			char *rb = lb ? strchr(lb + 1, ']') : NULL;
			if (!rb)
				fail(3, "%s: runtimes must be written on one line (runtimes = [\"runc\"]). Fix: put the list on one line", path);
			*rb = 0;
			found = str_cat(lb + 1, "", "");
			break;
		}
		line = end + 1;
	}
	free(text);
	free(path);
	return found;
}

static int is_candidate_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '"' || c == '\'';
}

/*
 * This program's own file: /proc/self/exe, else (no /proc mounted) argv[0] when it is a path,
 * as launcher.sh has only $0. The real path, links resolved; NULL when neither is known.
 */
static char *own_path(const char *argv0)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		return str_cat(exe, "", "");
	}
	return argv0 && strchr(argv0, '/') ? realpath(argv0, NULL) : NULL;
}

/* The first candidate that is an executable regular file, as launcher.sh picks it. */
static char *low_level_runtime(const char *argv0)
{
	char *list = configured_candidates();
	if (!list) list = str_cat(DEFAULT_CANDIDATES, "", "");
	struct stat self;
	int have_self = stat("/proc/self/exe", &self) == 0 || (argv0 && strchr(argv0, '/') && stat(argv0, &self) == 0);
	char tried[1024] = "";
	size_t tl = 0;
	for (char *c = list; *c;) {
		while (*c && is_candidate_sep(*c)) c++;
		if (!*c) break;
		char *e = c;
		while (*e && !is_candidate_sep(*e)) e++;
		char save = *e;
		*e = 0;
		if (tl < sizeof tried)
			tl += (size_t)snprintf(tried + tl, sizeof tried - tl, "%s%s", tl ? ", " : "", c);
		struct stat st;
		char *p = NULL;
		if (strchr(c, '/')) {
			if (is_exec_file(c, &st)) p = str_cat(c, "", "");
		} else {
			const char *env_path = getenv("PATH");
			char *dirs = str_cat(env_path ? env_path : "", ":", FIXED_PATH);
			for (char *d = strtok(dirs, ":"); d && !p; d = strtok(NULL, ":")) {
				char *q = str_cat(d, "/", c);
				if (is_exec_file(q, &st)) p = q;
				else free(q);
			}
			free(dirs);
		}
		if (p) {
			const char *base = strrchr(p, '/');
			base = base ? base + 1 : p;
			if (strncmp(base, "actk-runtime", 12) == 0 ||
			    (have_self && st.st_dev == self.st_dev && st.st_ino == self.st_ino))
				fail(3, SELF_LOOP, p);
			free(list);
			return p;
		}
		*e = save;
		c = e;
	}
	fail(4, "no low-level runtime found from runtime.runtimes [%s]. Fix: install runc or crun, or set runtime.runtimes to its absolute path", tried);
}

/* The flag's name without its leading dashes (runc takes -flag, --flag and ---flag alike). */
static const char *flag_name(const char *a)
{
	while (*a == '-') a++;
	return a;
}

/* Whether the file at path holds one of the markers; any read error counts as no. */
static int holds_marker(const char *path)
{
	int fd = open_regular(path);
	if (fd < 0) return 0;
	/* Chunks overlap by the longest marker less one byte, so a marker across two reads is seen
	 * (launcher.test.ts checks that every marker is shorter than OVERLAP). */
	enum { CHUNK = 64 * 1024, OVERLAP = 64 };
	static char buf[CHUNK + OVERLAP];
	size_t keep = 0;
	int hit = 0;
	for (;;) {
		ssize_t r = read(fd, buf + keep, CHUNK);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		size_t n = keep + (size_t)r;
		for (size_t i = 0; i < NMARKERS && !hit; i++) hit = memmem(buf, n, markers[i], strlen(markers[i])) != NULL;
		if (hit) break;
		keep = n < OVERLAP - 1 ? n : OVERLAP - 1;
		memmove(buf, buf + n - keep, keep);
	}
	close(fd);
	return hit;
}

static _Noreturn void run(const char *program, char **argv, int argc)
{
	argv[0] = (char *)program;
	execve(program, argv, environ);
	int e = errno;
	if (e == ENOEXEC) {
		/* A script without a #! line: the shell runs it, as launcher.sh's `exec` would (POSIX). */
		char **sh_argv = calloc((size_t)argc + 2, sizeof *sh_argv);
		if (!sh_argv) fail(4, "out of memory");
		sh_argv[0] = "sh";
		for (int i = 0; i < argc; i++) sh_argv[i + 1] = argv[i];
		execve("/bin/sh", sh_argv, environ);
		e = errno;
	}
	fail(e == ENOENT ? 127 : 126, "cannot run %s: %s", program, strerror(e));
}

/* A `create` that may ask for a device: launcher.sh takes it from the start, told the pre-filter matched. */
static _Noreturn void hand_to_script(char **argv)
{
	char *exe = own_path(argv[0]);
	if (!exe) fail(4, "cannot find this program's own path (no /proc/self/exe, and argv[0] %s is not a path). Fix: mount /proc, or run actk-runtime by its path", argv[0]);
	/* <dir>/bin/actk-runtime → <dir>/lib/actk-runtime.sh, the path launcher.sh then reports as its own. */
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (slash) *slash = 0;
	}
	char *script = str_cat(exe, "/lib/actk-runtime.sh", "");
	struct stat st;
	if (!is_exec_file(script, &st))
		fail(4, "%s is missing or not executable: the container asks for a device and only the sh launcher handles that. Fix: reinstall actk (actk install)", script);
	/*
	 * The pre-filter matched: ACTK_RUNTIME_PREFILTERED=1, or the mode this program's name carries
	 * (actk-runtime.cdi …), which the sh launcher's own name no longer does. The sh launcher unsets
	 * it, so the low-level runtime gets the environment this program got.
	 */
	const char *said = "1";
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	static const char *const modes[] = { "jit", "cdi", "legacy", "csv" };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0] && strncmp(base, "actk-runtime.", 13) == 0; i++) {
		if (strcmp(base + 13, modes[i]) == 0) said = modes[i];
	}
	if (setenv("ACTK_RUNTIME_PREFILTERED", said, 1) != 0) fail(4, "out of memory");
	argv[0] = script;
	execve(script, argv, environ);
	fail(4, "cannot run %s: %s. Fix: reinstall actk (actk install)", script, strerror(errno));
}

int main(int argc, char **argv)
{
	/* execve() with an empty argv is legal: give run() a slot for the runtime's argv[0]. */
	static char *no_args[2];
	if (argc < 1) argv = no_args;
	char *runtime = low_level_runtime(argv[0]);

	/* The command: the first argument that is not a global flag or a global flag's value. */
	const char *cmd = NULL, *bundle = NULL;
	int expect = 0;
	for (char **a = argv + 1; *a; a++) {
		if (!cmd) {
			if (expect) {
				expect = 0;
				continue;
			}
			/* "-" and "--" are not flags, as args.ts reads them: the command. */
			if (**a == '-' && strcmp(*a, "-") != 0 && strcmp(*a, "--") != 0) {
				const char *f = flag_name(*a);
				if (!strchr(f, '=') && (!strcmp(f, "log") || !strcmp(f, "log-format") || !strcmp(f, "root") ||
							 !strcmp(f, "criu") || !strcmp(f, "rootless")))
					expect = 1;
				continue;
			}
			cmd = *a;
			if (strcmp(cmd, "create") != 0) break;
			continue;
		}
		if (expect) {
			bundle = *a;
			expect = 0;
			continue;
		}
		if (**a == '-') {
			const char *f = flag_name(*a);
			if (!strcmp(f, "b") || !strcmp(f, "bundle")) expect = 1;
			else if (!strncmp(f, "b=", 2) || !strncmp(f, "bundle=", 7)) bundle = strchr(f, '=') + 1;
		}
	}
	if (!cmd || strcmp(cmd, "create") != 0 || expect) run(runtime, argv, argc < 1 ? 1 : argc);

	char *spec = str_cat(bundle && *bundle ? bundle : ".", "/config.json", "");
	if (holds_marker(spec)) hand_to_script(argv);
	run(runtime, argv, argc < 1 ? 1 : argc);
}
