package connections

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/store"
)

// The client secret's lifecycle: its end date is read from the app
// registration's passwordCredentials (the service account's Graph token in
// the partner tenant may read applications with Directory.Read.All), shown,
// and warned about 30 and 7 days ahead; "Renew secret" adds a new secret
// through the administrator's sign-in and removes the old one once a sync
// has succeeded with the new one.

// Secret warning levels.
const (
	SecretOK       = 0
	SecretSoon     = 1 // within 30 days
	SecretUrgent   = 2 // within 7 days
	SecretExpired  = 3
	secretSoonDays = 30
	secretUrgDays  = 7
)

// SecretWarning says how close a connection's secret is to its end: a level
// and a sentence ("" when there is nothing to say).
func SecretWarning(c store.Connection, now time.Time) (level int, text string) {
	if c.SecretExpires.IsZero() || c.Mode == store.ModeDemo {
		return SecretOK, ""
	}
	left := c.SecretExpires.Sub(now)
	days := int(left.Hours() / 24)
	date := c.SecretExpires.Local().Format("2 Jan 2006")
	switch {
	case left <= 0:
		return SecretExpired, fmt.Sprintf("The client secret of %q expired on %s: syncs fail until it is renewed (Integrations > Renew secret).", c.Name, date)
	case days < secretUrgDays:
		return SecretUrgent, fmt.Sprintf("The client secret of %q expires on %s, in %d day(s): renew it now (Integrations > Renew secret).", c.Name, date, days)
	case days < secretSoonDays:
		return SecretSoon, fmt.Sprintf("The client secret of %q expires on %s, in %d days: renew it before then (Integrations > Renew secret).", c.Name, date, days)
	}
	return SecretOK, ""
}

// RefreshSecretExpiry reads the end date of the connection's client secret
// from its app registration and saves it. A token that may not read
// applications leaves the date unknown, without an error: the date is a
// convenience, not a condition of syncing.
func (m *Manager) RefreshSecretExpiry(ctx context.Context, c store.Connection, sess *auth.Session) (store.Connection, error) {
	secret, err := m.keychain.Get(c.SecretRef)
	if err != nil {
		return c, fmt.Errorf("read the client secret of %q: %w", c.Name, err)
	}
	g := &adminGraph{base: c.GraphBase, client: m.httpClient(), token: func(ctx context.Context) (string, error) { return sess.Token(ctx, c.TenantID) }}
	if g.base == "" {
		g.base = m.net.Cloud.GraphBase
	}
	var out struct {
		Value []applicationObj `json:"value"`
	}
	// One try: this runs in a sync, where waiting out replication (do)
	// would only delay it; the date is read again tomorrow.
	if err := g.doOnce(ctx, http.MethodGet, "/applications"+filterEq("appId", c.ClientID)+"&$select=id,appId,passwordCredentials", nil, &out); err != nil || len(out.Value) == 0 {
		return c, nil
	}
	// The keychain's secret is the live password whose hint (its first
	// three characters) it shares; the recorded key id breaks a tie.
	var found *passwordCredential
	for i, p := range out.Value[0].PasswordCredentials {
		if len(secret) < 3 || p.Hint != secret[:3] {
			continue
		}
		if found == nil || p.KeyID == c.SecretKeyID || (found.KeyID != c.SecretKeyID && p.EndDateTime.After(found.EndDateTime)) {
			found = &out.Value[0].PasswordCredentials[i]
		}
	}
	if found == nil || (found.KeyID == c.SecretKeyID && found.EndDateTime.Equal(c.SecretExpires)) {
		return c, nil
	}
	if err := m.setSecretEnd(ctx, c.ID, found.KeyID, found.EndDateTime); err != nil {
		return c, err
	}
	c.SecretKeyID, c.SecretExpires = found.KeyID, found.EndDateTime
	return c, nil
}

// retiring holds, per connection, the administrator's session of a renewal
// until the old secret is removed: it lives in memory only, while the app runs.
type retiring struct {
	mu       sync.Mutex
	sessions map[string]*adminGraph
}

