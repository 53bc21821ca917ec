package syncer

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/store"
)

// tenantRead is what one sync read of a tenant; the commit saves it.
type tenantRead struct {
	dir       graph.Directory
	dirOK     bool
	full      bool                  // users is the whole directory
	users     []store.DirectoryUser // full read
	changes   []graph.Change        // delta: changed users, possibly partial
	removed   []string
	deltaLink string
	licenses  []store.License
	licOK     bool
	mailboxes []store.Mailbox
	mbOK      bool
	concealed bool
	devices   []store.Device
	devOK     bool
	findings  []store.Finding
	noP1      bool
	// signInsAsked: this read asked for sign-in activity (a full read
	// of the users); otherwise what the last one found about it stands.
	signInsAsked bool
}

// collect keeps one change of a users delta.
func (rd *tenantRead) collect(ch graph.Change) error {
	if ch.Removed {
		rd.removed = append(rd.removed, ch.User.ObjectID)
	} else {
		rd.changes = append(rd.changes, ch)
	}
	return nil
}

// readGroup runs a tenant's reads in parallel (one after another when
// sequential) and gathers their findings into rd. A panic in a read is
// carried to the tenant's goroutine by wait, where syncTenantSafely turns
// it into the tenant's failure.
type readGroup struct {
	rd         *tenantRead
	sequential bool
	wg         sync.WaitGroup
	mu         sync.Mutex
	panicked   any
}

// note records a read's failure as a finding about dataType.
func (g *readGroup) note(err error, dataType string) { g.add(graph.Finding(err, dataType)) }

func (g *readGroup) add(f store.Finding) {
	g.mu.Lock()
	g.rd.findings = append(g.rd.findings, f)
	g.mu.Unlock()
}

// do runs fn as one of the reads.
func (g *readGroup) do(fn func()) {
	if g.sequential {
		fn()
		return
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				g.mu.Lock()
				g.panicked = fmt.Sprintf("%v\n%s", r, debug.Stack())
				g.mu.Unlock()
			}
		}()
		fn()
	}()
}

// wait waits for the reads, and panics again with a read's panic.
func (g *readGroup) wait() {
	g.wg.Wait()
	if g.panicked != nil {
		panic(g.panicked)
	}
}

// read fetches a tenant's data types: after a first sync, the users delta
// and the small reads as one $batch; otherwise (or when the delta link
// expired) each on its own, in parallel; the mailbox report when due.
func (rs *runState) read(ctx context.Context, cl *graph.Client, t store.Tenant, deltaLink string, fullAt, mailboxesAt time.Time, sizeHint int, noP1 bool) (*tenantRead, error) {
	set := rs.conn.Settings
	rd := &tenantRead{}
	g := &readGroup{rd: rd, sequential: rs.e.opt.Sequential}
	wantUsers := set.Contacts || set.SignIns
	bundled := false
	if wantUsers && deltaLink != "" && rs.e.now().Sub(fullAt) < fullReadEvery {
		var err error
		if bundled, err = rs.readBundle(ctx, cl, t, g, deltaLink); err != nil {
			return nil, err
		}
		if !bundled {
			deltaLink = "" // it expired: read all users
		}
	}
	var usersErr error
	if !bundled {
		rs.readEach(ctx, cl, g)
		if wantUsers {
			// A tenant without Entra ID P1 is asked again on the daily full
			// read only: it may have bought it since.
			skipSignIns := !set.SignIns || (noP1 && rs.e.now().Sub(fullAt) < fullReadEvery)
			g.do(func() {
				usersErr = rs.readUsers(ctx, cl, t, g, deltaLink, fullAt, sizeHint, skipSignIns)
			})
		}
	}
	if set.Mailboxes && rs.e.now().Sub(mailboxesAt) >= mailboxesEvery {
		g.do(func() { rs.readMailboxes(ctx, cl, g) })
	}
	g.wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if usersErr != nil {
		return nil, usersErr
	}
	return rd, nil
}

