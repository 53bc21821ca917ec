package secrets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/tenantsync/tenantsync/store"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(dir, store.DBFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestKeychainRoundTrip(t *testing.T) {
	MockInit()
	kc := NewKeychain("tenantsync-test")
	if _, err := kc.Get("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if err := kc.Set("client-secret", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if got, err := kc.Get("client-secret"); err != nil || got != "s3cret" {
		t.Errorf("Get = %q, %v; want s3cret", got, err)
	}
	if err := kc.Delete("client-secret"); err != nil {
		t.Fatal(err)
	}
	if err := kc.Delete("client-secret"); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	if err := kc.Set("big", strings.Repeat("x", MaxItemBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Set(too large) = %v, want ErrTooLarge", err)
	}
}

func TestKeychainUnavailableSaysWhatToDo(t *testing.T) {
	keyring.MockInitWithError(errors.New("dbus: no session bus"))
	t.Cleanup(keyring.MockInit)
	err := NewKeychain("tenantsync-test").Set("x", "y")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), Hint()) {
		t.Errorf("error %q lacks the hint %q", err, Hint())
	}
}

// TestVaultKeepsOnlyCiphertextOnDisk seals a large secret through the vault
// into a real bbolt file and proves the plaintext is in no file on disk.
func TestVaultKeepsOnlyCiphertextOnDisk(t *testing.T) {
	MockInit()
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	secret := []byte("token-cache-" + strings.Repeat("ABCDEFGH", 2000)) // ~16 KB: far above any keychain limit
	v := NewVault(NewKeychain("tenantsync-test"), s)
	if _, err := v.Open(ctx, "msal-cache"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open before Seal = %v, want ErrNotFound", err)
	}
	if err := v.Seal(ctx, "msal-cache", secret); err != nil {
		t.Fatal(err)
	}
	got, err := v.Open(ctx, "msal-cache")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %d bytes, %v; want the sealed secret", len(got), err)
	}
	// A fresh vault (a restart) reads the key back from the keychain.
	again, err := NewVault(NewKeychain("tenantsync-test"), s).Open(ctx, "msal-cache")
	if err != nil || !bytes.Equal(again, secret) {
		t.Fatalf("Open after restart = %v", err)
	}
	// Ciphertext moved to another name must not open.
	sealed, _ := s.Blob(ctx, "msal-cache")
	if err := s.PutBlob(ctx, "other", sealed); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(ctx, "other"); err == nil {
		t.Error("ciphertext opened under another name")
	}
	s.Close()
	assertNotInFiles(t, dir, []byte("token-cache-ABCDEFGH"))
}

func assertNotInFiles(t *testing.T, dir string, needle []byte) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if bytes.Contains(data, needle) {
			t.Errorf("%s contains the secret", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no files written: the check proves nothing")
	}
}