// RenewSecret adds a new client secret to the connection's app through the
// administrator's sign-in, saves it in the keychain, and marks the old one
// for removal after the next successful sync (RetireSecret).
func (m *Manager) RenewSecret(ctx context.Context, id string, progress func(SetupProgress)) error {
	report := func(step SetupStep, done bool, format string, args ...any) {
		if progress != nil {
			progress(SetupProgress{Step: step, Done: done, Message: fmt.Sprintf(format, args...)})
		}
	}
	c, err := m.Connection(ctx, id)
	if err != nil {
		return err
	}
	report(StepAdminSignIn, false, "Sign in as an administrator of the partner tenant in the browser.")
	admin, err := auth.AdminSignIn(ctx, auth.AdminConfig{Cloud: m.cloudOf(c), HTTP: m.net.HTTP, OpenURL: m.net.OpenURL, Tenant: c.TenantID})
	if err != nil {
		return &SetupError{StepAdminSignIn, err, "Sign in with a Global Administrator (or Application Administrator) of the partner tenant."}
	}
	report(StepAdminSignIn, true, "Signed in as %s.", admin.Username)
	g := &adminGraph{base: c.GraphBase, client: m.httpClient(), token: admin.Token}
	if g.base == "" {
		g.base = m.net.Cloud.GraphBase
	}
	report(StepSecret, false, "Adding a new client secret.")
	app, err := g.findApplication(ctx, c.ClientID, "")
	if err != nil || app == nil || app.AppID != c.ClientID {
		return &SetupError{StepSecret, orNotFound(err, "the app registration "+c.ClientID), "Check that the connection's application id is an app registration of this partner tenant."}
	}
	old := c.SecretKeyID
	if old == "" {
		if s, err := m.keychain.Get(c.SecretRef); err == nil {
			for _, p := range app.PasswordCredentials {
				if len(s) >= 3 && p.Hint == s[:3] {
					old = p.KeyID
				}
			}
		}
	}
	p, err := g.addPassword(ctx, app.ID, "tenantsync "+time.Now().UTC().Format("2006-01-02"))
	if err != nil {
		return &SetupError{StepSecret, err, ""}
	}
	report(StepSecret, false, "Waiting for Microsoft to accept the new secret (usually seconds).")
	if err := m.waitForApp(ctx, c, p.SecretText, nil); err != nil {
		return &SetupError{StepSecret, err, "The new secret was added but Microsoft does not accept it yet; the old one still works. Try Renew secret again later."}
	}
	if err := m.keychain.Set(c.SecretRef, p.SecretText); err != nil {
		return &SetupError{StepSecret, fmt.Errorf("save the new client secret: %w", err), "The new secret is on the app registration but not in the keychain: renew again once the keychain is unlocked."}
	}
	m.forgetSession(c.ID)
	err = m.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Connection(id)
		if err != nil {
			return err
		}
		cur.SecretKeyID, cur.SecretExpires, cur.RetiringSecretKeyID = p.KeyID, p.EndDateTime, old
		cur.SecretChecked, cur.SecretWarnedLevel = time.Now().UTC(), SecretOK
		return tx.PutConnection(&cur)
	})
	if err != nil {
		return err
	}
	if old != "" {
		m.retire.mu.Lock()
		if m.retire.sessions == nil {
			m.retire.sessions = map[string]*adminGraph{}
		}
		m.retire.sessions[c.ID] = &adminGraph{base: g.base, client: g.client, token: admin.Token}
		m.retire.mu.Unlock()
	}
	report(StepSecret, true, "Added a new client secret, valid until %s; the old one is removed after the next successful sync.", p.EndDateTime.Format("2 Jan 2006"))
	return nil
}

// RetireSecret removes a renewed connection's old secret from its app
// registration, through the administrator's session of the renewal; the
// engine calls it after a successful sync. Without that session (the app
// restarted) the old secret stays and Integrations says so.
func (m *Manager) RetireSecret(ctx context.Context, id string) (bool, error) {
	m.retire.mu.Lock()
	g := m.retire.sessions[id]
	m.retire.mu.Unlock()
	if g == nil {
		return false, nil
	}
	c, err := m.Connection(ctx, id)
	if err != nil || c.RetiringSecretKeyID == "" {
		return false, err
	}
	app, err := g.findApplication(ctx, c.ClientID, "")
	if err != nil || app == nil {
		return false, orNotFound(err, "the app registration")
	}
	err = g.do(ctx, http.MethodPost, "/applications/"+app.ID+"/removePassword", map[string]string{"keyId": c.RetiringSecretKeyID}, nil)
	if err != nil {
		return false, fmt.Errorf("remove the old client secret: %w", err)
	}
	m.retire.mu.Lock()
	delete(m.retire.sessions, id)
	m.retire.mu.Unlock()
	return true, m.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Connection(id)
		if err != nil {
			return err
		}
		cur.RetiringSecretKeyID = ""
		return tx.PutConnection(&cur)
	})
}
