/*
 * xfer: the entry point.  Sets up a sane process (fds 0-2 open, no
 * group/other-writable files), reads the global options and dispatches to
 * a subcommand from the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bdate.h"
#include "cmd.h"
#include "ini.h"
#include "ledger.h"
#include "parse.h"
#include "syslogger.h"
#include "tz.h"

static const struct command {
	const char *name;
	int (*fn)(struct xfer_ctx *, int, char **);
	const char *summary;
} commands[] = {
	{ "send", cmd_send, "produce and upload send batches" },
	{ "receive", cmd_receive, "pick up, verify and ingest received files" },
	{ "run", cmd_run, "run every job whose schedule came due (cron)" },
	{ "rerun", cmd_rerun, "redo the failed and held batches of a date" },
	{ "status", cmd_status, "show batches from the ledger" },
	{ "check", cmd_check, "validate job files" },
	{ "cron", cmd_cron, "print the crontab line or systemd units" },
	{ "ledger", cmd_ledger, "ledger migrate: SQLite ledger into PostgreSQL" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: xfer [--home DIR] [-q|-v] [--log-format text|json] "
	    "COMMAND [ARGS] [JOB...]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-8s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp, "\n'xfer COMMAND --help' for a command's options; "
	    "man xfer for everything.\n");
}

/* Daemons and cron jobs may start us with 0, 1 or 2 closed: a later open()
 * would then get fd 2 and our messages would land in a batch file. */
static int
fds_sane(void)
{
	int fd;

	for (;;) {
		fd = open("/dev/null", O_RDWR);
		if (fd == -1)
			return -1;
		if (fd > 2) {
			close(fd);
			return 0;
		}
	}
}

/* A node name is shown in status and logs and compared byte for byte
 * (the same rule as a job's nodes = list). */
static int
node_name_ok(const char *s)
{
	return job_node_name_ok(s);
}

static int
conf_set(char **dst, const char *value, struct xerr *err)
{
	char *v = strdup(value);

	if (v == NULL)
		return xerr_nomem(err);
	free(*dst);
	*dst = v;
	return 0;
}

/* [ledger] (SPEC.md section 9). */
static int
conf_ledger(struct xfer_ctx *x, const char *key, const char *value,
    unsigned line, struct xerr *err)
{
	char why[128];

	if (strcmp(key, "url") == 0) {
		if (strncmp(value, "postgresql://", 13) != 0 &&
		    strncmp(value, "postgres://", 11) != 0)
			return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: "
			    "key 'url': expected postgresql://USER@HOST/DB "
			    "(without [ledger] url the ledger is the spool's "
			    "SQLite file)", x->home, line);
		return conf_set(&x->ledger_url, value, err);
	}
	if (strcmp(key, "node") == 0) {
		if (!node_name_ok(value))
			return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: "
			    "key 'node': '%s' is not a node name (1-%d "
			    "letters, digits, '-', '.', '_')", x->home, line,
			    value, LEDGER_NODE_MAX - 1);
		return conf_set(&x->ledger_node, value, err);
	}
	if (strcmp(key, "lease") == 0) {
		if (parse_duration_s(value, &x->ledger_lease_s, why,
		    sizeof(why)) == -1 || x->ledger_lease_s < 1 ||
		    x->ledger_lease_s > 86400)
			return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: "
			    "key 'lease': '%s' is not a duration from 1s to "
			    "24h", x->home, line, value);
		return 0;
	}
	if (strcmp(key, "password_file") == 0)
		return conf_set(&x->ledger_password_file, value, err);
	return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: key '%s': "
	    "unknown key in [ledger]", x->home, line, key);
}

static int
conf_entry(void *ctx, const char *section, const char *key, const char *value,
    unsigned line, struct xerr *err)
{
	struct xfer_ctx *x = ctx;

	if (key == NULL) {
		if (strcmp(section, "xfer") != 0 &&
		    strcmp(section, "ledger") != 0)
			return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: "
			    "unknown section '[%s]'", x->home, line, section);
		return 0;
	}
	if (strcmp(section, "ledger") == 0)
		return conf_ledger(x, key, value, line, err);
	if (strcmp(key, "syslog") == 0) {
		if (strcmp(value, "yes") == 0)
			x->log.syslog = 1;
		else if (strcmp(value, "no") == 0)
			x->log.syslog = 0;
		else
			return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: "
			    "key 'syslog': expected yes or no", x->home, line);
		return 0;
	}
	if (strcmp(key, "log_format") == 0) {
		if (strcmp(value, "text") == 0)
			x->log.format = LOG_TEXT;
		else if (strcmp(value, "json") == 0)
			x->log.format = LOG_JSON;
		else
			return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: "
			    "key 'log_format': expected text or json",
			    x->home, line);
		return 0;
	}
	return xerr_set(err, XERR_CONFIG, 0, "%s/xfer.conf:%u: key '%s': "
	    "unknown key in [xfer]", x->home, line, key);
}