// readBundle reads the users delta with the directory, licences and
// devices in one $batch. It reports false when the delta link expired.
func (rs *runState) readBundle(ctx context.Context, cl *graph.Client, t store.Tenant, g *readGroup, deltaLink string) (bool, error) {
	set, rd := rs.conn.Settings, g.rd
	wantLicenses := set.Licenses || set.Contacts
	b, err := cl.ReadBundle(ctx, deltaLink, graph.Want{Directory: true, Licenses: wantLicenses, Devices: set.Devices}, rd.collect)
	switch {
	case errors.Is(err, graph.ErrDeltaExpired):
		rs.logf(store.LevelInfo, t.TenantID, "%s: the saved delta link expired; reading all users", t.DisplayName)
		rd.changes, rd.removed = nil, nil
		return false, nil
	case err != nil:
		return false, err
	}
	rd.deltaLink = b.DeltaLink
	if b.DirectoryErr != nil {
		g.note(b.DirectoryErr, graph.DataDirectory)
	} else {
		rd.dir, rd.dirOK = b.Directory, true
	}
	if wantLicenses {
		if b.LicensesErr != nil {
			g.note(b.LicensesErr, graph.DataLicenses)
		} else {
			rd.licenses, rd.licOK = b.Licenses, true
		}
	}
	if set.Devices {
		if b.DevicesErr != nil {
			g.note(b.DevicesErr, graph.DataDevices)
		} else {
			rd.devices, rd.devOK = b.Devices, true
		}
	}
	return true, nil
}

// readEach starts the directory, licence and device reads, each on its own.
func (rs *runState) readEach(ctx context.Context, cl *graph.Client, g *readGroup) {
	set, rd := rs.conn.Settings, g.rd
	g.do(func() {
		d, err := cl.Organization(ctx)
		if err != nil {
			g.note(err, graph.DataDirectory)
			return
		}
		rd.dir, rd.dirOK = d, true
	})
	if set.Licenses || set.Contacts {
		g.do(func() {
			l, err := cl.Licenses(ctx)
			if err != nil {
				g.note(err, graph.DataLicenses)
				return
			}
			rd.licenses, rd.licOK = l, true
		})
	}
	if set.Devices {
		g.do(func() {
			var devs []store.Device
			err := cl.Devices(ctx, func(d store.Device) error { devs = append(devs, d); return nil })
			if err != nil {
				g.note(err, graph.DataDevices)
				return
			}
			rd.devices, rd.devOK = devs, true
		})
	}
}

// readMailboxes reads the mailbox usage report.
func (rs *runState) readMailboxes(ctx context.Context, cl *graph.Client, g *readGroup) {
	m, concealed, err := cl.Mailboxes(ctx)
	if err != nil {
		g.note(err, graph.DataMailboxes)
		return
	}
	rd := g.rd
	rd.mailboxes, rd.concealed, rd.mbOK = m, concealed, true
	if concealed {
		g.add(connections.ConcealedFinding())
	}
}

// readUsers reads the delta since the saved link, or every user when there
// is none, it expired, or the last full read is a day old.
// sizeHint is the tenant's user count at the last sync (0: unknown).
func (rs *runState) readUsers(ctx context.Context, cl *graph.Client, t store.Tenant, g *readGroup, deltaLink string, fullAt time.Time, sizeHint int, skipSignIns bool) error {
	rd := g.rd
	if deltaLink != "" && rs.e.now().Sub(fullAt) < fullReadEvery {
		next, err := cl.Delta(ctx, deltaLink, rd.collect)
		if err == nil {
			rd.deltaLink = next
			return nil
		}
		if !errors.Is(err, graph.ErrDeltaExpired) {
			return err
		}
		rs.logf(store.LevelInfo, t.TenantID, "%s: the saved delta link expired; reading all users", t.DisplayName)
		rd.changes, rd.removed = nil, nil
	}
	all, err := cl.AllUsers(ctx, !skipSignIns, sizeHint)
	if err != nil {
		return err
	}
	rd.signInsAsked = !skipSignIns
	if all.SignInsErr != nil {
		g.note(all.SignInsErr, graph.DataSignIns)
		rd.noP1 = true
	}
	rd.full, rd.users, rd.deltaLink = true, all.Users, all.DeltaLink
	return nil
}
