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
# A day with data in the sample files, then the regular run (yesterday:
# an empty day for the samples, which still gives a file).
x send --date 2026-11-24
x send
echo "\$ ls outbox/partner"
ls -l outbox/partner
echo "\$ cat outbox/partner/sales_20261124.csv"
cat outbox/partner/sales_20261124.csv
echo "\$ (cd outbox/partner && sha256sum -c sales_20261124.csv.sha256)"
(cd outbox/partner && sha256sum -c sales_20261124.csv.sha256)
x status
