package connections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tenantsync/tenantsync/core/auth"
	"github.com/tenantsync/tenantsync/core/graph"
	"github.com/tenantsync/tenantsync/core/permissions"
	"github.com/tenantsync/tenantsync/store"
)

// DataTypes are the kinds of data a sync reads, in the order they are shown.
var DataTypes = []string{graph.DataDirectory, graph.DataContacts, graph.DataLicenses, graph.DataMailboxes, graph.DataSignIns, graph.DataDevices}

// GDAP roles (role template ids) and what each lets the service account read.
var gdapRoles = map[string][]string{
	"62e90394-69f5-4237-9190-012177145e10": DataTypes,                                                     // Global Administrator
	"f2ef992c-3afb-46b9-b7cf-a126ee74c451": DataTypes,                                                     // Global Reader
	"88d8e3e3-8f55-4a1e-953a-9b9898b8876b": {graph.DataDirectory, graph.DataContacts, graph.DataLicenses}, // Directory Readers
	"fe930be7-5e62-47db-91af-98c3a49a38b1": {graph.DataDirectory, graph.DataContacts, graph.DataLicenses}, // User Administrator
	"4a5d8f65-41da-4de4-8968-e035b65339cf": {graph.DataMailboxes, graph.DataSignIns},                      // Reports Reader
	"5d6b6bb7-de71-4623-b4af-96380a352509": {graph.DataSignIns},                                           // Security Reader
	"29232cdf-9323-42fd-ade2-1d097af3e4de": {graph.DataMailboxes},                                         // Exchange Administrator
	"3a2c62db-5318-420d-8d74-23affee5d9d5": {graph.DataDevices},                                           // Intune Administrator
}

// expiringWithin is when an ending GDAP relationship starts to warn.
const expiringWithin = 30 * 24 * time.Hour

// Check is the preflight result of one tenant: which data types will sync.
type Check struct {
	TenantID    string
	DisplayName string
	Works       map[string]bool // data type -> readable
	Findings    []store.Finding
}

// OK reports whether every data type works.
func (c Check) OK() bool {
	for _, dt := range DataTypes {
		if !c.Works[dt] {
			return false
		}
	}
	return true
}

// Discover lists the tenants a connection reaches, with their GDAP
// relationships, without saving them.
func (m *Manager) Discover(ctx context.Context, c store.Connection, sess *auth.Session, stats *graph.Stats) ([]store.Tenant, error) {
	if c.Mode == store.ModeSingle {
		cl, err := m.GraphClient(c, sess, c.TenantID, stats)
		if err != nil {
			return nil, err
		}
		dir, err := cl.Organization(ctx)
		if err != nil {
			return nil, err
		}
		return []store.Tenant{{ConnectionID: c.ID, TenantID: c.TenantID, DisplayName: dir.DisplayName, DefaultDomain: dir.DefaultDomain, Domains: dir.Domains}}, nil
	}
	partner, err := m.GraphClient(c, sess, c.TenantID, stats)
	if err != nil {
		return nil, err
	}
	// Customers and relationships are independent: one round trip for both.
	var rels map[string]store.Relationship
	var relErr error
	var wg sync.WaitGroup
	if c.Mode != store.ModeApp {
		wg.Add(1)
		go func() { defer wg.Done(); rels, relErr = partner.Relationships(ctx) }()
	}
	customers, err := partner.Customers(ctx)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if relErr != nil {
		return nil, relErr
	}
	out := make([]store.Tenant, 0, len(customers))
	for _, cu := range customers {
		t := store.Tenant{ConnectionID: c.ID, TenantID: cu.TenantID, DisplayName: cu.DisplayName, DefaultDomain: cu.DefaultDomain}
		if r, ok := rels[cu.TenantID]; ok {
			r := r
			t.Relationship = &r
		}
		out = append(out, t)
	}
	return out, nil
}

