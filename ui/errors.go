package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/connections"
	"github.com/tenantsync/tenantsync/core/syncer"
	"github.com/tenantsync/tenantsync/store"
	"github.com/tenantsync/tenantsync/store/secrets"
)

// explain turns an error into what happened and what to do, in the
// technician's words; never a stack.
func explain(err error, what string) (title, message string) {
	title = "Could not " + what
	var ae *auth.Error
	var fe connections.FieldErrors
	var dup *syncer.DuplicateError
	switch {
	case errors.As(err, &ae):
		message = ae.Message
		if ae.Fix != "" {
			message += "\n\nWhat to do: " + ae.Fix
		}
	case errors.As(err, &fe):
		var b strings.Builder
		b.WriteString("Some fields need attention:\n")
		for k, v := range fe {
			fmt.Fprintf(&b, "\n• %s: %s", fieldTitle(k), v)
		}
		message = b.String()
	case errors.As(err, &dup):
		message = dup.Error()
	case errors.Is(err, secrets.ErrUnavailable):
		message = "tenantsync keeps client secrets in the OS keychain and cannot reach it.\n\nWhat to do: " + secrets.Hint()
	case errors.Is(err, store.ErrLocked):
		message = "Another tenantsync window (or a scheduled sync) has the database open.\n\nWhat to do: close the other window or wait for the sync to finish, then try again."
	case errors.Is(err, syncer.ErrBusy):
		message = "A sync of this connection is already running.\n\nWhat to do: wait for it to finish or cancel it."
	case errors.Is(err, context.DeadlineExceeded):
		message = "Microsoft did not answer in time.\n\nWhat to do: check the internet connection and try again."
	default:
		message = firstUpper(err.Error()) + ".\n\nWhat to do: try again; if it keeps happening, the sync logs and tenantsync.log in the data folder have the details."
	}
	return title, message
}

func fieldTitle(k string) string {
	switch k {
	case connections.FieldName:
		return "Name"
	case connections.FieldMode:
		return "Connection type"
	case connections.FieldTenantID:
		return "Tenant ID"
	case connections.FieldClientID:
		return "Application (client) ID"
	case connections.FieldSecret:
		return "Client secret"
	case connections.FieldRedirectPort:
		return "Redirect port"
	}
	return k
}

// showError shows err in a dialog that says what to do and logs it with
// its cause and attrs (connection, tenant, contact...). A cancelled context
// is the technician's own doing and shows nothing.
func (e *env) showError(err error, what string, attrs ...any) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	e.logError(err, what, attrs...)
	title, msg := explain(err, what)
	e.showInfo(title, msg)
}

func (e *env) showInfo(title, msg string) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, "OK", container.NewVScroll(l), e.w)
	d.Resize(fyne.NewSize(520, 300))
	e.showDialog(d)
}
