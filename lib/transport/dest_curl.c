/*
 * dest_curl: SFTP and HTTPS destinations through libcurl.
 *
 * One easy handle per destination and run: libcurl keeps the SSH or TLS
 * connection between requests, so a backfill of many batches pays one
 * handshake.  Every request starts from curl_easy_reset() plus the same
 * safety settings: only the destination's protocol (redirects included,
 * and redirects are never followed), no environment proxies, host keys
 * and certificates always verified, connect and stall timeouts.
 *
 * SFTP: upload NAME+suffix and rename it to NAME in the same request
 * (libcurl's POSTQUOTE runs after a complete transfer): one request a
 * file after the probe.  OpenSSH speaks SFTP v3, whose rename refuses an
 * existing target, so an older NAME is first moved aside and removed
 * after.  HTTPS: PUT NAME+suffix, then WebDAV MOVE onto NAME; a server
 * without MOVE gets a PUT of NAME itself (and `xfer check --connect` says
 * so).  Every upload must have handed over all its bytes.  Every PUT
 * carries an Idempotency-Key derived from job, date and SHA-256.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "dest.h"
#include "digest.h"
#include "fault.h"
#include "fsutil.h"

#include "curl_impl.h"

/* --- host keys -------------------------------------------------------- */

static const char *
key_type_name(enum curl_khtype t)
{
	switch (t) {
	case CURLKHTYPE_RSA1:
	case CURLKHTYPE_RSA:	return "ssh-rsa";
	case CURLKHTYPE_DSS:	return "ssh-dss";
	case CURLKHTYPE_ECDSA:	return "ecdsa-sha2";
	case CURLKHTYPE_ED25519: return "ssh-ed25519";
	default:		return "unknown";
	}
}

/* The SHA-256 fingerprint as ssh-keygen -l prints it (unpadded base64). */
static void
key_fingerprint(const struct curl_khkey *k, char *out, size_t size)
{
	unsigned char raw[8192], md[EVP_MAX_MD_SIZE];
	unsigned char b64[64];
	unsigned int mdlen = 0;
	size_t len;
	int n;

	out[0] = '\0';
	if (k->len == 0) {
		len = strlen(k->key);
		if (len > sizeof(raw) / 3 * 4)
			return;
		n = EVP_DecodeBlock(raw, (const unsigned char *)k->key,
		    (int)len);
		if (n < 0)
			return;
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		while (len > 0 && k->key[len - 1] == '=') {
			len--;
			n--;
		}
		len = (size_t)n;
	} else {
		if (k->len > sizeof(raw))
			return;
		memcpy(raw, k->key, k->len);
		len = k->len;
	}
	EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL);
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, size, "%.*s", n, (const char *)b64);
}

static int
key_check(CURL *easy, const struct curl_khkey *known,
    const struct curl_khkey *found, enum curl_khmatch match, void *ctx)
{
	struct curl_dest *c = ctx;
	char fp[64];

	(void)easy;
	(void)known;
	key_fingerprint(found, fp, sizeof(fp));
	snprintf(c->offered, sizeof(c->offered), "%s key SHA256:%s",
	    key_type_name(found->keytype), fp);
	c->key_match = match;
	if (c->pin[0] != '\0') {
		if (fp[0] != '\0' && strcmp(fp, c->pin) == 0)
			return CURLKHSTAT_FINE;
	} else if (match == CURLKHMATCH_OK) {
		return CURLKHSTAT_FINE;
	}
	/* Never "accept new": an unknown key is as bad as a wrong one. */
	c->key_rejected = 1;
	return CURLKHSTAT_REJECT;
}

/* --- errors ----------------------------------------------------------- */

static int
host_key_error(struct curl_dest *c, struct xerr *err)
{
	const char *fp = strstr(c->offered, "SHA256:");

	if (c->pin[0] != '\0')
		return xerr_set(err, XERR_PERM, 0, "host key of '%s' does not "
		    "match host_key_sha256 = %s: the server offered %s; if "
		    "the server's key really changed, check it out of band "
		    "and pin the new one", c->base, c->pin, c->offered);
	if (c->key_match == CURLKHMATCH_MISMATCH)
		return xerr_set(err, XERR_PERM, 0, "host key of '%s' does NOT "
		    "match known_hosts '%s': the server offered %s (a "
		    "changed key, or someone in the middle); fix known_hosts "
		    "only after checking the key out of band", c->base,
		    c->job->upload.known_hosts, c->offered);
	return xerr_set(err, XERR_PERM, 0, "host key of '%s' is unknown: "
	    "the server offered %s, which is not in %s; after checking it "
	    "out of band, pin it with host_key_sha256 = %s or add it to "
	    "known_hosts (as [host]:port for a port other than 22)", c->base,
	    c->offered, c->job->upload.known_hosts ?
	    c->job->upload.known_hosts : "any known_hosts",
	    fp ? fp + 7 : "...");
}

