package m365sim

import (
	"slices"
	"strings"
)

// Property bits for the delta change log: which properties a mutation touched.
var userProps = []string{"id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "jobTitle",
	"department", "officeLocation", "companyName", "businessPhones", "mobilePhone", "proxyAddresses", "otherMails",
	"accountEnabled", "userType", "createdDateTime", "lastPasswordChangeDateTime", "signInActivity",
	"assignedLicenses", "usageLocation", "onPremisesSyncEnabled", "preferredLanguage", "assignedPlans",
	"employeeId", "city", "country", "state", "streetAddress", "postalCode", "faxNumber", "mailNickname",
	"onPremisesImmutableId", "onPremisesLastSyncDateTime", "imAddresses", "ageGroup", "creationType",
	"externalUserState", "showInAddressList", "licenseAssignmentStates", "identities", "employeeType",
	"passwordPolicies", "provisionedPlans", "isResourceAccount", "employeeHireDate", "employeeLeaveDateTime"}

func propBit(name string) uint64 {
	i := slices.Index(userProps, name)
	if i < 0 {
		return 0
	}
	return 1 << uint(i)
}

// defaultUserProps is what GET /users returns without $select (v1.0).
var defaultUserProps = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// user returns user i as it is now, or nil when it does not exist or was
// deleted. It locks t.mu.
func (t *tenant) user(i int) *User {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.userLocked(i)
}

func (t *tenant) userLocked(i int) *User {
	if _, gone := t.deleted[i]; gone {
		return nil
	}
	return t.anyUserLocked(i)
}

// anyUserLocked returns user i even when deleted.
func (t *tenant) anyUserLocked(i int) *User {
	if u, ok := t.over[i]; ok {
		c := *u
		return &c
	}
	if i < 0 || i >= t.size {
		return nil
	}
	return t.genUser(i)
}

// upnLocked returns the principal name of user i, deleted or not, without
// building the whole user where it can.
func (t *tenant) upnLocked(i int) string {
	if u, ok := t.over[i]; ok {
		return u.UPN
	}
	if i < 0 || i >= t.size {
		return ""
	}
	if t.upns == nil {
		t.upns = make([]string, t.size)
	}
	if t.upns[i] == "" {
		t.upns[i] = t.genUser(i).UPN
	}
	return t.upns[i]
}

func (t *tenant) userCountLocked() int { return t.size + t.added }

// findUserLocked finds a live user by object id or UPN.
func (t *tenant) findUserLocked(key string) (int, *User) {
	key = strings.ToLower(key)
	n := t.userCountLocked()
	for i := 0; i < n; i++ {
		// Cheap pre-check on the id avoids building every record.
		if _, ok := t.over[i]; !ok && i < t.size {
			if guid(uint64(t.sim.opt.Seed), saltUserID, uint64(t.idx+1), uint64(i)) != key && !strings.Contains(key, "@") {
				continue
			}
		}
		u := t.userLocked(i)
		if u != nil && (strings.EqualFold(u.ID, key) || strings.EqualFold(u.UPN, key)) {
			return i, u
		}
	}
	return -1, nil
}

// mutateLocked stores u as user i and logs the change for delta queries.
func (t *tenant) mutateLocked(i int, u *User, fields uint64) {
	if t.over == nil {
		t.over = map[int]*User{}
	}
	c := *u
	c.Index = i
	t.over[i] = &c
	t.version++
	t.changes = append(t.changes, change{ver: t.version, idx: i, fields: fields})
}

func (t *tenant) logDeleteLocked(i int) {
	t.version++
	t.changes = append(t.changes, change{ver: t.version, idx: i, fields: ^uint64(0)})
}

// changedSince returns, per user index, the union of fields changed after
// version v, and whether the user was added after v.
func (t *tenant) changedSinceLocked(v int64) (order []int, fields map[int]uint64) {
	fields = map[int]uint64{}
	k, _ := slices.BinarySearchFunc(t.changes, v+1, func(c change, ver int64) int {
		switch {
		case c.ver < ver:
			return -1
		case c.ver > ver:
			return 1
		}
		return 0
	})
	for _, c := range t.changes[k:] {
		if _, ok := fields[c.idx]; !ok {
			order = append(order, c.idx)
		}
		fields[c.idx] |= c.fields
	}
	return order, fields
}

// isGlobalAdmin reports whether user idx holds Global Administrator: the
// first user of every tenant ("admin@").
func (t *tenant) isGlobalAdmin(idx int) bool { return idx == 0 }

// isAdminAgent reports whether user idx of the partner may call Partner
// Center on behalf of customers (the Admin Agents group): the partner's
// administrator and its GDAP service account.
func (t *tenant) isAdminAgent(idx int) bool {
	return t.idx < 0 && (idx == 0 || idx == 1)
}
