package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"

	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/ui"
)

// smokeShots are the screens the smoke test captures, in order.
var smokeShots = []struct {
	file string
	show func(s *ui.Shell, c smokeData)
}{
	{"first-run.png", func(s *ui.Shell, _ smokeData) { s.ShowFirstRun() }},
	{"integrations.png", func(s *ui.Shell, _ smokeData) { s.Show(ui.ViewIntegrations) }},
	{"matching.png", func(s *ui.Shell, _ smokeData) { s.Show(ui.ViewMatching) }},
	{"organizations.png", func(s *ui.Shell, _ smokeData) { s.Show(ui.ViewOrganizations) }},
	{"organization.png", func(s *ui.Shell, c smokeData) { s.ShowOrganization(c.orgID) }},
	{"organization-licenses.png", func(s *ui.Shell, c smokeData) { s.ShowOrganizationTab(c.orgID, ui.OrgTabLicenses) }},
	{"organization-mailboxes.png", func(s *ui.Shell, c smokeData) { s.ShowOrganizationTab(c.orgID, ui.OrgTabMailboxes) }},
	{"organization-devices.png", func(s *ui.Shell, c smokeData) { s.ShowOrganizationTab(c.orgID, ui.OrgTabDevices) }},
	{"organization-leavers.png", func(s *ui.Shell, c smokeData) { s.ShowOrganizationTab(c.orgID, ui.OrgTabLeavers) }},
	{"organization-m365.png", func(s *ui.Shell, c smokeData) { s.ShowOrganizationTab(c.orgID, ui.OrgTabMicrosoft365) }},
	{"contact.png", func(s *ui.Shell, c smokeData) { s.Show(ui.ViewOrganizations); s.OpenContact(c.contactID) }},
	{"logs.png", func(s *ui.Shell, _ smokeData) { s.Show(ui.ViewLogs) }},
	{"settings.png", func(s *ui.Shell, _ smokeData) { s.Show(ui.ViewSettings) }},
	{"sync-settings.png", func(s *ui.Shell, c smokeData) { s.ShowSyncSettings(c.connID) }},
	{"connect.png", func(s *ui.Shell, _ smokeData) { s.ShowConnect("") }},
}

type smokeData struct {
	connID    string
	contactID uint64
	orgID     uint64 // the locked contact's organization
}

