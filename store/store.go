// Package store keeps tenantsync's documentation base and its Microsoft 365
// mirrors in one embedded bbolt file.
//
// Schema (version 1). Keys are bytes; "id" is a uint64 in 8 bytes big-endian;
// "|" stands for a 0x00 separator; values are JSON unless noted.
//
//	meta/               "schema" -> decimal version; "created" -> RFC 3339
//	orgs/               id -> Organization
//	contacts/           id -> Contact
//	rows/               kind(1) id -> search row (see row.go): folded text and list columns
//	idx_org_name/       folded name | id -> nil
//	idx_contact_org/    org id | folded name | contact id -> nil
//	idx_contact_email/  lower(e-mail) | contact id -> nil
//	idx_contact_oid/    tenant id | object id -> contact id
//	history/            contact id, unix nanos, seq -> Change
//	connections/        connection id -> Connection
//	tenants/            connection id | tenant id -> Tenant (prefix scan = tenants by connection)
//	decisions/          connection id | tenant id -> Decision
//	mirror/             connection id | tenant id -> bucket:
//	    users/          object id -> DirectoryUser
//	    mailboxes/      lower(UPN) -> Mailbox
//	    licenses/       sku id -> License
//	    devices/        device id -> Device
//	    state/          "delta" -> users delta link; "synced" -> RFC 3339
//	runs/               run id -> SyncRun
//	idx_run_conn/       connection id | run id -> nil
//	blobs/              name -> opaque bytes (ciphertext only; see store/secrets)
//
// Every multi-record change (a contact and its indexes, a tenant's snapshot)
// happens in one bbolt transaction, so a killed process leaves either the old
// or the new state.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the schema this build reads and writes: len(migrations).
const SchemaVersion = 1

var (
	bucketMeta          = []byte("meta")
	bucketOrgs          = []byte("orgs")
	bucketContacts      = []byte("contacts")
	bucketRows          = []byte("rows")
	bucketOrgName       = []byte("idx_org_name")
	bucketContactOrg    = []byte("idx_contact_org")
	bucketContactEmail  = []byte("idx_contact_email")
	bucketContactOID    = []byte("idx_contact_oid")
	bucketHistory       = []byte("history")
	bucketConnections   = []byte("connections")
	bucketTenants       = []byte("tenants")
	bucketDecisions     = []byte("decisions")
	bucketMirror        = []byte("mirror")
	bucketRuns          = []byte("runs")
	bucketRunConn       = []byte("idx_run_conn")
	bucketBlobs         = []byte("blobs")
	bucketMirrorUsers   = []byte("users")
	bucketMirrorMailbox = []byte("mailboxes")
	bucketMirrorLicense = []byte("licenses")
	bucketMirrorDevices = []byte("devices")
	bucketMirrorState   = []byte("state")

	keySchema  = []byte("schema")
	keyCreated = []byte("created")
	keyDelta   = []byte("delta")
	keySynced  = []byte("synced")

	topBuckets = [][]byte{
		bucketMeta, bucketOrgs, bucketContacts, bucketRows, bucketOrgName,
		bucketContactOrg, bucketContactEmail, bucketContactOID, bucketHistory,
		bucketConnections, bucketTenants, bucketDecisions, bucketMirror,
		bucketRuns, bucketRunConn, bucketBlobs,
	}
)

var (
	// ErrLocked means another process has the database open.
	ErrLocked = errors.New("tenantsync is already running with this data directory")
	// ErrNeedsUpgrade means a read-only open found an older schema.
	ErrNeedsUpgrade = errors.New("the database was written by an older version of tenantsync")
	// ErrNewerSchema means the file was written by a newer tenantsync.
	ErrNewerSchema = errors.New("database was written by a newer version of tenantsync")
	// ErrNotFound means the record does not exist. It reports NotFound()
	// true: the contract store/secrets and core/auth rely on to tell
	// "nothing stored" from a failure, without importing this package.
	ErrNotFound error = notFound("not found")
	// ErrDamaged means the file is not a readable tenantsync database: its
	// pages are damaged (a disk error, a copy cut short) or it is another
	// program's file. Open changes nothing in it, and a transaction that
	// meets a damaged page is rolled back.
	ErrDamaged = errors.New("the database file is damaged or is not a tenantsync database")
)

// notFound is the type of the "nothing stored" errors: a string, so that
// errors.Is compares it by value.
type notFound string