/* Reads xfer.conf if there is one; returns the exit status, EXIT_OK. */
static int
load_conf(struct xfer_ctx *x)
{
	struct xerr err;
	struct stat st;
	char *path;
	int rc = 0;

	if (asprintf(&path, "%s/xfer.conf", x->home) == -1) {
		cmd_error("out of memory");
		return EXIT_FAILED;
	}
	if (stat(path, &st) == 0 || errno != ENOENT)
		rc = ini_parse_file(path, conf_entry, x, &err);
	free(path);
	if (rc == -1) {
		cmd_error("%s", err.msg);
		/* Only a bad file is 78: running out of memory is not one. */
		return err.cls == XERR_NOMEM ? EXIT_FAILED : EXIT_CONFIG;
	}
	if (x->ledger_lease_s == 0)
		x->ledger_lease_s = LEDGER_LEASE_DEFAULT;
	if (x->ledger_node == NULL) {
		char host[256];
		char *dot;

		if (gethostname(host, sizeof(host)) == -1)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		/* The short name: what an operator calls the host. */
		if ((dot = strchr(host, '.')) != NULL)
			*dot = '\0';
		if (x->ledger_url != NULL && !node_name_ok(host)) {
			cmd_error("%s/xfer.conf: [ledger] needs 'node = NAME': "
			    "the host name '%s' cannot be one", x->home, host);
			return EXIT_CONFIG;
		}
		if ((x->ledger_node = strdup(host)) == NULL) {
			cmd_error("out of memory");
			return EXIT_FAILED;
		}
	}
	return EXIT_OK;
}

/* XFER_NOW="YYYY-MM-DD HH:MM" (local time) pins the clock for tests. */
static int
pinned_now(time_t *now)
{
	const char *s = getenv("XFER_NOW");
	struct tm tm;
	char *end;

	if (s == NULL || *s == '\0')
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	*now = mktime(&tm);
	return 0;
}

int
main(int argc, char **argv)
{
	struct xfer_ctx x;
	const char *home = NULL, *logfmt = NULL;
	char resolved[PATH_MAX];
	mode_t mask;
	size_t i;
	int a, quiet = 0, verbose = 0, status;

	if (fds_sane() == -1)
		return EXIT_FAILED;
	mask = umask(0);
	umask(mask | 022);
	memset(&x, 0, sizeof(x));
	log_init(&x.log);
	x.prog = "xfer";
	x.now = time(NULL);

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--home") == 0 && a + 1 < argc)
			home = argv[++a];
		else if (strncmp(argv[a], "--home=", 7) == 0)
			home = argv[a] + 7;
		else if (strcmp(argv[a], "-q") == 0 ||
		    strcmp(argv[a], "--quiet") == 0)
			quiet = 1;
		else if (strcmp(argv[a], "-v") == 0 ||
		    strcmp(argv[a], "--verbose") == 0)
			verbose = 1;
		else if (strcmp(argv[a], "--log-format") == 0 && a + 1 < argc)
			logfmt = argv[++a];
		else if (strncmp(argv[a], "--log-format=", 13) == 0)
			logfmt = argv[a] + 13;
		else if (strcmp(argv[a], "--help") == 0 ||
		    strcmp(argv[a], "-h") == 0) {
			usage(stdout);
			return cmd_finish_stdout(EXIT_OK);
		} else if (strcmp(argv[a], "--version") == 0) {
			printf("xfer %s\n", XFER_VERSION);
			return cmd_finish_stdout(EXIT_OK);
		} else {
			cmd_error("unknown option '%s'", argv[a]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (a >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (quiet && verbose) {
		cmd_error("-q and -v cannot be used together");
		return EXIT_USAGE;
	}
	if (pinned_now(&x.now) == -1) {
		cmd_error("XFER_NOW must look like 'YYYY-MM-DD HH:MM'");
		return EXIT_USAGE;
	}
	if (home == NULL)
		home = getenv("XFER_HOME");
	if (home == NULL || *home == '\0')
		home = "/var/lib/xfer";
	/* "xfer COMMAND --help" needs no home. */
	for (i = (size_t)a + 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			home = ".";
	if (realpath(home, resolved) == NULL) {
		cmd_error("cannot use home '%s': %s; give --home DIR or set "
		    "XFER_HOME", home, strerror(errno));
		return EXIT_CONFIG;
	}
	if ((x.home = strdup(resolved)) == NULL) {
		cmd_error("out of memory");
		return EXIT_FAILED;
	}
	if ((status = load_conf(&x)) != EXIT_OK) {
		free(x.home);
		return status;
	}
	if (logfmt != NULL) {
		if (strcmp(logfmt, "text") == 0)
			x.log.format = LOG_TEXT;
		else if (strcmp(logfmt, "json") == 0)
			x.log.format = LOG_JSON;
		else {
			cmd_error("--log-format must be text or json");
			free(x.home);
			return EXIT_USAGE;
		}
	}
	if (x.log.syslog)
		syslogger_open();
	if (quiet)
		x.log.level = LOG_ERROR;
	if (verbose)
		x.log.level = LOG_DEBUG;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[a], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		cmd_error("unknown command '%s'", argv[a]);
		usage(stderr);
		free(x.home);
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cmd_error("cannot initialise libcurl");
		free(x.home);
		return EXIT_FAILED;
	}
	status = commands[i].fn(&x, argc - a, argv + a);
	curl_global_cleanup();
	free(x.home);
	free(x.ledger_url);
	free(x.ledger_node);
	free(x.ledger_password_file);
	return cmd_finish_stdout(status);
}
