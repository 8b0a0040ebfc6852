#!/usr/bin/env python3
# Writes a bank result file in the 120-byte CP949 layout of
# jobs/bank-result.job: mkresult.py OUT DATE [count=N] [total=N] [short]
# (count/total: what the trailer claims instead of the truth; short: the
# second data record one byte short).
import sys

def text(s, w):
    b = s.encode("cp949")
    assert len(b) <= w
    return b + b" " * (w - len(b))

def num(n, w):
    return (b"-" if n < 0 else b"+") + str(abs(n)).encode().rjust(w - 1, b"0")

rows = [("110-234-567890", "홍길동", 150000, "0000"),
        ("3333-01-555555", "김민수", -2500, "0000"),
        ("1002-123-45678", "Lee Jiwoo", 1230000, "E012"),
        ("020-88-112233", "남궁민수", 75000, "0000")]
out, date = sys.argv[1], sys.argv[2]
opts = dict(a.split("=") if "=" in a else (a, "1") for a in sys.argv[3:])
recs = [b"H" + b"088" + date.encode() + b"001" + b" " * 105]
for i, (acct, name, amt, res) in enumerate(rows):
    r = b"D" + text(acct, 14) + text(name, 20) + num(amt, 13) + text(res, 4) + b" " * 68
    if "short" in opts and i == 1:
        r = r[:-1]
    recs.append(r)
count = int(opts.get("count", len(rows)))
total = int(opts.get("total", sum(r[2] for r in rows)))
recs.append(b"T" + str(count).encode().rjust(7, b"0") + num(total, 15) + b" " * 97)
for r in recs:
    assert len(r) == 120 or "short" in opts
with open(out, "wb") as f:
    f.write(b"".join(r + b"\r\n" for r in recs))