/* Sort a libcurl failure into transient and permanent. */
int
curl_dest_error(struct curl_dest *c, CURLcode rc, const char *what,
    struct xerr *err)
{
	enum xerr_class cls = XERR_TEMP;
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
	const char *hint = "";
	curl_off_t pre = -1;
	long conns = 0;

	if (c->key_rejected)
		return host_key_error(c, err);
	/* A listener that accepts and then says nothing (a hung daemon, a
	 * wrong port) times out like a dead network; tell them apart. */
	if (rc == CURLE_OPERATION_TIMEDOUT &&
	    curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &conns) ==
	    CURLE_OK && conns > 0 &&
	    curl_easy_getinfo(c->h, CURLINFO_PRETRANSFER_TIME_T, &pre) ==
	    CURLE_OK && pre == 0)
		hint = c->sftp ? "; the server accepted the connection but "
		    "did not complete the SSH handshake within connect_timeout" :
		    "; the server accepted the connection but did not "
		    "complete the TLS handshake within connect_timeout";
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_LOGIN_DENIED:
	case CURLE_REMOTE_ACCESS_DENIED:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		/* CURLE_REMOTE_DISK_FULL stays transient, like HTTP 507:
		 * space is freed, and the batch goes then. */
		cls = XERR_PERM;
		break;
	case CURLE_SSH:
	case CURLE_QUOTE_ERROR:
	case CURLE_UPLOAD_FAILED:
		/* libcurl's SSH codes are coarse; the message is not. */
		if (strstr(detail, "ermission denied") != NULL)
			cls = XERR_PERM;
		break;
	default:
		break;
	}
	return xerr_set(err, cls, 0, "%s: %s%s (curl error %d%s)", what,
	    detail, hint, (int)rc, cls == XERR_TEMP ? ", will retry" : "");
}

int
curl_dest_http_error(struct curl_dest *c, long code, const char *what,
    struct xerr *err)
{
	/* 408 and 429 ask us to come back; other 4xx will not change. */
	enum xerr_class cls = code >= 500 || code == 408 || code == 429 ||
	    code == 0 ? XERR_TEMP : XERR_PERM;
	curl_off_t after = 0;
	char ra[64] = "";

	/* Said in the message too: the wait it causes shows in the log. */
	if (cls == XERR_TEMP && curl_easy_getinfo(c->h, CURLINFO_RETRY_AFTER,
	    &after) == CURLE_OK && after > 0)
		snprintf(ra, sizeof(ra), " (Retry-After: %lld s)",
		    (long long)after);
	else
		after = 0;
	xerr_set(err, cls, 0, "%s: the server answered HTTP %ld%s%s", what,
	    code, code == 401 ? " (check user and password_file)" :
	    code == 403 ? " (permission denied)" : code >= 300 && code < 400 ?
	    " (redirects are never followed: put the final URL in 'url')" :
	    "", ra);
	err->retry_after_s = (long)after;
	return -1;
}

/* --- requests --------------------------------------------------------- */

char *
curl_dest_url(struct curl_dest *c, const char *name)
{
	char *esc, *s;

	if ((esc = curl_easy_escape(c->h, name, 0)) == NULL)
		return NULL;
	if (asprintf(&s, "%s%s", c->base, esc) == -1)
		s = NULL;
	curl_free(esc);
	return s;
}

static int
on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct curl_dest *c = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	progress_update(&c->progress, (long long)ulnow);
	return 0;
}

static size_t
read_file(char *p, size_t size, size_t n, void *ctx)
{
	struct curl_dest *c = ctx;
	size_t got;

	FAULT_POINT("upload_mid");
	got = fread(p, size, n, c->in);

	if (got == 0 && ferror(c->in))
		return CURL_READFUNC_ABORT;
	/* The whole .part is handed over (libcurl stops asking once it has
	 * the size it was told); the rename follows in the same request. */
	c->unread -= (long long)got;
	if (got > 0 && c->unread <= 0 && c->rename_after)
		FAULT_POINT("remote_before_rename");
	return got;
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static size_t
hash_body(char *p, size_t size, size_t n, void *ctx)
{
	struct curl_dest *c = ctx;

	sha256_update(&c->hash, p, size * n);
	return size * n;
}

/* The settings every request starts from. */
void
curl_dest_setup(struct curl_dest *c, const char *url)
{
	const struct job_upload *up = &c->job->upload;
	CURL *h = c->h;
	long stall_s = up->stall_timeout_ms / 1000;

	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	c->key_rejected = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->sftp ? "sftp" : "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* "" disables http_proxy & co: cron and a shell must agree. */
	curl_easy_setopt(h, CURLOPT_PROXY, up->proxy ? up->proxy : "");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, up->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s > 0 ? stall_s : 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (up->user)
		curl_easy_setopt(h, CURLOPT_USERNAME, up->user);
	if (c->password)
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	if (c->sftp) {
		long auth = 0;

		if (up->identity) {
			auth |= CURLSSH_AUTH_PUBLICKEY;
			curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE,
			    up->identity);
			if (c->passphrase)
				curl_easy_setopt(h, CURLOPT_KEYPASSWD,
				    c->passphrase);
		}
		if (c->password)
			auth |= CURLSSH_AUTH_PASSWORD;
		curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES,
		    auth ? auth : (long)CURLSSH_AUTH_PUBLICKEY);
		/* Our callback decides about every host key, also for a
		 * pin (then with an empty known_hosts), so a refusal can
		 * name the key that was offered. */
		curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS,
		    up->known_hosts && c->pin[0] == '\0' ? up->known_hosts :
		    "/dev/null");
		curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, key_check);
		curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, c);
	} else {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		if (up->ca_file)
			curl_easy_setopt(h, CURLOPT_CAINFO, up->ca_file);
		if (up->client_cert)
			curl_easy_setopt(h, CURLOPT_SSLCERT, up->client_cert);
		if (up->client_key)
			curl_easy_setopt(h, CURLOPT_SSLKEY, up->client_key);
		if (c->password)
			curl_easy_setopt(h, CURLOPT_HTTPAUTH,
			    (long)CURLAUTH_BASIC);
	}
}

