package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/store"
)

// openWindow runs the desktop app until its window is closed.
func openWindow(ctx context.Context, dataDir string, logger *slog.Logger) error {
	s, err := store.Open(filepath.Join(dataDir, store.DBFile), store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	a := app.NewWithID("io.tenantsync.app")
	w := a.NewWindow("tenantsync")
	w.SetContent(container.NewCenter(widget.NewLabel(fmt.Sprintf("%d organizations, %d contacts", info.Organizations, info.Contacts))))
	w.Resize(fyne.NewSize(900, 600))
	logger.Info("window opened", "data_dir", dataDir)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}
