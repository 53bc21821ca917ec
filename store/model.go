package store

import "time"

// Source says where a local documentation record came from.
type Source string

const (
	SourceManual   Source = "manual"
	SourceImported Source = "imported"
	// SourceTenant marks records tenantsync created from Microsoft 365 data.
	SourceTenant Source = "created-from-tenant"
)

// Organization is one customer in the technician's documentation.
type Organization struct {
	ID        uint64   `json:"id"`
	Name      string   `json:"name"`
	ShortName string   `json:"short_name,omitempty"`
	Type      string   `json:"type,omitempty"`
	Status    string   `json:"status,omitempty"`
	Domains   []string `json:"domains,omitempty"` // e-mail domains the organization owns, lowercased
	Notes     string   `json:"notes,omitempty"`
	Source    Source   `json:"source"`
	// Archived hides the organization from lists and search; it is kept,
	// and a tenant matched to it still syncs into it.
	Archived bool      `json:"archived,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Contact field names, used for locks, overlays and change history.
const (
	FieldFirstName    = "first_name"
	FieldLastName     = "last_name"
	FieldTitle        = "title"
	FieldPrimaryEmail = "primary_email"
	FieldOtherEmails  = "other_emails"
	FieldOfficePhone  = "office_phone"
	FieldMobile       = "mobile"
)

// Contact is one person in an organization.
type Contact struct {
	ID           uint64   `json:"id"`
	OrgID        uint64   `json:"org_id"`
	FirstName    string   `json:"first_name,omitempty"`
	LastName     string   `json:"last_name,omitempty"`
	Title        string   `json:"title,omitempty"`
	PrimaryEmail string   `json:"primary_email,omitempty"`
	OtherEmails  []string `json:"other_emails,omitempty"`
	OfficePhone  string   `json:"office_phone,omitempty"`
	Mobile       string   `json:"mobile,omitempty"`
	Notes        string   `json:"notes,omitempty"`
	Source       Source   `json:"source"`
	Locked       []string `json:"locked,omitempty"` // Field* names sync never overwrites
	Link         *MSLink  `json:"link,omitempty"`
	Flags        []string `json:"flags,omitempty"` // FlagLeaver, FlagAmbiguous
	// Archived hides the contact from lists and search. It still takes
	// part in matching, so sync never creates a second contact for its
	// user.
	Archived bool      `json:"archived,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Contact flags set by sync for the technician to review.
const (
	FlagLeaver    = "leaver"
	FlagAmbiguous = "ambiguous"
	// FlagUnlinked: the contact came from a tenant whose match the
	// technician reverted or changed; it stays in the organization because
	// someone edited it, but no longer follows the tenant's user.
	FlagUnlinked = "unlinked"
)

// MSLink ties a contact to an Entra ID user; the object id survives renames.
type MSLink struct {
	ConnectionID string `json:"connection_id"`
	TenantID     string `json:"tenant_id"`
	ObjectID     string `json:"object_id"`
}

// Name is the contact's display name.
func (c *Contact) Name() string {
	switch {
	case c.FirstName != "" && c.LastName != "":
		return c.FirstName + " " + c.LastName
	case c.FirstName != "":
		return c.FirstName
	case c.LastName != "":
		return c.LastName
	}
	return c.PrimaryEmail
}

// Emails returns the primary and other e-mails.
func (c *Contact) Emails() []string {
	out := make([]string, 0, 1+len(c.OtherEmails))
	if c.PrimaryEmail != "" {
		out = append(out, c.PrimaryEmail)
	}
	return append(out, c.OtherEmails...)
}

// IsLocked reports whether the technician pinned field.
func (c *Contact) IsLocked(field string) bool {
	for _, f := range c.Locked {
		if f == field {
			return true
		}
	}
	return false
}

// HasFlag reports whether sync flagged the contact with flag.
func (c *Contact) HasFlag(flag string) bool {
	for _, f := range c.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// Connection modes.
const (
	ModeGDAP   = "gdap"   // partner, delegated sign-in, many customer tenants
	ModeApp    = "app"    // application permissions consented per tenant
	ModeSingle = "single" // one tenant
	ModeDemo   = "demo"
)

// Status is the state of a connection, a sync run or a tenant's part of
// one.
type Status string

// Statuses. A connection is never StatusCancelled (a cancelled run leaves
// it StatusWarning); a run or tenant is never StatusNeverSynced, queued or
// paused.
const (
	StatusNeverSynced Status = "never synced"
	StatusQueued      Status = "queued"
	StatusSyncing     Status = "syncing"
	StatusOK          Status = "ok"
	StatusWarning     Status = "warning"
	StatusError       Status = "error"
	StatusPaused      Status = "paused"
	// StatusCancelled: the technician (or the program's end) stopped the
	// run; what was saved before stays.
	StatusCancelled Status = "cancelled"
	// StatusInterrupted: a sync that a dead process left unfinished (the
	// app closed or crashed mid-sync); set when the store is next opened.
	StatusInterrupted Status = "interrupted"
)

// Severity says how bad a Finding is.
type Severity string

// Severities.
const (
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Level is the level of a sync log line.
type Level string

// Levels.
const (
	LevelInfo    Level = "info"
	LevelWarning Level = "warning"
	LevelError   Level = "error"
)

// CloudName names the Microsoft cloud a connection lives in. The names and
// their hosts are defined in core/auth (auth.Clouds); the store only keeps
// the name.
type CloudName string

// Connection is one way into Microsoft 365. It never holds the secret itself.
type Connection struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Mode            string        `json:"mode"`
	Cloud           CloudName     `json:"cloud"`          // auth.CloudGlobal, ...; see core/auth/cloud.go
	AuthorityHost   string        `json:"authority_host"` // login.microsoftonline.com, or the simulator's host
	GraphBase       string        `json:"graph_base"`     // https://graph.microsoft.com/v1.0
	TenantID        string        `json:"tenant_id"`      // partner (GDAP) or the single tenant
	ClientID        string        `json:"client_id"`
	SecretRef       string        `json:"secret_ref"` // keychain item name
	RedirectPort    int           `json:"redirect_port"`
	Account         string        `json:"account,omitempty"` // signed-in home account id
	Status          Status        `json:"status"`
	StatusDetail    string        `json:"status_detail,omitempty"`
	Paused          bool          `json:"paused,omitempty"`
	Schedule        time.Duration `json:"schedule"` // 0: manual only
	LastSync        time.Time     `json:"last_sync"`
	LastAttempt     time.Time     `json:"last_attempt,omitempty"` // when the last run ended, good or failed
	Failures        int           `json:"failures,omitempty"`     // failed runs since the last good one: the back-off
	NextSync        time.Time     `json:"next_sync"`
	Settings        SyncSettings  `json:"settings"`
	Created         time.Time     `json:"created"`
	Updated         time.Time     `json:"updated"`
	LastRunID       uint64        `json:"last_run_id,omitempty"`
	LastRunCounts   Counts        `json:"last_run_counts"`
	PreflightDoneAt time.Time     `json:"preflight_done_at"`
	// The client secret as Microsoft lists it (passwordCredentials keyId
	// and endDateTime), for the warnings before it expires; zero when unknown.
	SecretKeyID   string    `json:"secret_key_id,omitempty"`
	SecretExpires time.Time `json:"secret_expires,omitzero"`
	// RetiringSecretKeyID is the secret a renewal replaced: removed from
	// the app after the next successful sync with the new one.
	RetiringSecretKeyID string    `json:"retiring_secret_key_id,omitempty"`
	SecretChecked       time.Time `json:"secret_checked,omitzero"`       // when the end date was last read
	SecretWarnedLevel   int       `json:"secret_warned_level,omitempty"` // highest warning notified (connections.Secret*)
}

// SyncSettings says what a connection syncs.
type SyncSettings struct {
	Tenants           []string `json:"tenants,omitempty"` // selected tenant ids; empty with AutoInclude means all
	AutoInclude       bool     `json:"auto_include"`
	SKUs              []string `json:"skus,omitempty"` // sku ids whose users become contacts
	IncludeUnlicensed bool     `json:"include_unlicensed,omitempty"`
	IncludeGuests     bool     `json:"include_guests,omitempty"`
	IncludeDisabled   bool     `json:"include_disabled,omitempty"`
	IncludeShared     bool     `json:"include_shared,omitempty"`
	// NoAutoConsent stops a GDAP sync from consenting tenantsync into
	// customers that lack it (through Partner Center) on its own.
	NoAutoConsent bool `json:"no_auto_consent,omitempty"`
	Contacts      bool `json:"contacts"`
	Licenses      bool `json:"licenses"`
	Mailboxes     bool `json:"mailboxes"`
	SignIns       bool `json:"sign_ins"`
	Devices       bool `json:"devices"`
}

// DefaultSyncSettings syncs every data type of every tenant.
func DefaultSyncSettings() SyncSettings {
	return SyncSettings{AutoInclude: true, Contacts: true, Licenses: true, Mailboxes: true, SignIns: true, Devices: true}
}

// Match states of a tenant.
const (
	MatchUnmatched = "unmatched"
	MatchMatched   = "matched"
	MatchIgnored   = "ignored"
)

// Tenant is a Microsoft 365 tenant reached through a connection.
type Tenant struct {
	ConnectionID   string        `json:"connection_id"`
	TenantID       string        `json:"tenant_id"`
	DisplayName    string        `json:"display_name"`
	DefaultDomain  string        `json:"default_domain,omitempty"`
	Domains        []string      `json:"domains,omitempty"` // verified
	Relationship   *Relationship `json:"relationship,omitempty"`
	MatchState     string        `json:"match_state"`
	OrgID          uint64        `json:"org_id,omitempty"`
	Suggestions    []Suggestion  `json:"suggestions,omitempty"` // best first; never accepted automatically
	MatchReason    string        `json:"match_reason,omitempty"`
	Findings       []Finding     `json:"findings,omitempty"`
	LastSync       time.Time     `json:"last_sync"`
	LastCounts     Counts        `json:"last_counts"`
	ConcealedNames bool          `json:"concealed_names,omitempty"`
}

// Relationship is a GDAP relationship between partner and customer.
type Relationship struct {
	ID     string    `json:"id"`
	Status string    `json:"status"`
	End    time.Time `json:"end"`
	Roles  []string  `json:"roles,omitempty"` // role template ids
}

// Suggestion proposes an organization for an unmatched tenant.
type Suggestion struct {
	OrgID     uint64  `json:"org_id"`
	Score     float64 `json:"score"`
	Reason    string  `json:"reason"`
	Ambiguous bool    `json:"ambiguous,omitempty"`
}

// Decision is what the technician decided for a tenant; it wins over every sync.
type Decision struct {
	State string    `json:"state"` // MatchMatched, MatchIgnored or MatchUnmatched (reverted)
	OrgID uint64    `json:"org_id,omitempty"`
	At    time.Time `json:"at"`
}

// Finding is a problem with a tenant, said in plain words with the fix.
type Finding struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"` // stable key, e.g. "consent_missing"
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	DataType string   `json:"data_type,omitempty"`
}

// DirectoryUser mirrors an Entra ID user.
type DirectoryUser struct {
	ObjectID           string    `json:"id"`
	UPN                string    `json:"upn"`
	Mail               string    `json:"mail,omitempty"`
	ProxyAddresses     []string  `json:"proxy_addresses,omitempty"`
	OtherMails         []string  `json:"other_mails,omitempty"`
	DisplayName        string    `json:"display_name,omitempty"`
	GivenName          string    `json:"given_name,omitempty"`
	Surname            string    `json:"surname,omitempty"`
	JobTitle           string    `json:"job_title,omitempty"`
	Department         string    `json:"department,omitempty"`
	OfficeLocation     string    `json:"office_location,omitempty"`
	BusinessPhones     []string  `json:"business_phones,omitempty"`
	MobilePhone        string    `json:"mobile_phone,omitempty"`
	AccountEnabled     bool      `json:"account_enabled"`
	UserType           string    `json:"user_type,omitempty"`
	Created            time.Time `json:"created"`
	LastPasswordChange time.Time `json:"last_password_change"`
	LastSignIn         time.Time `json:"last_sign_in"`
	LastSuccessSignIn  time.Time `json:"last_success_sign_in"`
	LastNonInteractive time.Time `json:"last_non_interactive"`
	SKUs               []string  `json:"skus,omitempty"`
	UsageLocation      string    `json:"usage_location,omitempty"`
	OnPremisesSync     bool      `json:"on_premises_sync,omitempty"`
}

// Mailbox is one row of the mailbox usage report.
type Mailbox struct {
	UPN               string    `json:"upn"`
	DisplayName       string    `json:"display_name,omitempty"`
	ItemCount         int64     `json:"item_count"`
	StorageUsed       int64     `json:"storage_used"`
	WarningQuota      int64     `json:"warning_quota"`
	ProhibitSendQuota int64     `json:"prohibit_send_quota"`
	ProhibitSendRecv  int64     `json:"prohibit_send_receive_quota"`
	LastActivity      time.Time `json:"last_activity"`
	HasArchive        bool      `json:"has_archive"`
	RecipientType     string    `json:"recipient_type,omitempty"`
	RefreshDate       time.Time `json:"refresh_date"`
}

// License is a subscribed SKU of a tenant.
type License struct {
	SKUID        string `json:"sku_id"`
	PartNumber   string `json:"part_number"`
	FriendlyName string `json:"friendly_name,omitempty"`
	Enabled      int    `json:"enabled"`
	Suspended    int    `json:"suspended"`
	Warning      int    `json:"warning"`
	LockedOut    int    `json:"locked_out"`
	Consumed     int    `json:"consumed"`
	AppliesTo    string `json:"applies_to,omitempty"`
}

// Device is an Intune managed device.
type Device struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Serial          string    `json:"serial,omitempty"`
	Manufacturer    string    `json:"manufacturer,omitempty"`
	Model           string    `json:"model,omitempty"`
	OS              string    `json:"os,omitempty"`
	OSVersion       string    `json:"os_version,omitempty"`
	ComplianceState string    `json:"compliance_state,omitempty"`
	OwnerType       string    `json:"owner_type,omitempty"`
	UserUPN         string    `json:"user_upn,omitempty"`
	LastSync        time.Time `json:"last_sync"`
	Enrolled        time.Time `json:"enrolled"`
	Encrypted       bool      `json:"encrypted"`
}