/* A HEAD (HTTPS) or stat (SFTP) of name: *size, or -1 when absent. */
static int
remote_size(struct curl_dest *c, const char *name, long long *size,
    struct xerr *err)
{
	curl_off_t len = -1;
	char *url, what[512];
	long code = 0;
	CURLcode rc;

	if ((url = curl_dest_url(c, name)) == NULL)
		return xerr_nomem(err);
	curl_dest_setup(c, url);
	curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
	rc = curl_easy_perform(c->h);
	snprintf(what, sizeof(what), "cannot look up '%s'", url);
	free(url);
	*size = -1;
	if (c->sftp) {
		if (rc == CURLE_REMOTE_FILE_NOT_FOUND)
			return 0;
		if (rc != CURLE_OK)
			return curl_dest_error(c, rc, what, err);
	} else {
		if (rc != CURLE_OK)
			return curl_dest_error(c, rc, what, err);
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 404 || code == 410)
			return 0;
		if (code < 200 || code > 299)
			return curl_dest_http_error(c, code, what, err);
	}
	curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	*size = len >= 0 ? (long long)len : -2;
	return 0;
}

/* --- what the directory holds (nameset.h) -------------------------- */

/*
 * The name in one "ls -l" line, as OpenSSH's server and libcurl write
 * them: mode, links, owner, group, size, month, day, time or year, name
 * ("name -> target" for a symbolic link).  0: not such a line.
 */
static int
ls_line_name(const char *line, size_t len, const char **name, size_t *nlen)
{
	const char *p = line, *end = line + len, *f, *arrow;
	int field, i;

	if (len < 11 || strchr("-dlcbps", line[0]) == NULL)
		return 0;
	for (i = 1; i < 10; i++)
		if (strchr("rwxsStT-", line[i]) == NULL)
			return 0;
	for (field = 0; field < 8; field++) {
		for (f = p; p < end && *p != ' '; p++)
			if (field == 4 && (*p < '0' || *p > '9'))
				return 0;
		if (p == f)
			return 0;
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			return 0;
	}
	*name = p;
	*nlen = (size_t)(end - p);
	if (line[0] == 'l' && (arrow = memmem(p, *nlen, " -> ", 4)) != NULL)
		*nlen = (size_t)(arrow - p);
	return 1;
}

