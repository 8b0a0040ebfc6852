# gzip and zip output through libarchive, to file:// destinations: valid, deterministic (the same
# records give the same bytes), manifest over the compressed bytes.
. "$(dirname "$0")/lib.sh"
mkdir -p "$H/data"
printf 'a,b\n1,x\n2,y\n' > "$H/data/in.csv"
for c in gzip zip; do
	job "c$c" <<JOB
[job]
direction = send
[source]
type = csv
path = data/in.csv
[output]
name = c_{date}.csv
compress = $c
[upload]
url = file://$H/out_$c/
JOB
done
x send --date 2026-11-24 cgzip czip
expect_rc 0
no_sanitizer_report
[ "$(gzip -dc "$H/out_gzip/c_2026-11-24.csv.gz")" = "$(cat "$H/data/in.csv")" ] || fail gzip
(cd "$H/out_gzip" && sha256sum -c c_2026-11-24.csv.gz.sha256 >/dev/null) || fail "gzip manifest"
python3 - "$H/out_zip/c_2026-11-24.csv.zip" "$H/data/in.csv" <<'PY' || fail zip
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.namelist() == ["c_2026-11-24.csv"], z.namelist()
assert z.read("c_2026-11-24.csv") == open(sys.argv[2], "rb").read()
PY
cp "$H/out_gzip/c_2026-11-24.csv.gz" "$T/g1"; cp "$H/out_zip/c_2026-11-24.csv.zip" "$T/z1"
sleep 1.1
touch "$H/data/in.csv"
x send --date 2026-11-24 cgzip czip
expect_rc 0
cmp -s "$T/g1" "$H/out_gzip/c_2026-11-24.csv.gz" || fail "gzip not deterministic"
cmp -s "$T/z1" "$H/out_zip/c_2026-11-24.csv.zip" || fail "zip not deterministic"
