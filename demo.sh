#!/bin/sh
# The demo: install what is missing, build, send the example jobs from this
# checkout (the repository is itself an xfer home) to ./outbox/partner, and
# show the ledger.
set -eu
cd "$(dirname "$0")"
tests/deps.sh
make -s
x() { echo "\$ bin/xfer --home . $*"; bin/xfer --home . "$@"; }
x check
# A day with data in the sample files, then a day without any: every job
# still delivers a file (CSV header only, JSON []), then the regular cron
# run (yesterday's batch plus catch-up of missing days).
x send --date 2026-11-24
x send --date 2026-11-25
x send
echo "\$ ls outbox/partner"
ls -l outbox/partner
echo "\$ cat outbox/partner/sales_20261124.csv"
cat outbox/partner/sales_20261124.csv
echo "\$ (cd outbox/partner && sha256sum -c sales_20261124.csv.sha256)"
(cd outbox/partner && sha256sum -c sales_20261124.csv.sha256)
echo "\$ cat outbox/partner/orders_2026-11-25.json outbox/partner/returns_20261125.csv"
cat outbox/partner/orders_2026-11-25.json outbox/partner/returns_20261125.csv
echo "\$ od -A x -t x1z outbox/bank/TRF088_20261124.dat | head -16"
od -A x -t x1z outbox/bank/TRF088_20261124.dat | head -16
# The receiving side picks the sales files up, verifies their manifests
# and loads them into SQLite exactly once; the bank's result file (a
# sample) is checked against its trailer and loaded too.
mkdir -p warehouse inbox/bank
cp data/bank/RES088_20261124.dat inbox/bank/
x receive
echo "\$ sqlite3 warehouse/sales.db 'SELECT * FROM sales ORDER BY date, store_id'"
sqlite3 -header warehouse/sales.db 'SELECT * FROM sales ORDER BY date, store_id'
x status