/* SFTP: the names of an "ls -l" listing.  -1: a line of another form. */
static int
names_of_ls(struct curl_dest *c, const char *text)
{
	const char *line, *next, *name;
	size_t len, nlen;

	for (line = text; *line != '\0'; line = next) {
		len = strcspn(line, "\n");
		next = line[len] == '\n' ? line + len + 1 : line + len;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		if (!ls_line_name(line, len, &name, &nlen) ||
		    nameset_add(&c->names, name, nlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * HTTPS: the names in a WebDAV PROPFIND (Depth: 1) answer, the last path
 * segment of every <href> (whatever the namespace prefix), entity- and
 * percent-decoded.  -1: anything unexpected.
 */
static int
names_of_propfind(struct curl_dest *c, const char *xml)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	const char *p = xml, *q, *end, *seg;
	char raw[2048], name[2048];
	size_t n, k;
	int hrefs = 0;

	while ((p = strstr(p, "href>")) != NULL) {
		/* "<href>" or "<PREFIX:href>"; "</...href>" closes one. */
		for (q = p; q > xml && (isalnum((unsigned char)q[-1]) ||
		    q[-1] == ':' || q[-1] == '-' || q[-1] == '_' ||
		    q[-1] == '.'); q--)
			;
		if (q == xml || (q[-1] != '<' && q[-1] != '/'))
			return -1;
		if (q[-1] == '/') {
			p += 5;
			continue;
		}
		p += 5;
		if ((end = strchr(p, '<')) == NULL)
			return -1;
		for (n = 0; p < end; ) {
			if (n + 1 >= sizeof(raw))
				return -1;
			if (*p != '&') {
				raw[n++] = *p++;
				continue;
			}
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
				if (strncmp(p, ents[k].ent, strlen(ents[k].ent))
				    == 0)
					break;
			if (k == sizeof(ents) / sizeof(ents[0]))
				return -1;
			raw[n++] = ents[k].ch;
			p += strlen(ents[k].ent);
		}
		raw[n] = '\0';
		while (n > 0 && raw[n - 1] == '/')
			raw[--n] = '\0';
		seg = strrchr(raw, '/');
		seg = seg ? seg + 1 : raw;
		if (curl_dest_pct_decode(seg, strlen(seg), name,
		    sizeof(name)) == -1 || nameset_add(&c->names, name,
		    strlen(name)) == -1)
			return -1;
		hrefs++;
	}
	/* The collection itself is always among them. */
	return hrefs > 0 ? 0 : -1;
}

/* Take the listing (SFTP: "ls -l" lines, HTTPS: WebDAV PROPFIND). */
static void
list_directory(struct curl_dest *c)
{
	struct xerr e;
	struct buf b;

	if (curl_dest_fetch_listing(c, !c->sftp, &b, &e) == -1) {
		buf_release(&b);
		nameset_drop(&c->names);
		log_event(c->lg, LOG_DEBUG, c->job->name, NULL, "listing", NULL,
		    "probing name by name: %s", e.msg);
		return;
	}
	if ((c->sftp ? names_of_ls(c, b.data) :
	    names_of_propfind(c, b.data)) == -1) {
		buf_release(&b);
		nameset_drop(&c->names);
		log_event(c->lg, LOG_DEBUG, c->job->name, NULL, "listing", NULL,
		    "probing name by name: the listing of %s is not of a "
		    "known form", c->base);
		return;
	}
	buf_release(&b);
	if (nameset_done(&c->names))
		log_event(c->lg, LOG_DEBUG, c->job->name, NULL, "listing",
		    NULL, "%s holds %zu names: new names need no lookup",
		    c->base, c->names.n);
}

/* 1: name is certainly absent from the directory (no request needed). */
static int
known_absent(struct curl_dest *c, const char *name)
{
	/* An "ls -l" line cannot tell where such a name ends. */
	if (strpbrk(name, " \r\n") != NULL)
		return 0;
	if (nameset_due(&c->names))
		list_directory(c);
	return nameset_absent(&c->names, name);
}

static int
curl_probe(void *state, const char *name, const char *local_path,
    const char *sha256, long long size, enum dest_probe *res,
    struct xerr *err)
{
	struct curl_dest *c = state;
	char hex[SHA256_HEXLEN], *url, what[512];
	long long have;
	long code = 200;
	CURLcode rc;

	(void)local_path;
	if (known_absent(c, name)) {
		*res = DEST_ABSENT;
		return 0;
	}
	if (remote_size(c, name, &have, err) == -1)
		return -1;
	if (have == -1) {
		*res = DEST_ABSENT;
		return 0;
	}
	nameset_seen(&c->names, name);
	if (have != size && have != -2) {
		*res = DEST_DIFFERENT;
		return 0;
	}
	/* Same size: only the bytes can tell (rare: a resend). */
	if ((url = curl_dest_url(c, name)) == NULL)
		return xerr_nomem(err);
	if (sha256_init(&c->hash, err) == -1) {
		free(url);
		return -1;
	}
	curl_dest_setup(c, url);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, hash_body);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	rc = curl_easy_perform(c->h);
	snprintf(what, sizeof(what), "cannot read '%s'", url);
	free(url);
	if (!c->sftp)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code < 200 || code > 299) {
		sha256_release(&c->hash);
		return rc != CURLE_OK ? curl_dest_error(c, rc, what, err) :
		    curl_dest_http_error(c, code, what, err);
	}
	sha256_final(&c->hash, hex);
	*res = strcmp(hex, sha256) == 0 ? DEST_SAME : DEST_DIFFERENT;
	return 0;
}

/*
 * Upload local_path to url (creating missing directories on SFTP); then,
 * SFTP only, run the commands of post (NULL: none) in the same request.
 */
static int
upload(struct curl_dest *c, const char *url, const struct put_req *req,
    struct curl_slist *post, struct xerr *err)
{
	struct curl_slist *hdr = NULL;
	char what[512], key[SHA256_HEXLEN], line[128];
	curl_off_t sent = -1;
	struct sha256 h;
	long code = 0;
	CURLcode rc;
	int ret = -1;

	FAULT_POINT("upload_start");
	if ((c->in = fopen(req->local_path, "rbe")) == NULL)
		return xerr_set(err, XERR_TEMP, errno, "cannot open '%s'",
		    req->local_path);
	curl_dest_setup(c, url);
	curl_easy_setopt(c->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->h, CURLOPT_READFUNCTION, read_file);
	curl_easy_setopt(c->h, CURLOPT_READDATA, c);
	curl_easy_setopt(c->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->size);
	c->unread = req->size;
	if (c->sftp) {
		curl_easy_setopt(c->h, CURLOPT_FTP_CREATE_MISSING_DIRS,
		    (long)CURLFTP_CREATE_DIR);
		curl_easy_setopt(c->h, CURLOPT_UPLOAD_BUFFERSIZE,
		    (long)SFTP_BUFFER);
		if (post != NULL)
			curl_easy_setopt(c->h, CURLOPT_POSTQUOTE, post);
		c->rename_after = post != NULL;
		if (post != NULL && req->size == 0)
			FAULT_POINT("remote_before_rename");
	} else {
		/* The same batch always carries the same key, so a partner
		 * can drop a repeated delivery. */
		if (sha256_init(&h, err) == -1)
			goto out;
		sha256_update(&h, req->job, strlen(req->job));
		sha256_update(&h, "\n", 1);
		sha256_update(&h, req->date, strlen(req->date));
		sha256_update(&h, "\n", 1);
		sha256_update(&h, req->name, strlen(req->name));
		sha256_update(&h, "\n", 1);
		sha256_update(&h, req->sha256, strlen(req->sha256));
		sha256_final(&h, key);
		snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
		if ((hdr = curl_slist_append(NULL, line)) == NULL ||
		    curl_slist_append(hdr, "Expect:") == NULL) {
			xerr_nomem(err);
			goto out;
		}
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
	}
	progress_begin(&c->progress, c->lg, req->name, req->size);
	curl_easy_setopt(c->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, c->progress.active ? 0L :
	    1L);
	rc = curl_easy_perform(c->h);
	progress_end(&c->progress);
	c->rename_after = 0;
	snprintf(what, sizeof(what), "upload of '%s' to '%s' failed",
	    req->name, url);
	if (c->sftp && rc == CURLE_SSH && c->errbuf[0] == '\0') {
		curl_off_t sent = 0;

		/* libcurl says nothing when an SFTP write fails, and an
		 * OpenSSH server (SFTP v3) has no status for a full disk:
		 * say how far it got and what is likely. */
		curl_easy_getinfo(c->h, CURLINFO_SIZE_UPLOAD_T, &sent);
		snprintf(c->errbuf, sizeof(c->errbuf), "the server failed a "
		    "write or dropped the connection after %lld of %lld "
		    "bytes (a full disk or quota there, or a broken "
		    "connection)", (long long)sent, req->size);
	} else if (c->sftp && (rc == CURLE_SEND_ERROR ||
	    rc == CURLE_RECV_ERROR)) {
		curl_off_t sent = 0;

		curl_easy_getinfo(c->h, CURLINFO_SIZE_UPLOAD_T, &sent);
		snprintf(c->errbuf, sizeof(c->errbuf), "the server dropped "
		    "the connection after %lld of %lld bytes", (long long)sent,
		    req->size);
	} else if (c->sftp && rc == CURLE_QUOTE_ERROR) {
		snprintf(c->errbuf, sizeof(c->errbuf), "uploaded, but the "
		    "server refused to rename it into place (did '%s' appear "
		    "there meanwhile?)", req->name);
	} else if (c->sftp && rc == CURLE_REMOTE_FILE_NOT_FOUND) {
		/* Missing directories were asked for: they could not be
		 * made. */
		snprintf(c->errbuf, sizeof(c->errbuf), "the directory '%s' "
		    "is missing and cannot be created there", c->dir);
	}
	if (rc != CURLE_OK) {
		curl_dest_error(c, rc, what, err);
		goto out;
	}
	if (!c->sftp) {
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code > 299) {
			curl_dest_http_error(c, code, what, err);
			goto out;
		}
	}
	/* SFTP acknowledges every write; an HTTP server that answered 2xx
	 * before it had the whole body stored a short file. */
	curl_easy_getinfo(c->h, CURLINFO_SIZE_UPLOAD_T, &sent);
	if ((long long)sent != req->size) {
		xerr_set(err, XERR_TEMP, 0, "%s: the server took %lld of %lld "
		    "bytes", what, (long long)sent, req->size);
		goto out;
	}
	ret = 0;
out:
	curl_slist_free_all(hdr);
	fclose(c->in);
	c->in = NULL;
	return ret;
}

