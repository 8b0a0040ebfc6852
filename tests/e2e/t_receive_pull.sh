# Receive by pulling from the real sshd (SFTP) and nginx (HTTPS, JSON
# autoindex): download to the spool, then after_pull (delete, keep, move);
# hostile remote names are refused and never used for a path.
. "$(dirname "$0")/lib.sh"
start_sshd
start_nginx
chmod 600 "$SSHD_CLIENT_KEY"
O="$SSHD_HOME/outbound"
mkdir -p "$O" "$O/done"
chown -R "$SSHD_USER" "$O" 2>/dev/null
pjob() { # pjob NAME URL EXTRA
	job "$1" <<JOB
[job]
direction = receive
timezone = UTC
[inbox]
url = $2
pattern = p_{date}.csv
settle = 0s
retries = 0
$3
[ingest]
type = sqlite
database = data/pull.db
table = t_$1
JOB
}
pjob sf "$SSHD_URL$O/" "user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS"
printf 'k,v\n1,a\n' > "$O/p_2026-11-24.csv"
(cd "$O" && sha256sum p_2026-11-24.csv > p_2026-11-24.csv.sha256)
printf 'k,v\n' > "$O/-p_2026-11-23.csv"
printf 'k,v\n2,b\n' > "$O/p_2026-11-22.csv.part"
x receive sf
expect_rc 0
[ "$(sqlite3 "$H/data/pull.db" "SELECT k, v FROM t_sf")" = "1|a" ] || fail "sftp pull rows"
[ ! -e "$O/p_2026-11-24.csv" ] && [ ! -e "$O/p_2026-11-24.csv.sha256" ] || fail "after_pull delete"
[ -e "$O/-p_2026-11-23.csv" ] && [ -e "$O/p_2026-11-22.csv.part" ] || fail "must leave the others"
[ -f "$H/spool/sf/backup/2026/11/24/p_2026-11-24.csv" ] || fail "backup"

# move:DIR
pjob mv "$SSHD_URL$O/" "user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $SSHD_KNOWN_HOSTS
after_pull = move:done"
printf 'k,v\n3,c\n' > "$O/p_2026-11-21.csv"
x receive mv
expect_rc 0
[ -f "$O/done/p_2026-11-21.csv" ] && [ ! -e "$O/p_2026-11-21.csv" ] || fail "after_pull move"

# HTTPS with the JSON autoindex, after_pull = keep: not pulled twice.
W="$NGINX_ROOT/dav/out"
mkdir -p "$W"
printf 'k,v\n4,d\n' > "$W/p_2026-11-20.csv"
pjob hk "$NGINX_URL/dav/out/" "ca_file = $NGINX_CA
after_pull = keep"
x receive hk
expect_rc 0
x receive hk
expect_rc 0
[ "$(sqlite3 "$H/data/pull.db" "SELECT count(*) FROM t_hk")" = 1 ] || fail "https keep: pulled twice"
[ -f "$W/p_2026-11-20.csv" ] || fail "keep removed the file"
# HTTPS with delete (DELETE).
pjob hd "$NGINX_URL/dav/out/" "ca_file = $NGINX_CA"
x receive hd
expect_rc 0
[ ! -e "$W/p_2026-11-20.csv" ] || fail "https delete"
[ "$(sqlite3 "$H/data/pull.db" "SELECT count(*) FROM t_hd")" = 1 ] || fail "https rows"
# An unknown host key refuses to pull at all.
printf '' > "$T/empty_kh"
pjob bad "$SSHD_URL$O/" "user = $SSHD_USER
identity = $SSHD_CLIENT_KEY
known_hosts = $T/empty_kh"
x receive bad
expect_rc 1
expect_err "is unknown"
