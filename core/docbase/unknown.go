package docbase

import (
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/store"
)

// Unknown says why a linked contact's overlay lacks values that sync
// brings, for the reasons the sync knows; "" means the value is known and an
// empty one is real (no sign-in ever, no device). Each reason reads on its
// own after the name of what is missing, e.g. "Last sign-in: no sign-in
// data: this tenant has no Entra ID P1".
type Unknown struct {
	SignIns  string // last sign-in dates
	Mailbox  string // the mailbox usage report's row
	Licenses string // the names of the user's licenses
	Devices  string // Intune managed devices
}

// WhyUnknown says which of a tenant's values sync could not bring, and
// why: a data type the connection's sync settings leave out, the tenant's
// findings of its last sync (no Entra ID P1, a permission missing, a read
// that failed) and a usage report that conceals user names.
func WhyUnknown(set store.SyncSettings, t store.Tenant) Unknown {
	var u Unknown
	for _, f := range t.Findings {
		var why string
		switch f.Code {
		case graph.CodeNoP1:
			u.SignIns = "no sign-in data: this tenant has no Entra ID P1"
			continue
		case graph.CodeConcealedNames:
			continue // t.ConcealedNames below
		case graph.CodePermissionMissing:
			why = "Microsoft refused it (a permission is missing; see the tenant's findings in Matching or the sync log)"
		default:
			why = "the last sync could not read it (see the tenant's findings in the sync log)"
		}
		switch f.DataType {
		case graph.DataSignIns:
			u.SignIns = orIfEmpty(u.SignIns, "no sign-in data: "+why)
		case graph.DataMailboxes:
			u.Mailbox = orIfEmpty(u.Mailbox, "no mailbox data: "+why)
		case graph.DataLicenses:
			u.Licenses = orIfEmpty(u.Licenses, "no license names: "+why)
		case graph.DataDevices:
			u.Devices = orIfEmpty(u.Devices, "no device data: "+why)
		}
	}
	if t.ConcealedNames {
		u.Mailbox = "no mailbox data: this tenant's usage reports conceal user names, so no report row can be tied to a user " +
			"(Microsoft 365 admin center → Settings → Org settings → Reports: show identifiable names)"
	}
	// What the settings leave out is not read at all: that says it first.
	if !set.SignIns {
		u.SignIns = "not synced: sign-in activity is off in this connection's sync settings"
	}
	if !set.Mailboxes {
		u.Mailbox = "not synced: mailboxes are off in this connection's sync settings"
	}
	if !set.Licenses && !set.Contacts {
		u.Licenses = "not synced: licenses are off in this connection's sync settings"
	}
	if !set.Devices {
		u.Devices = "not synced: Intune devices are off in this connection's sync settings"
	}
	return u
}

func orIfEmpty(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}