// runSmoke waits for the demo's first sync (the window starts it), then captures every main view into dir. It
// fails when the sync fails or a capture is blank.
func runSmoke(ctx context.Context, shell *ui.Shell, core ui.Core, db *store.Store, events <-chan syncer.Event, dir string, logger *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conns, err := core.Manager.Connections(ctx)
	if err != nil || len(conns) == 0 {
		return fmt.Errorf("smoke: no demo connection (%v)", err)
	}
	data := smokeData{connID: conns[0].ID}
	// Wait for the window's sync; capture the top bar while it runs. A
	// sync can end before the window paints, so try up to three runs.
	var run *store.SyncRun
	syncing, attempts := false, 1
	for run == nil {
		select {
		case ev := <-events:
			if ev.ConnectionID != data.connID {
				continue
			}
			if !syncing && ev.Kind == syncer.TenantProgress && ev.TenantsTotal > 1 {
				if syncing = captureSyncing(shell, dir, logger); syncing {
					logger.Info("smoke: captured the sync in progress")
				}
			}
			if ev.Kind == syncer.RunFinished {
				if !syncing && attempts < 3 {
					attempts++
					core.Engine.SyncNow(ctx, data.connID)
					continue
				}
				run = ev.Run
			}
		case <-ctx.Done():
			return errors.New("smoke: the demo sync did not finish within 2 minutes")
		}
	}
	if run != nil && run.Status == store.StatusError {
		return fmt.Errorf("smoke: the demo sync failed: %+v", run.Log)
	}
	logger.Info("smoke: demo synced", "tenants", len(run.Tenants), "status", run.Status)
	data.contactID, data.orgID = lockedContact(ctx, db)
	if data.contactID == 0 {
		return errors.New("smoke: no synced contact with a locked field to show")
	}
	var failed []string
	for _, shot := range smokeShots {
		fyne.DoAndWait(func() {
			shell.DismissOverlays()
			shot.show(shell, data)
			// A view wider than this grows the window: the PNG shows it.
			shell.Window().Resize(fyne.NewSize(1280, 800))
		})
		if err := shoot(shell, dir, shot.file, logger); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if !syncing {
		failed = append(failed, "the top bar showed no progress in 3 syncs")
	}
	if len(failed) > 0 {
		return fmt.Errorf("smoke: %s", strings.Join(failed, "; "))
	}
	return nil
}

// captureSyncing writes syncing.png if the top bar still shows the sync
// once the window has painted it.
func captureSyncing(shell *ui.Shell, dir string, logger *slog.Logger) bool {
	time.Sleep(250 * time.Millisecond)
	var running bool
	fyne.DoAndWait(func() { _, _, running = shell.Progress() })
	if !running {
		return false
	}
	img := capture(shell.Window())
	if blank(img) || writePNG(filepath.Join(dir, "syncing.png"), img) != nil {
		return false
	}
	fmt.Fprintln(os.Stderr, "smoke: wrote", filepath.Join(dir, "syncing.png"))
	return true
}

// shoot lets the window paint, then writes its pixels to dir/file. A blank
// capture is an error.
func shoot(shell *ui.Shell, dir, file string, logger *slog.Logger) error {
	time.Sleep(800 * time.Millisecond)
	img := capture(shell.Window())
	path := filepath.Join(dir, file)
	if err := writePNG(path, img); err != nil {
		return err
	}
	logger.Info("smoke: captured", "file", path)
	fmt.Fprintln(os.Stderr, "smoke: wrote", path)
	if blank(img) {
		return fmt.Errorf("%s is blank", file)
	}
	return nil
}

// capture reads the window's pixels. Under Xvfb the GL front buffer often
// reads back black, so a blank capture is redrawn with Fyne's software
// painter from the same canvas content and overlays.
func capture(w fyne.Window) image.Image {
	img := w.Canvas().Capture()
	if !blank(img) {
		return img
	}
	fyne.DoAndWait(func() {
		c := w.Canvas()
		content, overlays := c.Content(), c.Overlays().List()
		sc := software.NewCanvas()
		sc.SetScale(c.Scale())
		sc.SetContent(content)
		sc.Resize(c.Size())
		for _, o := range overlays {
			c.Overlays().Remove(o)
			sc.Overlays().Add(o)
		}
		img = sc.Capture()
		for _, o := range overlays {
			sc.Overlays().Remove(o)
		}
		w.SetContent(content)
		for _, o := range overlays {
			c.Overlays().Add(o)
		}
	})
	return img
}

// lockedContact finds a synced contact with a locked field, the demo's
// contact whose overlay shows a difference, and its organization.
func lockedContact(ctx context.Context, s *store.Store) (id, orgID uint64) {
	_ = s.View(ctx, func(tx *store.Tx) error {
		return tx.ForEachContact(func(c *store.Contact) error {
			if id == 0 && c.Link != nil && len(c.Locked) > 0 {
				id, orgID = c.ID, c.OrgID
			}
			return nil
		})
	})
	return id, orgID
}

func writePNG(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("smoke: %s: the canvas returned no image", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("smoke: %s: %w", path, err)
	}
	return f.Close()
}

// blank reports whether img is (nearly) one colour: a view that drew
// nothing.
func blank(img image.Image) bool {
	if img == nil {
		return true
	}
	b := img.Bounds()
	if b.Dx() < 100 || b.Dy() < 100 {
		return true
	}
	counts := map[[3]uint32]int{}
	total := 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
			total++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	return len(counts) < 8 || float64(top)/float64(total) > 0.995
}