// relationshipFindings judges a GDAP relationship and returns the data types
// its roles allow.
func relationshipFindings(t store.Tenant, now time.Time) (allowed map[string]bool, findings []store.Finding) {
	allowed = map[string]bool{}
	r := t.Relationship
	if r == nil {
		findings = append(findings, store.Finding{Severity: store.SeverityError, Code: graph.CodeGDAPMissing,
			Message: "There is no GDAP relationship with this customer.",
			Fix:     "In Partner Center create a GDAP relationship with Global Reader (or Directory Readers, Reports Reader and Intune Administrator), have the customer approve it, and assign it to the service account's security group."})
		return allowed, findings
	}
	if r.Status != "active" || (!r.End.IsZero() && r.End.Before(now)) {
		findings = append(findings, store.Finding{Severity: store.SeverityError, Code: graph.CodeGDAPExpired,
			Message: fmt.Sprintf("The GDAP relationship is %s (ended %s).", orDefault(r.Status, "not active"), r.End.Format("2 Jan 2006")),
			Fix:     "In Partner Center request a new GDAP relationship and have the customer approve it; enable auto-extend so it does not lapse again."})
		return allowed, findings
	}
	if !r.End.IsZero() && r.End.Sub(now) < expiringWithin {
		findings = append(findings, store.Finding{Severity: store.SeverityWarning, Code: graph.CodeGDAPExpiring,
			Message: fmt.Sprintf("The GDAP relationship ends on %s.", r.End.Format("2 Jan 2006")),
			Fix:     "Extend it in Partner Center (or turn on auto-extend) before it ends, or syncing this customer stops."})
	}
	for _, role := range r.Roles {
		for _, dt := range gdapRoles[strings.ToLower(role)] {
			allowed[dt] = true
		}
	}
	var missing []string
	for _, dt := range DataTypes {
		if !allowed[dt] {
			missing = append(missing, dt)
		}
	}
	if len(missing) > 0 {
		findings = append(findings, store.Finding{Severity: store.SeverityWarning, Code: graph.CodeGDAPRoles,
			Message: fmt.Sprintf("The GDAP relationship's roles do not cover: %s.", strings.Join(missing, ", ")),
			Fix:     "Add Global Reader to the relationship (or Directory Readers, Reports Reader and Intune Administrator) and assign it to the service account's security group."})
	}
	return allowed, findings
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// tokenPermissions reads the permissions an access token carries: roles
// (application) or scp (delegated). It decodes without verifying: the token
// came straight from the identity platform, and this is only advice.
func tokenPermissions(token string) (map[string]bool, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var claims struct {
		Roles []string `json:"roles"`
		Scp   string   `json:"scp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return nil, false
	}
	out := map[string]bool{}
	for _, r := range claims.Roles {
		out[r] = true
	}
	for _, s := range strings.Fields(claims.Scp) {
		out[s] = true
	}
	return out, true
}

// Preflight checks, for every tenant of a connection, which data types will
// sync and why not, and saves the tenants with their findings. progress, if
// not nil, is called as tenants finish.
func (m *Manager) Preflight(ctx context.Context, id string, progress func(done, total int)) ([]Check, error) {
	c, err := m.Connection(ctx, id)
	if err != nil {
		return nil, err
	}
	sess, err := m.Session(c)
	if err != nil {
		return nil, err
	}
	defer sess.Flush(context.WithoutCancel(ctx))
	stats := &graph.Stats{}
	tenants, err := m.Discover(ctx, c, sess, stats)
	if err != nil {
		return nil, err
	}
	checks := make([]Check, len(tenants))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var mu sync.Mutex
	done := 0
	for i := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			checks[i] = m.checkTenant(ctx, c, sess, &tenants[i], stats)
			mu.Lock()
			done++
			if progress != nil {
				progress(done, len(tenants))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	err = m.store.Update(ctx, func(tx *store.Tx) error {
		for i := range tenants {
			t := tenants[i]
			if old, err := tx.Tenant(c.ID, t.TenantID); err == nil {
				t.MatchState, t.OrgID, t.Suggestions, t.MatchReason, t.LastSync, t.LastCounts = old.MatchState, old.OrgID, old.Suggestions, old.MatchReason, old.LastSync, old.LastCounts
				if len(t.Domains) == 0 {
					t.Domains, t.DefaultDomain = old.Domains, old.DefaultDomain
				}
			}
			t.Findings = checks[i].Findings
			if err := tx.PutTenant(&t); err != nil {
				return err
			}
		}
		cur, err := tx.Connection(c.ID)
		if err != nil {
			return err
		}
		cur.PreflightDoneAt = tx.Now()
		return tx.PutConnection(&cur)
	})
	sort.Slice(checks, func(i, j int) bool { return store.Fold(checks[i].DisplayName) < store.Fold(checks[j].DisplayName) })
	return checks, err
}

func (m *Manager) checkTenant(ctx context.Context, c store.Connection, sess *auth.Session, t *store.Tenant, stats *graph.Stats) Check {
	ch := Check{TenantID: t.TenantID, DisplayName: t.DisplayName, Works: map[string]bool{}}
	allowed := map[string]bool{}
	for _, dt := range DataTypes {
		allowed[dt] = true
	}
	if c.Mode == store.ModeGDAP {
		allowed, ch.Findings = relationshipFindings(*t, time.Now())
	}
	token, err := sess.Token(ctx, t.TenantID)
	if err != nil {
		ch.Findings = append(ch.Findings, auth.Finding(err, ""))
		return ch
	}
	if perms, ok := tokenPermissions(token); ok {
		for _, p := range permissions.Required {
			if perms[p.Name] || p.ResourceAppID != permissions.GraphAppID {
				continue
			}
			if len(p.Unlocks) == 0 {
				ch.Findings = append(ch.Findings, store.Finding{Severity: store.SeverityWarning, Code: graph.CodePermissionMissing,
					Message: fmt.Sprintf("The app's token for this tenant lacks %s: tenantsync cannot read %s.", p.Name, p.Why),
					Fix:     fmt.Sprintf("Add the Microsoft Graph permission %s to the app registration, then grant admin consent again in this tenant.", p.Name)})
				continue
			}
			for _, dt := range p.Unlocks {
				allowed[dt] = false
			}
			ch.Findings = append(ch.Findings, store.Finding{Severity: store.SeverityError, Code: graph.CodePermissionMissing, DataType: p.Unlocks[0],
				Message: fmt.Sprintf("The app's token for this tenant lacks %s, so %s will not sync.", p.Name, strings.Join(p.Unlocks, " and ")),
				Fix:     fmt.Sprintf("Add the Microsoft Graph permission %s to the app registration (application and delegated), then grant admin consent again in this tenant.", p.Name)})
		}
	}
	cl, err := m.GraphClient(c, sess, t.TenantID, stats)
	if err != nil {
		ch.Findings = append(ch.Findings, store.Finding{Severity: store.SeverityError, Code: "error", Message: err.Error()})
		return ch
	}
	probe := func(dataType string, fn func() error) {
		if !allowed[dataType] {
			return
		}
		if err := fn(); err != nil {
			f := graph.Finding(err, dataType)
			ch.Findings = append(ch.Findings, f)
			ch.Works[dataType] = f.Severity == store.SeverityWarning && f.Code == graph.CodeConcealedNames
			return
		}
		ch.Works[dataType] = true
	}
	probe(graph.DataDirectory, func() error {
		dir, err := cl.Organization(ctx)
		if err == nil {
			t.Domains, t.DefaultDomain = dir.Domains, dir.DefaultDomain
			if t.DisplayName == "" {
				t.DisplayName = dir.DisplayName
			}
		}
		return err
	})
	if ch.Works[graph.DataDirectory] {
		ch.Works[graph.DataContacts] = allowed[graph.DataContacts]
		ch.Works[graph.DataLicenses] = allowed[graph.DataLicenses]
	}
	probe(graph.DataMailboxes, func() error {
		concealed, err := cl.ConcealedNames(ctx)
		if err == nil && concealed {
			t.ConcealedNames = true
			ch.Findings = append(ch.Findings, ConcealedFinding())
		}
		return err
	})
	probe(graph.DataSignIns, func() error { return cl.ProbeSignIns(ctx) })
	probe(graph.DataDevices, func() error { return cl.ProbeDevices(ctx) })
	return ch
}

// ConcealedFinding explains concealed names in usage reports.
func ConcealedFinding() store.Finding {
	return store.Finding{Severity: store.SeverityWarning, Code: graph.CodeConcealedNames, DataType: graph.DataMailboxes,
		Message: "This tenant hides user names in usage reports, so mailbox usage cannot be matched to contacts.",
		Fix:     "In the Microsoft 365 admin center open Settings > Org settings > Services > Reports and clear \"Display concealed user, group, and site names in all reports\"."}
}
