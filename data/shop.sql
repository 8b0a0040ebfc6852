-- Sample shop database for jobs/orders_json.job; data/shop.db is built
-- from this file (sqlite3 data/shop.db < data/shop.sql).
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    ordered_at TEXT NOT NULL,   -- ISO 8601 with offset
    total NUMERIC NOT NULL,
    status TEXT NOT NULL
);
INSERT INTO orders VALUES
 (1, 'ACME GmbH',        '2026-11-24T08:10:00+00:00', 120.50, 'paid'),
 (2, 'Bäckerei Müller',  '2026-11-24T12:00:00+00:00',  35.00, 'paid'),
 (3, 'O''Brien & Sons',  '2026-11-24T23:59:00+00:00',   9.99, 'refunded'),
 (4, 'Initech',          '2026-11-23T22:00:00+00:00', 410.00, 'paid'),
 (5, '=HYPERLINK("x")',  '2026-11-24T15:00:00+00:00',   1.00, 'paid');