int
curl_dest_quote_add(struct curl_slist **l, const char *fmt, const char *a,
    const char *b)
{
	char *s;
	struct curl_slist *n;

	if (asprintf(&s, fmt, a, b) == -1)
		return -1;
	n = curl_slist_append(*l, s);
	free(s);
	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

/* Run SFTP quote commands, then stat name (its size in *size). */
int
curl_dest_sftp_quote(struct curl_dest *c, struct curl_slist *cmds, const char *name,
    long long *size, struct xerr *err)
{
	curl_off_t len = -1;
	char *url, what[512];
	CURLcode rc;

	if ((url = curl_dest_url(c, name)) == NULL)
		return xerr_nomem(err);
	curl_dest_setup(c, url);
	curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c->h, CURLOPT_QUOTE, cmds);
	rc = curl_easy_perform(c->h);
	snprintf(what, sizeof(what), "cannot rename to '%s'", url);
	free(url);
	*size = -1;
	if (rc == CURLE_REMOTE_FILE_NOT_FOUND)
		return 0;
	if (rc != CURLE_OK)
		return curl_dest_error(c, rc, what, err);
	curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	/* libcurl reports no length for an empty file: -2, "unknown". */
	*size = len >= 0 ? (long long)len : -2;
	return 0;
}

