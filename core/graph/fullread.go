package graph

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantsync/tenantsync/store"
)

// FullRead is every user of a tenant and the delta link that follows them.
type FullRead struct {
	Users     []store.DirectoryUser
	DeltaLink string
	// SignInsErr is why the users lack sign-in activity (ErrNoP1 joined
	// with Graph's error); the users are complete without it.
	SignInsErr error
}

// signInPrefixes partition a large tenant's sign-in read by the first
// character of the user principal name (the characters Entra ID allows
// there), so its pages of at most 120 users come in parallel instead of
// one after another. Users the partitions miss are read unpartitioned.
var signInPrefixes = strings.Split("abcdefghijklmnopqrstuvwxyz0123456789'-_!#^~", "")

// upnPrefix is the partition a user falls in.
func upnPrefix(upn string) string {
	for _, r := range strings.ToLower(upn) {
		return string(r)
	}
	return ""
}

// partitionedReaders bounds one tenant's partition reads in flight.
const partitionedReaders = 64

// AllUsers reads every user and the delta link for the next sync.
//
// A tenant of at most one delta page is read through the first round of a
// users delta and, withSignIns, the users' sign-in activity (which delta
// cannot carry) from a listing in parallel. A larger one (sizeHint > 999,
// or found so by the first delta page, which is then the sample that
// sizes the partitions) is listed by UPN prefix with its sign-in activity,
// in parallel, after a delta link as of now; without Entra ID P1, or if
// the partitions miss a user, the delta round reads it.
//
// Either way a change made during the read is replayed by the next delta,
// never lost: the link predates the read.
func (c *Client) AllUsers(ctx context.Context, withSignIns bool, sizeHint int) (FullRead, error) {
	if withSignIns && sizeHint > UserPageSize {
		return c.largeUsers(ctx, nil)
	}
	out, err := c.deltaUsers(ctx, withSignIns, sizeHint, withSignIns)
	if errors.Is(err, errLargeTenant) {
		return c.largeUsers(ctx, out.Users)
	}
	return out, err
}

// errLargeTenant stops a delta read that found the tenant larger than one
// page: largeUsers reads it faster.
var errLargeTenant = errors.New("tenant larger than one users page")

// largeUsers reads a tenant larger than one users page: listed by UPN
// prefix, in parallel, where that proves complete; else through the delta
// round, whose pages of 999 follow one another.
func (c *Client) largeUsers(ctx context.Context, sample []store.DirectoryUser) (FullRead, error) {
	out, err := c.partitionedUsers(ctx, sample)
	if errors.Is(err, errNotPartitioned) {
		return c.deltaUsers(ctx, true, UserPageSize+1, false)
	}
	return out, err
}

// deltaUsers reads every user through the first round of a users delta,
// and their sign-in activity from a listing beside it. With stopLarge, a
// tenant that proves larger than one delta page ends the read with
// errLargeTenant.
func (c *Client) deltaUsers(ctx context.Context, withSignIns bool, sizeHint int, stopLarge bool) (FullRead, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &deltaRead{c: c, stopLarge: stopLarge, signs: newSignIns(), large: make(chan struct{}), queried: map[string]bool{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := r.readUsers(ctx); err != nil {
			cancel()
		}
	}()
	if withSignIns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.signErr = r.readSignIns(ctx, sizeHint)
		}()
	}
	wg.Wait()
	switch {
	case errors.Is(r.deltaErr, errLargeTenant):
		return FullRead{Users: r.out.Users}, errLargeTenant // a sample for largeUsers
	case r.deltaErr != nil:
		return FullRead{}, r.deltaErr
	case ctx.Err() != nil:
		return FullRead{}, ctx.Err()
	case !withSignIns:
		return r.out, nil
	}
	if err := r.completeSignIns(ctx); err != nil {
		if !errors.Is(err, ErrNoP1) {
			return FullRead{}, err
		}
		r.out.SignInsErr = err
	}
	return r.out, nil
}

// deltaRead is one deltaUsers read: the delta round and the sign-in reader
// beside it, which learns from the round when the tenant proves large.
type deltaRead struct {
	c         *Client
	stopLarge bool

	out      FullRead
	deltaErr error
	signErr  error
	signs    *signInSet
	large    chan struct{}   // closed when the round passes one page
	sample   []string        // partitions seen in the first delta page, set before large closes
	queried  map[string]bool // partitions whose sign-ins were read, by the sign-in reader
	noP1     atomic.Bool     // the sign-in listing answered ErrNoP1: nothing to list in parallel
}

// readUsers runs the delta round into r.out. When the round passes one
// page it ends with errLargeTenant if asked to stop there (and sign-ins
// can be listed in parallel); else it records the partitions of that
// first page in r.sample and closes r.large.
func (r *deltaRead) readUsers(ctx context.Context) error {
	r.out.DeltaLink, r.deltaErr = r.c.deltaRound(ctx, func(u store.DirectoryUser) error {
		r.out.Users = append(r.out.Users, u)
		if len(r.out.Users) == UserPageSize+1 {
			if r.stopLarge && !r.noP1.Load() {
				return errLargeTenant
			}
			r.sample = prefixesOf(r.out.Users)
			close(r.large)
		}
		return nil
	})
	return r.deltaErr
}