func (e notFound) Error() string  { return string(e) }
func (e notFound) NotFound() bool { return true }

// DBFile is the database's file name inside the data directory.
const DBFile = "tenantsync.db"

// Options tune Open.
type Options struct {
	// LockTimeout bounds the wait for another process to release the file.
	LockTimeout time.Duration
	// NoSync skips fsync; only for benchmarks and throwaway databases.
	NoSync bool
	// ReadOnly opens an existing database for reading only (status,
	// export, logs): nothing is created, migrated or written, and a
	// read-only disk or file is no obstacle. A missing database is
	// ErrNoDatabase; an older schema asks for a normal open first.
	ReadOnly bool

	// migrations, when not nil, replaces the package's migrations: tests
	// upgrade a fixture to a hypothetical next schema with it.
	migrations []func(tx *bolt.Tx) error
	// checkLimit, when not zero, replaces defaultCheckLimit; a negative
	// one walks no file, so that tests reach later reads with damage.
	checkLimit int64
}

// ErrNoDatabase means a read-only open found no database file.
var ErrNoDatabase = errors.New("no tenantsync database here yet")

// Store is the open database. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	// readOnly: opened with Options.ReadOnly. No process writes the file
	// then, so what is "syncing" in it was left by a dead one and reads as
	// interrupted (see Tx.deadSyncs).
	readOnly bool

	rowsMu sync.Mutex
	rows   *rowIndex // lazily loaded; see row.go

	batchMu sync.Mutex
	batch   *pendingBatch // collecting Batch calls; see tx.go

	// stuck is set when a transaction that met a damaged page could not
	// be rolled back: bbolt's locks stay held, so every later
	// transaction, and Close, would wait for ever. They return it instead.
	stuck atomic.Pointer[error]
}

