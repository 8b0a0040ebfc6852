/*
 * xfer cron: print what to install so that cron or a systemd timer calls
 * `xfer run` every minute, with this binary and this home spelled out as
 * absolute paths (cron starts commands with almost no environment: no
 * HOME we can rely on, PATH=/usr/bin:/bin, no terminal).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"

static void
cron_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer cron [--systemd]\n"
	    "  prints a crontab line that runs 'xfer -q run' every minute "
	    "for this home;\n"
	    "  --systemd prints an xfer.service and an xfer.timer instead.\n");
}

/* Bytes a shell and cron take literally, unquoted. */
static int
shell_plain(const char *s)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_@+=:,./-";

	return *s != '\0' && strspn(s, ok) == strlen(s);
}

/*
 * s as one word of a crontab command: single-quoted for sh when needed,
 * and every '%' escaped, since cron turns a bare '%' into a newline.
 */
static int
crontab_word(struct buf *b, const char *s)
{
	int quote = !shell_plain(s), rc = 0;
	const char *p;

	if (quote)
		rc |= buf_putc(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			rc |= buf_puts(b, "'\\''");
		else if (*p == '%')
			rc |= buf_puts(b, "\\%");
		else
			rc |= buf_putc(b, (unsigned char)*p);
	}
	if (quote)
		rc |= buf_putc(b, '\'');
	return rc ? -1 : 0;
}

/*
 * s as one word of a systemd command line: double-quoted with C escapes
 * when needed; '%' (specifiers) and '$' (variables) doubled everywhere.
 */
static int
unit_word(struct buf *b, const char *s)
{
	int quote = !shell_plain(s), rc = 0;
	const char *p;

	if (quote)
		rc |= buf_putc(b, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '%')
			rc |= buf_puts(b, "%%");
		else if (*p == '$')
			rc |= buf_puts(b, "$$");
		else if (quote && (*p == '"' || *p == '\\'))
			rc |= buf_printf(b, "\\%c", *p);
		else
			rc |= buf_putc(b, (unsigned char)*p);
	}
	if (quote)
		rc |= buf_putc(b, '"');
	return rc ? -1 : 0;
}

static int
crontab_text(struct buf *b, const char *bin, const char *home)
{
	int rc = 0;

	rc |= buf_puts(b,
	    "# xfer: every minute, run the jobs whose schedule came due "
	    "(each job's own\n"
	    "# schedule decides; a missed slot runs once).  -q: output only "
	    "on failure,\n"
	    "# so cron mails failures only.  Install with 'crontab -e' as "
	    "the user that\n"
	    "# owns the spool; in /etc/cron.d add that user's name after "
	    "the five fields.\n"
	    "* * * * * XFER_HOME=");
	rc |= crontab_word(b, home);
	rc |= buf_putc(b, ' ');
	rc |= crontab_word(b, bin);
	rc |= buf_puts(b, " -q run\n");
	return rc ? -1 : 0;
}

static int
systemd_text(struct buf *b, const char *bin, const char *home)
{
	struct passwd *pw;
	int rc = 0;

	rc |= buf_puts(b,
	    "# Install the two units below, then:\n"
	    "#   systemctl daemon-reload && systemctl enable --now xfer.timer\n"
	    "\n"
	    "# --- /etc/systemd/system/xfer.service ---\n"
	    "[Unit]\n"
	    "Description=xfer: run the batch transfer jobs that are due\n"
	    "Documentation=man:xfer(1) man:xfer.job(5)\n"
	    "Wants=network-online.target\n"
	    "After=network-online.target\n"
	    "\n"
	    "[Service]\n"
	    "Type=oneshot\n");
	/* The spool must belong to the user xfer runs as: the one asking. */
	if ((pw = getpwuid(geteuid())) != NULL && shell_plain(pw->pw_name))
		rc |= buf_printf(b, "User=%s\n", pw->pw_name);
	else
		rc |= buf_printf(b, "# User= the owner of %s/spool\n", home);
	rc |= buf_puts(b, "ExecStart=");
	rc |= unit_word(b, bin);
	rc |= buf_puts(b, " --home ");
	rc |= unit_word(b, home);
	rc |= buf_puts(b, " -q run\n"
	    "# xfer writes to its home and to local destinations anywhere, "
	    "so only\n"
	    "# /usr, /boot and /etc are made read-only.\n"
	    "NoNewPrivileges=yes\n"
	    "PrivateTmp=yes\n"
	    "ProtectSystem=full\n"
	    "\n"
	    "# --- /etc/systemd/system/xfer.timer ---\n"
	    "[Unit]\n"
	    "Description=xfer: check every minute for batch transfer jobs "
	    "that are due\n"
	    "Documentation=man:xfer(1)\n"
	    "\n"
	    "[Timer]\n"
	    "OnCalendar=*-*-* *:*:00\n"
	    "AccuracySec=1s\n"
	    "Persistent=true\n"
	    "\n"
	    "[Install]\n"
	    "WantedBy=timers.target\n");
	return rc ? -1 : 0;
}

int
cmd_cron(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "systemd", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char bin[PATH_MAX];
	struct buf b;
	int c, systemd = 0, status = EXIT_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's': systemd = 1; break;
		case 'h': cron_usage(stdout); return EXIT_OK;
		default: cron_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_error("cron: unexpected argument '%s'", argv[optind]);
		cron_usage(stderr);
		return EXIT_USAGE;
	}
	/* This very binary, wherever it was started from. */
	if (realpath("/proc/self/exe", bin) == NULL) {
		cmd_error("cron: cannot find the path of this program: %s",
		    strerror(errno));
		return EXIT_FAILED;
	}
	/* Neither cron nor systemd can carry a newline inside a command. */
	if (strchr(bin, '\n') != NULL || strchr(x->home, '\n') != NULL) {
		cmd_error("cron: cannot write '%s' into a command line: it "
		    "contains a newline", strchr(bin, '\n') ? bin : x->home);
		return EXIT_FAILED;
	}
	buf_init(&b, 0);
	if ((systemd ? systemd_text(&b, bin, x->home) :
	    crontab_text(&b, bin, x->home)) == -1) {
		cmd_error("out of memory");
		status = EXIT_FAILED;
	} else
		fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	return status;
}