static int
sftp_put(struct curl_dest *c, const struct put_req *req, struct xerr *err)
{
	const char *suffix = c->job->upload.temp_suffix;
	char *part = NULL, *url = NULL, *pfinal = NULL, *ppart = NULL;
	char *pold = NULL;
	struct curl_slist *cmds = NULL;
	long long size;
	int rc = -1;

	if (asprintf(&part, "%s%s", req->name, suffix) == -1 ||
	    asprintf(&pfinal, "%s%s", c->dir, req->name) == -1 ||
	    asprintf(&ppart, "%s%s", c->dir, part) == -1 ||
	    asprintf(&pold, "%s%s.old", c->dir, part) == -1 ||
	    (url = curl_dest_url(c, part)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (!req->exists) {
		/*
		 * The usual case, one request: upload NAME.part, then rename
		 * it in the same request (POSTQUOTE runs only after a
		 * complete transfer).  SFTP v3 refuses to rename onto an
		 * existing name, so a file that appeared since the probe
		 * fails the rename (retried) instead of being overwritten.
		 * A .part a killed run left behind is simply overwritten.
		 */
		if (curl_dest_quote_add(&cmds, "rename \"%s\" \"%s\"", ppart, pfinal) ==
		    -1) {
			xerr_nomem(err);
			goto out;
		}
		if (upload(c, url, req, cmds, err) == -1)
			goto out;
		FAULT_POINT("remote_after_rename");
		rc = 0;
		goto out;
	}
	if (upload(c, url, req, NULL, err) == -1)
		goto out;
	/* SFTP v3 cannot rename over a file: move the old one aside
	 * first, so the name never holds a partial file. */
	if (curl_dest_quote_add(&cmds, "*rm \"%s\"%s", pold, "") == -1 ||
	    curl_dest_quote_add(&cmds, "rename \"%s\" \"%s\"", pfinal, pold) == -1 ||
	    curl_dest_quote_add(&cmds, "rename \"%s\" \"%s\"", ppart, pfinal) == -1 ||
	    curl_dest_quote_add(&cmds, "*rm \"%s\"%s", pold, "") == -1) {
		xerr_nomem(err);
		goto out;
	}
	FAULT_POINT("remote_before_rename");
	if (curl_dest_sftp_quote(c, cmds, req->name, &size, err) == -1)
		goto out;
	FAULT_POINT("remote_after_rename");
	if (size == -1 || (size != req->size && size != -2)) {
		xerr_set(err, XERR_TEMP, 0, "'%s' %s after the rename", pfinal,
		    size == -1 ? "is missing at the destination" :
		    "has the wrong size at the destination");
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(cmds);
	free(part);
	free(url);
	free(pfinal);
	free(ppart);
	free(pold);
	return rc;
}

/* WebDAV MOVE from -> to; *unsupported when the server has no MOVE. */
int
curl_dest_https_move(struct curl_dest *c, const char *from, const char *to,
    int overwrite, int *unsupported, struct xerr *err)
{
	struct curl_slist *hdr = NULL;
	char *dest = NULL, what[600];
	long code = 0;
	CURLcode rc;
	int ret = -1;

	*unsupported = 0;
	if (asprintf(&dest, "Destination: %s", to) == -1) {
		dest = NULL;
		return xerr_nomem(err);
	}
	if ((hdr = curl_slist_append(NULL, dest)) == NULL ||
	    curl_slist_append(hdr, overwrite ? "Overwrite: T" :
	    "Overwrite: F") == NULL) {
		xerr_nomem(err);
		goto out;
	}
	curl_dest_setup(c, from);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, "MOVE");
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(c->h);
	snprintf(what, sizeof(what), "MOVE of '%s' to '%s' failed", from, to);
	if (rc != CURLE_OK) {
		curl_dest_error(c, rc, what, err);
		goto out;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 405 || code == 501) {
		*unsupported = 1;
		ret = 0;
		goto out;
	}
	if (code == 412 && !overwrite) {
		/* Absent when probed (or listed): someone else put it. */
		xerr_set(err, XERR_TEMP, 0, "%s: '%s' appeared there meanwhile; "
		    "the next attempt looks at it again", what, to);
		goto out;
	}
	if (code < 200 || code > 299) {
		curl_dest_http_error(c, code, what, err);
		goto out;
	}
	ret = 0;
out:
	curl_slist_free_all(hdr);
	free(dest);
	return ret;
}

static int
https_delete(struct curl_dest *c, const char *name, struct xerr *err)
{
	char *url, what[512];
	long code = 0;
	CURLcode rc;

	if ((url = curl_dest_url(c, name)) == NULL)
		return xerr_nomem(err);
	curl_dest_setup(c, url);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, "DELETE");
	rc = curl_easy_perform(c->h);
	snprintf(what, sizeof(what), "DELETE of '%s' failed", url);
	free(url);
	if (rc != CURLE_OK)
		return curl_dest_error(c, rc, what, err);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 404 || code == 410 || (code >= 200 && code <= 299))
		return 0;
	return curl_dest_http_error(c, code, what, err);
}