// Open opens or creates the database at path, upgrading an older schema after
// backing the file up (see Store.Backup). A database held by another process
// yields ErrLocked after opt.LockTimeout (one second when zero).
func Open(path string, opt Options) (*Store, error) {
	timeout := opt.LockTimeout
	if timeout == 0 {
		timeout = time.Second
	}
	steps := opt.migrations
	if steps == nil {
		steps = migrations
	}
	limit := opt.checkLimit
	if limit == 0 {
		limit = defaultCheckLimit
	}
	if opt.ReadOnly {
		// An empty file is what a first run leaves when it dies (or the
		// disk fills) before its first write: a read-only open would try to
		// initialise it and fail. The read-write open initialises it, under
		// the lock, as a new database.
		fi, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0 {
			return nil, fmt.Errorf("open %s: %w", path, ErrNoDatabase)
		}
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// NoFreelistSync until the file is known to be ours: otherwise bbolt
	// writes a freelist into a file that lacks one (another program's)
	// while opening it, before the checks below can refuse it.
	db, err := openBolt(path, &bolt.Options{Timeout: timeout, ReadOnly: opt.ReadOnly, NoSync: opt.NoSync,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, readOnly: opt.ReadOnly}
	if err := s.prepare(opt.ReadOnly, steps, limit); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// prepare checks a freshly opened file and brings it to the schema of
// steps: the checks, the backup and the migration all run under the file
// lock that Open took, so no other process writes meanwhile.
func (s *Store) prepare(readOnly bool, steps []func(*bolt.Tx) error, limit int64) error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	var version int
	err = s.transact(false, func(tx *bolt.Tx) error {
		if err := checkFile(tx, fi.Size(), limit); err != nil {
			return damaged(s.path, err)
		}
		var err error
		version, err = readVersion(tx)
		return err
	})
	if err != nil {
		return err
	}
	s.db.NoFreelistSync = false
	current := len(steps)
	switch {
	case version > current:
		return fmt.Errorf("open %s: %w (schema %d, this version reads %d): update tenantsync", s.path, ErrNewerSchema, version, current)
	case readOnly && version < current:
		return fmt.Errorf("open %s: %w: schema %d needs an upgrade to %d: open it once with tenantsync (the app, or any command that writes)", s.path, ErrNeedsUpgrade, version, current)
	case readOnly:
		return nil
	}
	// Version 0 is a new file: nothing to keep.
	if version > 0 && version < current {
		if _, err := s.backup(fmt.Sprintf("before-schema-%d", current)); err != nil {
			return fmt.Errorf("back up before upgrade: %w", err)
		}
	}
	err = s.transact(true, func(tx *bolt.Tx) error {
		if err := upgrade(tx, version, steps); err != nil {
			return err
		}
		return (&Tx{tx: tx, now: time.Now().UTC()}).markInterrupted()
	})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	return nil
}

// openBolt is bolt.Open naming a locked file and a damaged one. Reading a
// damaged file's freelist, bbolt can panic or fault (see transact) after
// it has opened and locked the file: that file is closed, so that the
// lock does not outlive the failed open.
func openBolt(path string, opt *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var file *os.File
	opt.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		cause, ok := pageDamage(r)
		if !ok {
			panic(r)
		}
		if file != nil {
			file.Close()
		}
		db, err = nil, damaged(path, cause)
	}()
	db, err = bolt.Open(path, 0o600, opt)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	case fileDamage(err):
		return nil, damaged(path, err)
	}
	return nil, fmt.Errorf("open store: %w", err)
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database. A store stuck on a damaged page (see
// transact) cannot close: its file stays locked until the process ends.
func (s *Store) Close() error {
	if err := s.stuck.Load(); err != nil {
		return *err
	}
	return s.db.Close()
}

// defaultCheckLimit bounds the size of a file whose every key Open reads (and
// looks up again): the walk costs about 300 ms at 100,000 contacts
// (BenchmarkOpenFirstPage100k: 430 ms with it, 123 ms without), too much
// for every start. Larger files get the structural checks bbolt does on
// open only; a full check belongs to the backup routine (issue 12).
const defaultCheckLimit = 32 << 20

// checkFile reads every page of a file small enough, and refuses a bbolt
// file that another program made (buckets, but no meta). It runs in the
// caller's goroutine so that a damaged page's panic, or a fault reading
// past the mapped file, is recovered as damage: bbolt's own Tx.Check reads
// in a goroutine of its own, where a damaged page crashes the process.
func checkFile(tx *bolt.Tx, size, limit int64) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable page: %v", r)
		}
	}()
	if tx.Bucket(bucketMeta) == nil {
		foreign := false
		tx.ForEach(func(name []byte, _ *bolt.Bucket) error { foreign = true; return nil })
		if foreign {
			return errors.New("it is a bbolt database of another program")
		}
	}
	// Every page a lookup can reach lies below the high-water mark: a
	// file shorter than that was cut short, and reading its missing pages
	// faults or, after a write grows the file, finds zeros.
	if tx.Size() > size {
		return fmt.Errorf("the file is %d bytes but its pages reach %d: it was cut short", size, tx.Size())
	}
	if limit < 0 || size > limit {
		return nil
	}
	// Every key takes at least a leaf element (16 bytes) of the file: more
	// keys than that means the walk is going round damaged pages.
	budget := size/16 + 1
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b, 0, &budget) })
}

func walkBucket(b *bolt.Bucket, depth int, budget *int64) error {
	if depth > 4 {
		return errors.New("buckets nested deeper than tenantsync makes them")
	}
	c := b.Cursor()
	var prev []byte
	var sum byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if *budget--; *budget < 0 {
			return errors.New("more keys than the file can hold: its pages loop")
		}
		// Touch every byte (a damaged element points outside the file:
		// that faults here, where it is recovered) and keep keys in order
		// (a flipped key breaks every later lookup).
		for _, x := range k {
			sum ^= x
		}
		for _, x := range v {
			sum ^= x
		}
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return fmt.Errorf("keys out of order in a bucket (%x after %x)", k, prev)
		}
		prev = k
		runtime.KeepAlive(sum) // so the compiler keeps the reads above
		if v != nil {
			// A lookup goes through the branch pages a cursor walk skips:
			// it must find the same value (a flipped branch key faults or
			// misroutes).
			if got := b.Get(k); !bytes.Equal(got, v) {
				return fmt.Errorf("a lookup of key %x does not find its value", k)
			}
			continue
		}
		if sub := b.Bucket(k); sub != nil {
			if err := walkBucket(sub, depth+1, budget); err != nil {
				return err
			}
		}
	}
	return nil
}

// fileDamage reports whether bbolt refused a file for its contents.
func fileDamage(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrChecksum)
}

// damaged names a damaged database and what to do, once.
func damaged(path string, cause error) error {
	return fmt.Errorf("%w: %s (%v). Nothing was changed in it. Put back a backup with `tenantsync restore` (the backups are in %s), or move the file aside (tenantsync then starts with an empty database)",
		ErrDamaged, path, cause, BackupDir(path))
}

