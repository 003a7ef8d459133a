#!/usr/bin/env python3
"""The write path's SQLite work under other table layouts (issue 18, item 1's first candidate direction).

Each layout gets a fresh database with KEYS entries of 1 KiB, then WRITES random-key upserts in transactions of 64, as
Kivi's writer does them: the old entry's size (storage accounting), the upsert, and the change-log row. Reported per
write: the CPU time of the process and the bytes it wrote (WAL frames and checkpoints), medians of alternating rounds.
No fsync (Kivi syncs the WAL itself, once per group); this measures what the layout costs the writer, nothing else.
"""
import os, random, sqlite3, statistics, sys, tempfile, time

KEYS = int(os.environ.get("KEYS", 100_000))
WRITES = int(os.environ.get("WRITES", 50_000))
ROUNDS = int(os.environ.get("ROUNDS", 3))
VALUE = b"x" * 1024

CHANGES = "CREATE TABLE changes (version INTEGER PRIMARY KEY, ns TEXT NOT NULL, key BLOB, kind INTEGER NOT NULL, expiration INTEGER, account_id TEXT NOT NULL DEFAULT '', at INTEGER NOT NULL DEFAULT 0, token_id TEXT, token_name TEXT);"
LOG = "INSERT INTO changes (version, ns, key, kind, expiration, account_id, at, token_id, token_name) VALUES (?, 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4', ?, 1, NULL, 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', 1764547200, NULL, 'admin');"

# The writer's statements, the same text for every layout: the old entry's size, the upsert (the log row is LOG above).
SIZE = "SELECT length(key) + length(value) + coalesce(length(CAST(metadata AS BLOB)), 0) FROM entries WHERE ns = ? AND key = ?;"
UPSERT = "INSERT INTO entries (ns, key, metadata, expiration, version, value) VALUES (?, ?, NULL, NULL, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET metadata = excluded.metadata, expiration = excluded.expiration, version = excluded.version, value = excluded.value;"
ROWID = ["CREATE TABLE entries (rowid INTEGER PRIMARY KEY, ns INTEGER NOT NULL, key BLOB NOT NULL, metadata TEXT, expiration INTEGER, version INTEGER NOT NULL, value BLOB NOT NULL);",
         "CREATE UNIQUE INDEX entries_by_key ON entries (ns, key);", CHANGES]
# one clustered B-tree on (ns, key) with the value in it (a 1 KiB row exceeds an index page's local payload at 4 KiB: it overflows)
CLUSTERED = ["CREATE TABLE entries (ns INTEGER NOT NULL, key BLOB NOT NULL, metadata TEXT, expiration INTEGER, version INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;", CHANGES]

LAYOUTS = {  # name: (page size, schema)
    "rowid table + (ns, key) index (Kivi)": (4096, ROWID),  # Kivi's layout: three B-trees a write
    "WITHOUT ROWID, value inline, 4 KiB pages": (4096, CLUSTERED),
    "WITHOUT ROWID, value inline, 8 KiB pages": (8192, CLUSTERED),
    "rowid table + index, 8 KiB pages": (8192, ROWID),
}


def written_bytes():
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("wchar:"))


def run(page, schema, folder):
    path = os.path.join(folder, "kv.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix): os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA page_size = {page};")
    db.execute("PRAGMA journal_mode = WAL;")
    db.execute("PRAGMA synchronous = OFF;")
    db.execute("PRAGMA wal_autocheckpoint = 1000;")
    for sql in schema: db.execute(sql)
    keys = [f"key:{i}".encode() for i in range(1, KEYS + 1)]
    version = 0
    db.execute("BEGIN")
    for k in keys:
        version += 1
        db.execute(UPSERT, (1, k, version, VALUE))
        db.execute(LOG, (version, k))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE);")
    rng = random.Random(42)
    cpu, io = time.process_time(), written_bytes()
    for start in range(0, WRITES, 64):
        db.execute("BEGIN IMMEDIATE")
        for _ in range(min(64, WRITES - start)):
            k = keys[rng.randrange(KEYS)]
            version += 1
            db.execute(SIZE, (1, k)).fetchone()
            db.execute(UPSERT, (1, k, version, VALUE))
            db.execute(LOG, (version, k))
        db.execute("COMMIT")
    cpu, io = time.process_time() - cpu, written_bytes() - io
    size = sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))
    db.close()
    return cpu / WRITES * 1e6, io / WRITES / 1024, size / KEYS


def main():
    results = {name: [] for name in LAYOUTS}
    with tempfile.TemporaryDirectory(prefix="kivi-layouts-") as folder:
        for r in range(ROUNDS):
            for name, (page, schema) in LAYOUTS.items():
                results[name].append(run(page, schema, folder))
                cpu, kib, _ = results[name][-1]
                print(f"round {r + 1}: {name}: {cpu:.1f} µs CPU, {kib:.1f} KiB written per write", file=sys.stderr)
    base = statistics.median(c for c, _, _ in results[next(iter(LAYOUTS))])
    print(f"| layout ({KEYS:,} keys of 1 KiB, {WRITES:,} random-key upserts in groups of 64, sqlite {sqlite3.sqlite_version}) | CPU per write | written per write | file bytes per key | CPU vs Kivi's |")
    print("|---|---|---|---|---|")
    for name, rs in results.items():
        cpu = statistics.median(c for c, _, _ in rs)
        kib = statistics.median(k for _, k, _ in rs)
        size = statistics.median(s for _, _, s in rs)
        print(f"| {name} | {cpu:.1f} µs | {kib:.1f} KiB | {size:,.0f} | {cpu / base:.2f} |")


if __name__ == "__main__":
    main()