// readSignIns reads sign-in activity while the delta round runs: by
// partition for a tenant the size hint calls large; else in one listing,
// which gives way to the partitions of the first delta page once the
// round shows the tenant is larger than a page.
func (r *deltaRead) readSignIns(ctx context.Context, sizeHint int) error {
	if sizeHint > UserPageSize {
		err := r.c.partitionedSignIns(ctx, r.signs, signInPrefixes)
		markQueried(r.queried, signInPrefixes)
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- r.c.signIns(sctx, "", r.signs) }()
	select {
	case err := <-done:
		r.noP1.Store(errors.Is(err, ErrNoP1))
		return err
	case <-r.large:
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	// The first delta page shows which partitions hold users; the rest
	// are checked once every user is known.
	err := r.c.partitionedSignIns(ctx, r.signs, r.sample)
	markQueried(r.queried, r.sample)
	return err
}

// completeSignIns finishes the users' sign-in activity once every user is
// known: the partitions not yet read, then one unpartitioned listing for
// users the partitions missed or that were added during the read. It
// returns the sign-in reader's error, or the first of its own; ErrNoP1
// leaves the users without (part of) their activity.
func (r *deltaRead) completeSignIns(ctx context.Context) error {
	if r.signErr != nil {
		return r.signErr
	}
	if len(r.queried) > 0 {
		var more []string
		for _, p := range prefixesOf(r.out.Users) {
			if !r.queried[p] {
				more = append(more, p)
			}
		}
		if err := r.c.partitionedSignIns(ctx, r.signs, more); err != nil {
			return err
		}
	}
	if missing := r.signs.apply(r.out.Users); missing == 0 {
		return nil
	}
	if err := r.c.signIns(ctx, "", r.signs); err != nil {
		return err
	}
	r.signs.apply(r.out.Users)
	return nil
}

// errNotPartitioned means a listing by UPN prefix cannot stand for the
// whole directory: no Entra ID P1 (its pages of 999 without sign-in
// activity gain nothing), or the partitions missed users.
var errNotPartitioned = errors.New("users not readable by UPN prefix")

// partitionedUsers takes a delta link as of now, then lists every user with
// sign-in activity by UPN prefix, several prefixes at once. Changes made
// during the listing are replayed by the next delta: the link predates
// them.
//
// The prefixes cover every principal name Entra ID allows (letters,
// digits and ' - _ ! # ^ ~ first; those, a dot or "@" second). The users
// count ($count) and the sample check that no user fell outside them; if
// one did, or the count is unavailable, the delta round reads the tenant.
// The count is eventually consistent: a deletion it has not seen yet only
// costs that fallback, while a missed user could hide behind a user added
// during the listing, which Entra ID's name rules leave no room for.
func (c *Client) partitionedUsers(ctx context.Context, sample []store.DirectoryUser) (FullRead, error) {
	var (
		out      FullRead
		count    int64
		linkErr  error
		countErr error
		wg       sync.WaitGroup
		mu       sync.Mutex
		byID     = map[string]store.DirectoryUser{}
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		out.DeltaLink, linkErr = c.LatestDeltaLink(ctx)
	}()
	go func() {
		defer wg.Done()
		count, countErr = c.userCount(ctx)
	}()
	wg.Wait()
	switch {
	case linkErr != nil:
		return FullRead{}, linkErr
	case errors.Is(countErr, context.Canceled):
		return FullRead{}, countErr
	case countErr != nil:
		return FullRead{}, errNotPartitioned
	}
	err := forEachPrefix(ctx, partitions(sample, count), func(ctx context.Context, prefix string) error {
		var page []store.DirectoryUser
		err := c.users(ctx, prefix, true, func(u store.DirectoryUser) error {
			page = append(page, u)
			return nil
		})
		mu.Lock()
		for _, u := range page {
			byID[strings.ToLower(u.ObjectID)] = u
		}
		mu.Unlock()
		return err
	})
	switch {
	case errors.Is(err, ErrNoP1):
		return FullRead{}, errNotPartitioned
	case err != nil:
		return FullRead{}, err
	case int64(len(byID)) < count:
		return FullRead{}, errNotPartitioned
	}
	for i := range sample {
		if _, ok := byID[strings.ToLower(sample[i].ObjectID)]; !ok {
			return FullRead{}, errNotPartitioned
		}
	}
	out.Users = make([]store.DirectoryUser, 0, len(byID))
	for _, u := range byID {
		out.Users = append(out.Users, u)
	}
	slices.SortFunc(out.Users, func(a, b store.DirectoryUser) int { return strings.Compare(a.ObjectID, b.ObjectID) })
	return out, nil
}

// partitions returns the UPN prefixes to list a tenant of count users by,
// largest first, as a sample of its users suggests: the longest chain of
// pages starts first, and a prefix that would take more than a few pages
// of 120 is split by its second character, so no chain is long. Without a
// sample it is every first character, unsplit.
func partitions(sample []store.DirectoryUser, count int64) []string {
	freq := map[string]int{}
	for i := range sample {
		freq[upnPrefix(sample[i].UPN)]++
	}
	est := func(p string) float64 {
		if len(sample) == 0 {
			return 0
		}
		return float64(freq[p]) / float64(len(sample)) * float64(count)
	}
	first := slices.Clone(signInPrefixes)
	slices.SortStableFunc(first, func(a, b string) int { return cmp.Compare(est(b), est(a)) })
	var split, whole []string
	for _, p := range first {
		if est(p) <= splitAbove {
			whole = append(whole, p)
			continue
		}
		for _, c := range upnSecondChars {
			split = append(split, p+c)
		}
	}
	return append(split, whole...)
}

// splitAbove is the estimated size above which a prefix's listing is split:
// three pages of 120 users with sign-in activity.
const splitAbove = 360

// upnSecondChars are what can follow a principal name's first character:
// the characters it allows, a dot, and "@" for a one-letter name.
var upnSecondChars = append(slices.Clone(signInPrefixes), ".", "@")

// deltaRound pages through the first round of a users delta with the
// largest pages Graph serves and returns the delta link it ends with.
func (c *Client) deltaRound(ctx context.Context, fn func(store.DirectoryUser) error) (string, error) {
	headers := abs.NewRequestHeaders()
	headers.Add("Prefer", "odata.maxpagesize=999")
	resp, err := c.g.Users().Delta().GetAsDeltaGetResponse(ctx, &users.DeltaRequestBuilderGetRequestConfiguration{
		Headers:         headers,
		QueryParameters: &users.DeltaRequestBuilderGetQueryParameters{Select: userFields},
	})
	if err != nil {
		return "", deltaError(err)
	}
	link, err := iterateDeltaWith[models.Userable](ctx, c, resp, users.CreateDeltaGetResponseFromDiscriminatorValue, headers, func(u models.Userable) error {
		return fn(toDirectoryUser(u))
	})
	if err != nil {
		return "", deltaError(err)
	}
	if link == "" {
		return "", &Error{DataType: DataContacts, Err: errors.New("users delta answered without a delta link")}
	}
	return link, nil
}

// signIn is one user's sign-in activity.
type signIn struct{ last, success, nonInteractive time.Time }

// signInSet collects sign-in activity by lower-case object id from
// concurrent readers.
type signInSet struct {
	mu sync.Mutex
	m  map[string]signIn
}

func newSignIns() *signInSet { return &signInSet{m: map[string]signIn{}} }

// apply copies the collected activity into users and returns how many
// users have none collected.
func (s *signInSet) apply(us []store.DirectoryUser) (missing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range us {
		si, ok := s.m[strings.ToLower(us[i].ObjectID)]
		if !ok {
			missing++
			continue
		}
		us[i].LastSignIn, us[i].LastSuccessSignIn, us[i].LastNonInteractive = si.last, si.success, si.nonInteractive
	}
	return missing
}

// signIns lists the sign-in activity of the users whose principal name
// starts with prefix ("": all users) into set.
func (c *Client) signIns(ctx context.Context, prefix string, set *signInSet) error {
	top := int32(UserPageSize)
	q := &users.UsersRequestBuilderGetQueryParameters{Select: []string{"id", "signInActivity"}, Top: &top}
	if prefix != "" {
		q.Filter = upnStartsWith(prefix)
	}
	resp, err := c.g.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q})
	if err != nil {
		return userError(err, true)
	}
	var page []signInEntry
	err = iterate[models.Userable](ctx, c, resp, models.CreateUserCollectionResponseFromDiscriminatorValue, func(u models.Userable) error {
		d := toDirectoryUser(u)
		page = append(page, signInEntry{strings.ToLower(d.ObjectID), signIn{d.LastSignIn, d.LastSuccessSignIn, d.LastNonInteractive}})
		return nil
	})
	if err != nil {
		return userError(err, true)
	}
	set.mu.Lock()
	for _, e := range page {
		set.m[e.id] = e.s
	}
	set.mu.Unlock()
	return nil
}

type signInEntry struct {
	id string
	s  signIn
}

// partitionedSignIns reads sign-in activity by principal-name prefix,
// several prefixes at once.
func (c *Client) partitionedSignIns(ctx context.Context, set *signInSet, prefixes []string) error {
	return forEachPrefix(ctx, prefixes, func(ctx context.Context, p string) error { return c.signIns(ctx, p, set) })
}

// forEachPrefix calls read for every prefix, partitionedReaders at once;
// the first error stops the rest.
func forEachPrefix(ctx context.Context, prefixes []string, read func(ctx context.Context, prefix string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	errs := make(chan error, partitionedReaders)
	var wg sync.WaitGroup
	for range min(partitionedReaders, len(prefixes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				if err := read(ctx, p); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for _, p := range prefixes {
		select {
		case work <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// prefixesOf returns the partitions users fall in, in first-seen order.
func prefixesOf(us []store.DirectoryUser) []string {
	seen := map[string]bool{}
	var out []string
	for i := range us {
		if p := upnPrefix(us[i].UPN); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func markQueried(m map[string]bool, prefixes []string) {
	for _, p := range prefixes {
		m[p] = true
	}
}
