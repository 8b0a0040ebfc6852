/*
 * xfer ledger migrate: this home's SQLite ledger (spool/ledger.db) into
 * the PostgreSQL ledger xfer.conf names, with a table of what was copied
 * and a comparison read back from PostgreSQL (lib/ledger_migrate.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "ledger.h"
#include "ledger_migrate.h"

static void
ledger_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer ledger migrate\n"
	    "  copies this home's SQLite ledger (spool/ledger.db) into the "
	    "PostgreSQL\n  ledger of xfer.conf's [ledger] url, its rows "
	    "marked with this host's node;\n  a second run adds nothing.  "
	    "Rows PostgreSQL has with other content are\n  reported as "
	    "conflicts and left alone.  Prints per table the rows in SQLite,\n"
	    "  copied now, already there, conflicts, and the rows and "
	    "SHA-256 read back;\n  exits 0 only when every table is "
	    "identical.\n");
}

static int
migrate(struct xfer_ctx *x)
{
	struct migrate_report r;
	struct ledger_conf conf;
	const struct migrate_table *t;
	struct xerr err;
	char *lpath = NULL;
	long long total = 0;
	size_t i;
	int status = EXIT_OK, differ = 0, retired = 0;

	if (x->ledger_url == NULL) {
		cmd_error("ledger migrate: xfer.conf has no [ledger] url: "
		    "there is no PostgreSQL ledger to migrate to (see "
		    "xfer.conf(5))");
		return EXIT_CONFIG;
	}
	cmd_ledger_conf(x, &conf, &lpath);
	if (lpath == NULL) {
		cmd_error("out of memory");
		return EXIT_FAILED;
	}
	/* A second run, after the first retired the file, checks again. */
	if (access(lpath, F_OK) == -1 && errno == ENOENT) {
		char *kept;

		if (asprintf(&kept, "%s.migrated", lpath) == -1) {
			cmd_error("out of memory");
			free(lpath);
			return EXIT_FAILED;
		}
		if (access(kept, F_OK) == -1) {
			cmd_error("ledger migrate: there is no '%s' to migrate",
			    lpath);
			free(kept);
			free(lpath);
			return EXIT_FAILED;
		}
		free(lpath);
		lpath = kept;
		retired = 1;
	}
	xerr_clear(&err);
	if (ledger_migrate(lpath, &conf, &r, &err) == -1) {
		cmd_error("ledger migrate: %s; nothing was copied", err.msg);
		migrate_report_release(&r);
		free(lpath);
		return err.cls == XERR_CONFIG ? EXIT_CONFIG : EXIT_FAILED;
	}
	printf("migrate: SQLite '%s' -> PostgreSQL '%s', node %s\n", lpath,
	    conf.url, conf.node);
	printf("%-15s %8s %8s %8s %8s %8s  %-16s %-16s %s\n", "TABLE",
	    "SQLITE", "COPIED", "THERE", "CONFLICT", "READBACK",
	    "SQLITE-SHA256", "PG-SHA256", "RESULT");
	for (i = 0; i < MIGRATE_TABLES; i++) {
		t = &r.t[i];
		total += t->rows;
		printf("%-15s %8lld %8lld %8lld %8lld %8lld  %.16s %.16s %s\n",
		    t->name, t->rows, t->copied, t->there, t->conflicts,
		    t->read_back, t->sqlite_sha256, t->pg_sha256,
		    t->identical ? "identical" : "DIFFERENT");
		if (!t->identical)
			differ++;
	}
	for (i = 0; i < r.conflicts.n; i++)
		cmd_error("ledger migrate: conflict: %s", r.conflicts.v[i]);
	if (differ == 0) {
		printf("migrate: %d tables, %lld rows, identical\n",
		    MIGRATE_TABLES, total);
		if (!retired && ledger_migrate_retire(lpath, &err) == -1) {
			cmd_error("ledger migrate: %s; rerun 'xfer ledger "
			    "migrate'", err.msg);
			status = EXIT_FAILED;
		} else if (!retired)
			printf("migrate: '%s' is now '%s.migrated', kept as a "
			    "copy; this host's ledger is PostgreSQL from now "
			    "on\n", lpath, lpath);
	} else {
		printf("migrate: %d tables, %lld rows, %d different:",
		    MIGRATE_TABLES, total, differ);
		for (i = 0; i < MIGRATE_TABLES; i++)
			if (!r.t[i].identical)
				printf(" %s (%lld of %lld read back, %lld "
				    "conflicts)", r.t[i].name,
				    r.t[i].read_back, r.t[i].rows,
				    r.t[i].conflicts);
		printf("\n");
		status = EXIT_FAILED;
	}
	migrate_report_release(&r);
	free(lpath);
	return status;
}

int
cmd_ledger(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'h': ledger_usage(stdout); return EXIT_OK;
		default: ledger_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cmd_error("ledger: which? (migrate)");
		ledger_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "migrate") == 0) {
		if (optind + 1 < argc) {
			if (strcmp(argv[optind + 1], "--help") == 0 ||
			    strcmp(argv[optind + 1], "-h") == 0) {
				ledger_usage(stdout);
				return EXIT_OK;
			}
			cmd_error("ledger migrate: takes no arguments");
			return EXIT_USAGE;
		}
		return migrate(x);
	}
	cmd_error("ledger: unknown subcommand '%s' (migrate)", argv[optind]);
	ledger_usage(stderr);
	return EXIT_USAGE;
}
