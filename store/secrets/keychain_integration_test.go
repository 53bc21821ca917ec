package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRealSecretService runs against a real Secret Service (gnome-keyring in a
// private D-Bus session; see `make test-keychain`). It is skipped unless
// TENANTSYNC_KEYCHAIN_TEST=1, because on a developer's desktop it would write
// to their own keyring.
func TestRealSecretService(t *testing.T) {
	if os.Getenv("TENANTSYNC_KEYCHAIN_TEST") != "1" {
		t.Skip("set TENANTSYNC_KEYCHAIN_TEST=1 inside a private D-Bus session (make test-keychain)")
	}
	kc := NewKeychain("tenantsync-integration-test")
	t.Cleanup(func() { kc.Delete("client-secret"); kc.Delete(dataKeyItem) })
	if err := kc.Set("client-secret", "integration-s3cret"); err != nil {
		t.Fatalf("Set on the real keychain: %v", err)
	}
	got, err := kc.Get("client-secret")
	if err != nil || got != "integration-s3cret" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := kc.Delete("client-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Get("client-secret"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}

	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	v := NewVault(kc, s)
	if err := v.Seal(ctx, "msal-cache", []byte("real-keychain-token-cache")); err != nil {
		t.Fatal(err)
	}
	plain, err := NewVault(kc, s).Open(ctx, "msal-cache")
	if err != nil || string(plain) != "real-keychain-token-cache" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	s.Close()
	assertNotInFiles(t, dir, []byte("real-keychain-token-cache"))
	if _, err := os.Stat(filepath.Join(dir, "tenantsync.db")); err != nil {
		t.Fatal(err)
	}
}