static int
https_put(struct curl_dest *c, const struct put_req *req, struct xerr *err)
{
	char *part = NULL, *purl = NULL, *furl = NULL;
	int unsupported, rc = -1;

	if (asprintf(&part, "%s%s", req->name, c->job->upload.temp_suffix) ==
	    -1) {
		part = NULL;
		return xerr_nomem(err);
	}
	if ((purl = curl_dest_url(c, part)) == NULL ||
	    (furl = curl_dest_url(c, req->name)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (!c->no_move) {
		if (upload(c, purl, req, NULL, err) == -1)
			goto out;
		FAULT_POINT("remote_before_rename");
		if (curl_dest_https_move(c, purl, furl, req->exists,
		    &unsupported, err) == -1)
			goto out;
		if (!unsupported) {
			/* MOVE is one operation on the server. */
			FAULT_POINT("remote_after_rename");
			rc = 0;
			goto out;
		}
		log_event(c->lg, LOG_WARN, req->job, req->date, "no-move",
		    NULL, "'%s' refuses WebDAV MOVE: files are PUT under "
		    "their final name, relying on the server's atomic "
		    "write", c->base);
		c->no_move = 1;
		if (https_delete(c, part, err) == -1)
			goto out;
	}
	if (upload(c, furl, req, NULL, err) == -1)
		goto out;
	rc = 0;
out:
	free(part);
	free(purl);
	free(furl);
	return rc;
}

static int
curl_put(void *state, const struct put_req *req, struct xerr *err)
{
	struct curl_dest *c = state;

	if ((c->sftp ? sftp_put(c, req, err) : https_put(c, req, err)) == -1)
		return -1;
	nameset_insert(&c->names, req->name);
	return 0;
}

static int
curl_remove(void *state, const char *name, struct xerr *err)
{
	struct curl_dest *c = state;
	struct curl_slist *cmds = NULL;
	long long size;
	char *path;
	int rc;

	if (!c->sftp)
		return https_delete(c, name, err);
	if (asprintf(&path, "%s%s", c->dir, name) == -1)
		return xerr_nomem(err);
	rc = curl_dest_quote_add(&cmds, "*rm \"%s\"%s", path, "");
	free(path);
	if (rc == -1)
		return xerr_nomem(err);
	rc = curl_dest_sftp_quote(c, cmds, name, &size, err);
	curl_slist_free_all(cmds);
	if (rc == 0 && size != -1)
		return xerr_set(err, XERR_TEMP, 0, "cannot remove '%s%s'",
		    c->base, name);
	return rc;
}

/* --- check --connect -------------------------------------------------- */

static int
curl_check(void *state, void (*fn)(void *ctx, int ok, const char *what),
    void *ctx, struct xerr *err)
{
	struct curl_dest *c = state;
	char probe[64], what[600];
	struct put_req req;
	char empty[] = "/dev/null";
	long code = 0;
	int unsupported, rc;
	CURLcode cc;

	/* Log in (host key or certificate, credentials): any answer but
	 * "who are you" means we are in. */
	curl_dest_setup(c, c->base);
	curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
	cc = curl_easy_perform(c->h);
	if (!c->sftp && cc == CURLE_OK)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	snprintf(what, sizeof(what), "cannot connect to '%s'", c->base);
	if ((cc != CURLE_OK && cc != CURLE_REMOTE_FILE_NOT_FOUND) ||
	    code == 401 || code == 407) {
		if (cc != CURLE_OK)
			curl_dest_error(c, cc, what, err);
		else
			curl_dest_http_error(c, code, what, err);
		fn(ctx, 0, err->msg);
		return -1;
	}
	snprintf(what, sizeof(what), "%s '%s': connected, %s", c->sftp ?
	    "SFTP" : "HTTPS", c->base, c->sftp ? "host key verified, "
	    "logged in" : "certificate verified, authorized");
	fn(ctx, 1, what);
	/* Write permission and rename/MOVE with an empty probe file. */
	snprintf(probe, sizeof(probe), ".xfer-check.%ld", (long)getpid());
	memset(&req, 0, sizeof(req));
	req.local_path = empty;
	req.name = probe;
	req.sha256 = "";
	req.size = 0;
	req.job = c->job->name;
	req.date = "check";
	if (c->sftp) {
		rc = sftp_put(c, &req, err);
		fn(ctx, rc == 0, rc == 0 ? "can write files and rename them "
		    "into place (SFTP v3: an existing name is moved aside "
		    "first)" : err->msg);
	} else {
		char *purl = curl_dest_url(c, probe), *furl = NULL;

		rc = purl ? upload(c, purl, &req, NULL, err) : xerr_nomem(err);
		fn(ctx, rc == 0, rc == 0 ? "can PUT files" : err->msg);
		if (rc == 0) {
			furl = curl_dest_url(c, probe);
			rc = furl ? curl_dest_https_move(c, purl, furl, 1,
			    &unsupported, err) : xerr_nomem(err);
			if (rc == 0)
				fn(ctx, 1, unsupported ? "no WebDAV MOVE: "
				    "files are PUT directly under their final "
				    "name, relying on the server's own atomic "
				    "write" : "WebDAV MOVE works: files are "
				    "renamed into place");
			(void)https_delete(c, probe, err);
		}
		free(purl);
		free(furl);
	}
	if (c->sftp)
		(void)curl_remove(c, probe, err);
	return rc;
}

/* --- open/close ------------------------------------------------------- */

static void
curl_close(void *state)
{
	struct curl_dest *c = state;

	if (c == NULL)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	free(c->base);
	free(c->dir);
	nameset_free(&c->names);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	if (c->passphrase) {
		explicit_bzero(c->passphrase, strlen(c->passphrase));
		free(c->passphrase);
	}
	free(c);
}

static int
curl_open_common(void **state, const struct job *job, const struct log *lg,
    int sftp, struct xerr *err)
{
	const struct job_upload *up = &job->upload;
	struct curl_dest *c;
	CURLU *u = NULL;
	char *path = NULL;
	size_t len;

	*state = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return xerr_nomem(err);
	c->job = job;
	c->lg = lg;
	c->sftp = sftp;
	len = strlen(up->url);
	if (asprintf(&c->base, "%s%s", up->url, len > 0 &&
	    up->url[len - 1] == '/' ? "" : "/") == -1) {
		c->base = NULL;
		goto nomem;
	}
	if (sftp) {
		if (up->known_hosts == NULL && up->host_key_sha256 == NULL) {
			xerr_set(err, XERR_PERM, 0, "%s: an sftp:// url needs "
			    "known_hosts or host_key_sha256: xfer never "
			    "accepts an unknown host key", job->file);
			goto fail;
		}
		if (up->host_key_sha256)
			snprintf(c->pin, sizeof(c->pin), "%s",
			    up->host_key_sha256);
		if (up->identity && secret_file_check(up->identity,
		    "identity", err) == -1)
			goto fail;
		if (up->passphrase_file && secret_file_read(up->passphrase_file,
		    "passphrase_file", &c->passphrase, err) == -1)
			goto fail;
		if ((u = curl_url()) == NULL)
			goto nomem;
		if (curl_url_set(u, CURLUPART_URL, c->base,
		    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) !=
		    CURLUE_OK) {
			xerr_set(err, XERR_PERM, 0, "%s: key 'url': cannot "
			    "parse '%s'", job->file, up->url);
			goto fail;
		}
		/* sftp://host/abs/dir/: quote commands need the path. */
		if ((c->dir = strdup(path)) == NULL)
			goto nomem;
	}
	if (up->password_file && secret_file_read(up->password_file,
	    "password_file", &c->password, err) == -1)
		goto fail;
	if (up->client_key && secret_file_check(up->client_key, "client_key",
	    err) == -1)
		goto fail;
	if ((c->h = curl_easy_init()) == NULL)
		goto nomem;
	curl_free(path);
	curl_url_cleanup(u);
	*state = c;
	return 0;
nomem:
	xerr_nomem(err);
fail:
	curl_free(path);
	curl_url_cleanup(u);
	curl_close(c);
	return -1;
}

static int
sftp_open(void **state, const struct job *job, const struct log *lg,
    struct xerr *err)
{
	return curl_open_common(state, job, lg, 1, err);
}

static int
https_open(void **state, const struct job *job, const struct log *lg,
    struct xerr *err)
{
	return curl_open_common(state, job, lg, 0, err);
}

const struct dest_ops dest_sftp_ops = {
	.name = "sftp",
	.open = sftp_open,
	.probe = curl_probe,
	.put = curl_put,
	.remove = curl_remove,
	.close = curl_close,
	.check = curl_check,
};

const struct dest_ops dest_https_ops = {
	.name = "https",
	.open = https_open,
	.probe = curl_probe,
	.put = curl_put,
	.remove = curl_remove,
	.close = curl_close,
	.check = curl_check,
};