func readVersion(tx *bolt.Tx) (int, error) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, nil
	}
	v := b.Get(keySchema)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("schema version %q: %w", v, err)
	}
	return n, nil
}

// migrations[i] upgrades a database from schema i to i+1. Version 0 is an
// empty file.
var migrations = []func(tx *bolt.Tx) error{
	createBuckets,
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range topBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// upgrade runs steps[from:] and records the schema they lead to.
func upgrade(tx *bolt.Tx, from int, steps []func(*bolt.Tx) error) error {
	for v := from; v < len(steps); v++ {
		if err := steps[v](tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta.Get(keyCreated) == nil {
		if err := meta.Put(keyCreated, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
	}
	return meta.Put(keySchema, []byte(strconv.Itoa(len(steps))))
}

// Info describes the database for `tenantsync status`.
type Info struct {
	Path          string
	SchemaVersion int
	Organizations int
	Contacts      int
	Connections   int
	Tenants       int
	Runs          int
	SizeBytes     int64
}

// Info counts the records.
func (s *Store) Info(ctx context.Context) (Info, error) {
	info := Info{Path: s.path}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		if info.SchemaVersion, err = readVersion(tx); err != nil {
			return err
		}
		info.Organizations = tx.Bucket(bucketOrgs).Stats().KeyN
		info.Contacts = tx.Bucket(bucketContacts).Stats().KeyN
		info.Connections = tx.Bucket(bucketConnections).Stats().KeyN
		info.Tenants = tx.Bucket(bucketTenants).Stats().KeyN
		info.Runs = tx.Bucket(bucketRuns).Stats().KeyN
		info.SizeBytes = tx.Size()
		return nil
	})
	return info, err
}

// view runs fn in a read transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.transact(false, fn)
}

// update runs fn in a write transaction unless ctx is already done.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.transact(true, fn)
}

// transact runs fn in a bbolt transaction, the one way into the file
// after Open. bbolt trusts its pages, and Open walks only files up to
// its check limit, so a damaged page can still make a read panic, or
// fault reading past the mapped file: SetPanicOnFault makes the fault a
// panic, and a panic that pageDamage lays on the file becomes ErrDamaged.
// bbolt's managed transactions roll back as the panic passes, so the
// store goes on working; any other panic is fn's bug and goes on up.
func (s *Store) transact(writable bool, fn func(tx *bolt.Tx) error) (err error) {
	if stuck := s.stuck.Load(); stuck != nil {
		return *stuck
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var open *bolt.Tx
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		cause, ok := pageDamage(r)
		if !ok {
			panic(r)
		}
		err = damaged(s.path, cause)
		// A transaction still open here was not rolled back (the
		// rollback met the damage too): it holds bbolt's locks.
		if open == nil || open.DB() != nil {
			s.stuck.Store(&err)
		}
	}()
	if !writable {
		return s.db.View(func(tx *bolt.Tx) error {
			open = tx
			return fn(tx)
		})
	}
	fnOK := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		open = tx
		if err := fn(tx); err != nil {
			return err
		}
		fnOK = true
		return nil
	})
	if err != nil && fnOK {
		return writeError(s.path, err) // the commit failed: the file's doing
	}
	return err
}

// pageDamage tells a panic that a damaged file causes from a bug, and
// describes it. bbolt trusts its pages, so a damaged one makes it panic
// (an index out of range, a failed assertion, an invalid page type), or
// read outside the file, which SetPanicOnFault turns into a panic with
// the faulting address. Both are the file's; a panic raised outside
// bbolt without a fault address is a bug and not ours to hide. It must
// be called by the deferred function that recovered r.
func pageDamage(r any) (cause error, ok bool) {
	site := panicSite()
	if f, fault := r.(interface{ Addr() uintptr }); fault {
		return fmt.Errorf("%v: address %#x, in %s", r, f.Addr(), site), true
	}
	if strings.HasPrefix(site, "go.etcd.io/bbolt") {
		return fmt.Errorf("%v, in %s", r, site), true
	}
	return nil, false
}

// panicSite names the function, file and line where the panic being
// recovered was raised: the first frame below runtime.gopanic that is not
// the runtime's own (a bounds check or a signal handler).
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return "an unknown place"
		}
	}
}
