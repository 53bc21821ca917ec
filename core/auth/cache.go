package auth

import (
	"context"
	"errors"
	"sync"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"

	"github.com/tenantsync/tenantsync/store/secrets"
)

// sealedCache persists MSAL's token cache through a Sealer.
//
// MSAL calls Replace before every cache read and Export after every write,
// with the whole cache. Both stay cheap here: Replace loads the sealed blob
// once per process (later calls would overwrite tokens acquired since), and
// Export only remembers that the cache changed; flush marshals and seals it
// once per sign-in or sync instead of once per tenant token.
type sealedCache struct {
	vault Sealer
	name  string

	mu     sync.Mutex
	loaded bool
	dirty  cache.Marshaler
}

func (c *sealedCache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return nil
	}
	data, err := c.vault.Open(ctx, c.name)
	switch {
	case err == nil:
		if err := u.Unmarshal(data); err != nil {
			return err
		}
	case secrets.IsNotFound(err):
	default:
		return err
	}
	c.loaded = true
	return nil
}

func (c *sealedCache) Export(_ context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	c.mu.Lock()
	c.dirty = m
	c.mu.Unlock()
	return nil
}

func (c *sealedCache) flush(ctx context.Context) error {
	c.mu.Lock()
	m := c.dirty
	c.dirty = nil
	c.mu.Unlock()
	if m == nil {
		return nil
	}
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := c.vault.Seal(ctx, c.name, data); err != nil {
		c.mu.Lock()
		if c.dirty == nil {
			c.dirty = m
		}
		c.mu.Unlock()
		return errors.Join(errors.New("save sign-in"), err)
	}
	return nil
}
