// Package match decides which organization a Microsoft 365 tenant belongs to
// and which contact a directory user is, following DESIGN.md "Matching".
//
// Everything here is a pure function of its arguments: no I/O, no clock, no
// goroutines. The sync engine loads organizations, contacts and decisions from
// the store, asks this package what to do, and writes the outcome itself.
//
// Tenant -> organization (OrgIndex.MatchTenant):
//  1. a technician's Decision wins;
//  2. exactly one organization whose name equals the tenant's display name
//     (store.Fold) is matched; two or more are ambiguous suggestions;
//  3. otherwise scored suggestions with a reason a person can read; they are
//     never accepted automatically.
//
// User -> contact inside the matched organization (ContactIndex.MatchUsers):
// object id link, any e-mail alias, the UPN, first + last name, else create.
// Two candidates at one rule, or two users claiming one contact, are ambiguous:
// nothing is created or linked for them.
package match