// Counts summarizes what a sync did.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Flagged   int `json:"flagged"`
	Leavers   int `json:"leavers"`
	Requests  int `json:"requests"`
	Retries   int `json:"retries"`
	Errors    int `json:"errors"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Flagged += o.Flagged
	c.Leavers += o.Leavers
	c.Requests += o.Requests
	c.Retries += o.Retries
	c.Errors += o.Errors
}

// Trigger says what started a sync.
type Trigger string

// Sync triggers.
const (
	TriggerManual   Trigger = "manual"
	TriggerSchedule Trigger = "schedule"
	TriggerStartup  Trigger = "startup"
	// TriggerDecision: not a sync but a technician's matching decision,
	// logged with what it did to contacts.
	TriggerDecision Trigger = "matching decision"
)

// SyncRun is the log of one sync of one connection.
type SyncRun struct {
	ID           uint64         `json:"id"`
	ConnectionID string         `json:"connection_id"`
	Trigger      Trigger        `json:"trigger"`
	DryRun       bool           `json:"dry_run,omitempty"`
	Start        time.Time      `json:"start"`
	End          time.Time      `json:"end"`
	Status       Status         `json:"status"` // ok, warning, error, cancelled, interrupted or (while running) syncing
	Totals       Counts         `json:"totals"`
	Tenants      []TenantResult `json:"tenants,omitempty"`
	Log          []LogEntry     `json:"log,omitempty"`
}

// TenantResult is one tenant's part of a sync run.
type TenantResult struct {
	TenantID    string `json:"tenant_id"`
	DisplayName string `json:"display_name"`
	Status      Status `json:"status"`
	// MatchState is the tenant's match state when the run committed it, so
	// an old run reads as it was; empty in runs saved before it was kept.
	MatchState string    `json:"match_state,omitempty"`
	Counts     Counts    `json:"counts"`
	Findings   []Finding `json:"findings,omitempty"`
	Changes    []Change  `json:"changes,omitempty"`
}

// LogEntry is one line of a sync log.
type LogEntry struct {
	At       time.Time `json:"at"`
	Level    Level     `json:"level"`
	TenantID string    `json:"tenant_id,omitempty"`
	Message  string    `json:"message"`
}

// Change kinds recorded in contact history and sync logs.
const (
	ChangeCreated = "created"
	ChangeUpdated = "updated"
	ChangeLinked  = "linked"
	ChangeFlagged = "flagged"
	// ChangeEdited: the technician edited the contact. A contact sync
	// created and nobody edited leaves its organization with its tenant's
	// match; an edited one stays.
	ChangeEdited = "edited"
	// ChangeUnlinked: a matching decision took the contact's tenant away
	// from its organization; the contact stays, unlinked and flagged.
	ChangeUnlinked = "unlinked"
	// ChangeRemoved: a matching decision removed a contact sync created
	// (kept in the sync log; the contact and its history are gone).
	ChangeRemoved = "removed"
	// ChangeRestored: undoing a matching decision put the contact back as
	// it was.
	ChangeRestored = "restored"
	// ChangeArchived and ChangeUnarchived: the technician archived the
	// contact or brought it back.
	ChangeArchived   = "archived"
	ChangeUnarchived = "unarchived"
	// ChangeMerged: another contact was merged into this one (its e-mails,
	// history and link moved here; it is gone).
	ChangeMerged = "merged"
	// ChangeResolved: the technician chose which user an ambiguous
	// contact is.
	ChangeResolved = "resolved"
)

// Change is one change sync made (or, in a dry run, would make) to a contact.
type Change struct {
	At        time.Time     `json:"at"`
	ContactID uint64        `json:"contact_id,omitempty"`
	Contact   string        `json:"contact"` // name at the time, for the log
	Kind      string        `json:"kind"`
	Fields    []FieldChange `json:"fields,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	RunID     uint64        `json:"run_id,omitempty"`
	// By is who made the change: the technician's name for a decision or
	// an edit; empty for sync.
	By string `json:"by,omitempty"`
}

// FieldChange is one field's old and new value.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}
