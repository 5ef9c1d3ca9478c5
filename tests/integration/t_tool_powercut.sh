#!/usr/bin/env bash
# The powercut test filesystem (tests/tools/powercut) itself: after a cut, what was fsynced is
# there and nothing else. A written and fsynced file survives, a write without fsync is lost, a
# file created and never synced disappears, a rename or unlink without an fsync of the directory
# is undone (and one with it is kept), a descriptor opened before the cut gets EIO. SQLite in WAL
# mode (python3's sqlite3, -shm mapped by two processes at once) with synchronous=FULL keeps
# every transaction whose COMMIT returned, across a SIGKILL and a cut; with synchronous=OFF the
# cut loses transactions (the tool really drops data).
# needs: fuse
# timeout: 120
. "$(dirname "$0")/lib.sh"

. "$TEST_DIR/pclib.sh"

MNT=$T/mnt
pc_start "$MNT"

# ---- files, directories, descriptors ----
py - "$MNT" <<'PY'
import errno, os, sys
os.chdir(sys.argv[1])

def put(name, data, sync):
    fd = os.open(name, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    os.write(fd, data)
    if sync:
        os.fsync(fd)
    os.close(fd)

def dirsync(path="."):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(fd)
    os.close(fd)

def read(name):
    with open(name, "rb") as f:
        return f.read()

def eio(what, f):
    try:
        f()
    except OSError as e:
        assert e.errno == errno.EIO, f"{what} on a descriptor from before the cut: {e}"
        return
    raise AssertionError(f"{what} on a descriptor from before the cut succeeded")

big = os.urandom(3 * 4096 + 100)
put("synced", big, True)                      # new file: its fsync also makes its name durable
put("overwritten", b"old contents", True)
fd = os.open("overwritten", os.O_WRONLY)
os.pwrite(fd, b"NEW", 0)                      # no fsync: lost
os.ftruncate(fd, 2)                           # no fsync: undone
os.close(fd)
put("dir_synced_only", b"data never fsynced", False)
put("renamed_synced", b"s", True)
os.rename("renamed_synced", "renamed_synced_to")
os.makedirs("d1/d2")                          # d1 made durable below, d2 (an entry of d1) never
put("d1/d2/x", b"x", False)
put("renamed", b"r", True)
put("unlinked", b"u", True)
put("mmap", b"\0" * 8192, True)
os.mkdir("xa")
os.mkdir("xb")
put("xa/m", b"moved", True)
put("recreated", b"first", True)
dirsync()                                     # the root's entries as they are now are durable
os.rename("renamed", "renamed_to")            # no fsync of the directory: undone
os.unlink("unlinked")                         # no fsync of the directory: undone
put("never_synced", b"gone", False)
os.rename("xa/m", "xb/m")
dirsync("xb")                                 # both halves of the rename: gone from xa
os.unlink("recreated")
put("recreated", b"second", True)             # its fsync takes the name from the old file
os.mkdir("emptydir")                          # never synced: gone
os.mkdir("newdir")
put("newdir/f", b"nested", True)              # a new file's fsync: its new parents' names too
import mmap
with open("mmap", "r+b") as f:                # a shared writable mapping, synced by fsync
    m = mmap.mmap(f.fileno(), 8192)
    m[0:5] = b"mmap1"
    m.flush()
    os.fsync(f.fileno())
    m[4096:4101] = b"mmap2"                   # never synced: lost
    m.close()
put("late", b"after the directory sync", True)
os.chmod("synced", 0o600)                     # metadata without fsync: undone
fd = os.open("late", os.O_RDONLY)
os.fchmod(fd, 0o640)
os.fsync(fd)                                  # with it: kept
os.close(fd)

stale = os.open("synced", os.O_RDWR)
sdir = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
with open(".powercut", "w") as f:
    f.write("cut\n")
eio("read", lambda: os.pread(stale, 10, 0))
eio("write", lambda: os.pwrite(stale, b"zz", 0))
eio("fsync", lambda: os.fsync(stale))
eio("fsync of a directory", lambda: os.fsync(sdir))
os.close(stale)
os.close(sdir)

assert read("synced") == big, "fsynced data lost"
assert read("overwritten") == b"old contents", read("overwritten")
assert not os.path.exists("never_synced"), "a never-synced file survived the cut"
assert read("dir_synced_only") == b"", "data written without fsync survived"
assert read("renamed") == b"r" and not os.path.exists("renamed_to"), "unsynced rename kept"
assert read("renamed_synced_to") == b"s" and not os.path.exists("renamed_synced"), \
    "rename made durable by the directory's fsync was undone"
assert read("unlinked") == b"u", "unsynced unlink kept"
assert read("newdir/f") == b"nested", "new file in a new directory lost despite its fsync"
assert not os.path.exists("emptydir"), "a never-synced directory survived"
assert os.listdir("d1") == [], "an entry of a directory never synced survived"
m = read("mmap")
assert m[0:5] == b"mmap1" and m[4096:4101] == b"\0" * 5, m[0:8] + m[4096:4104]
assert read("late") == b"after the directory sync"
assert os.stat("synced").st_mode & 0o777 == 0o644, oct(os.stat("synced").st_mode)
assert os.stat("late").st_mode & 0o777 == 0o640, oct(os.stat("late").st_mode)
assert os.listdir("xa") == [] and read("xb/m") == b"moved", (os.listdir("xa"), os.listdir("xb"))
assert read("recreated") == b"second", read("recreated")
assert sorted(os.listdir(".")) == sorted(["synced", "overwritten", "dir_synced_only", "renamed",
    "renamed_synced_to", "unlinked", "newdir", "d1", "mmap", "late", "xa", "xb", "recreated"]), \
    os.listdir(".")
fd = os.open("synced", os.O_RDWR)           # a new descriptor works as before
os.pwrite(fd, b"ok", 0)
os.fsync(fd)
os.close(fd)
print("files: every case as expected")
PY
assert_eq 1 "$(pc_counter cuts)" "cuts"
assert_int_between "$(pc_counter cut_lost_files)" 4 4 "lost files (never_synced, emptydir, d2, x)"
assert_int_between "$(pc_counter stale_ops)" 4 100 "operations refused with EIO"
assert_int_between "$(pc_counter cut_lost_pages)" 3 100 "pages lost"

# A clean shutdown ("sync") loses nothing.
echo "unsynced" >"$MNT/after_sync"
pc_sync
pc_cut
assert_eq "unsynced" "$(cat "$MNT/after_sync")" "a sync then a cut"
assert_eq 0 "$(pc_counter cut_lost_bytes)" "bytes lost by a cut after a sync"

# ---- SQLite, synchronous=FULL: every COMMIT that returned survives a SIGKILL and a cut ----
# The writer records each committed id outside the mount once COMMIT has returned; a reader in
# another process must see at least as many rows (the WAL index is a shared mmap of -shm).
cat >"$T/writer.py" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/full.db", isolation_level=None)
assert db.execute("pragma journal_mode=wal").fetchone()[0] == "wal"
db.execute("pragma synchronous=FULL")
db.execute("create table if not exists t(id integer primary key, v blob)")
acked = open(sys.argv[2], "a", buffering=1)
for i in range(1, 100000):
    db.execute("begin")
    db.execute("insert into t values (?, ?)", (i, os.urandom(300)))
    db.execute("commit")
    acked.write(f"{i}\n")
PY
: >"$T/acked"
bg "$T/writer.log" "$PY" "$T/writer.py" "$MNT" "$T/acked"
WRITER=$BG_PID
for ((i = 0; i < 300; i++)); do
	[ "$(wc -l <"$T/acked")" -ge 150 ] && break
	kill -0 "$WRITER" 2>/dev/null || fail "writer exited: $(cat "$T/writer.log")"
	sleep 0.1
done
seen=$(py - "$MNT" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/full.db", timeout=10)
print(db.execute("select count(*) from t").fetchone()[0])
PY
)
assert_int_between "$seen" 150 100000 "rows a second process sees while the writer runs"
kill -KILL "$WRITER"
wait "$WRITER" 2>/dev/null || true
untrack "$WRITER"
acked=$(tail -n 1 "$T/acked")
pc_cut
log "writer acknowledged $acked commits; cut lost $(pc_counter cut_lost_bytes) bytes"
py - "$MNT" "$acked" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/full.db")
assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
ids = {r[0] for r in db.execute("select id from t")}
acked = int(sys.argv[2])
missing = [i for i in range(1, acked + 1) if i not in ids]
assert not missing, f"{len(missing)} acknowledged commits lost, first {missing[:5]}"
# at most the one commit in flight at the SIGKILL is there without its acknowledgement
assert max(ids) <= acked + 1, (max(ids), acked)
print(f"full: {len(ids)} rows, every one of the {acked} acknowledged")
PY

# ---- SQLite, synchronous=OFF: the cut loses committed transactions ----
py - "$MNT" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/off.db", isolation_level=None)
db.execute("pragma journal_mode=wal")
db.execute("pragma synchronous=FULL")
db.execute("create table t(id integer primary key)")
for i in range(1, 101):
    db.execute(f"insert into t values ({i})")
db.execute("pragma synchronous=OFF")
for i in range(101, 201):
    db.execute(f"insert into t values ({i})")
assert db.execute("select count(*) from t").fetchone()[0] == 200
os._exit(0)                                   # a crash: no checkpoint, no close
PY
pc_cut
n=$(py - "$MNT" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/off.db")
assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
ids = [r[0] for r in db.execute("select id from t order by id")]
assert ids == list(range(1, len(ids) + 1)), "not a prefix of the commits"
print(len(ids))
PY
)
log "synchronous=OFF: $n of 200 commits survived the cut"
assert_int_between "$n" 100 199 "commits left after a cut with synchronous=OFF"
assert_int_between "$(pc_counter cut_lost_pages)" 1 100000 "pages lost with synchronous=OFF"

# "exit" unmounts, and the daemon ends with status 0 (under SAN=1: no leak, no error).
pc_stop
assert_eq 0 "$PC_RC" "powercut exit status; log: $(cat "$T/powercut.log")"
grep -q " $MNT " /proc/self/mounts && fail "still mounted after exit"
true
