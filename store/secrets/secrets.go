// Package secrets keeps tenantsync's secrets out of the database file: small
// secrets (client secrets, the data key) live in the OS keychain; larger ones
// (the MSAL token cache) are sealed with AES-256-GCM under a data key that
// lives in the keychain, and only the ciphertext is stored in bbolt.
//
// Keychain items are small on purpose: Windows Credential Manager holds at
// most 2,560 bytes per item and the macOS keychain about 3,000.
package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/zalando/go-keyring"
)

// Service is the keychain service name of every tenantsync item.
const Service = "tenantsync"

// MaxItemBytes is the largest secret Set accepts: below the Windows limit,
// so a secret that works on Linux also works for a Windows technician.
const MaxItemBytes = 2048

var (
	// ErrNotFound means the keychain has no such item, or no such blob
	// exists. It reports NotFound() true (see IsNotFound).
	ErrNotFound error = notFound("secret not found")
	// ErrUnavailable means no OS keychain could be reached.
	ErrUnavailable = errors.New("no OS keychain is reachable")
	// ErrTooLarge means a secret is too large for a keychain item.
	ErrTooLarge = fmt.Errorf("secret is larger than %d bytes, the most a keychain item holds on every OS", MaxItemBytes)
)

// Keychain stores small secrets in the OS keychain under Service.
type Keychain struct {
	service string
}

// NewKeychain returns the OS keychain. service "" means Service; tests use
// their own service name so they never touch a technician's items.
func NewKeychain(service string) *Keychain {
	if service == "" {
		service = Service
	}
	return &Keychain{service: service}
}

// Set stores secret under item.
func (k *Keychain) Set(item, secret string) error {
	if len(secret) > MaxItemBytes {
		return fmt.Errorf("keychain item %s: %w", item, ErrTooLarge)
	}
	if err := k.reachable(); err != nil {
		return fmt.Errorf("keychain item %s: %w", item, err)
	}
	keyringMu.Lock()
	err := keyring.Set(k.service, item, secret)
	keyringMu.Unlock()
	if err != nil {
		return fmt.Errorf("keychain item %s: %w", item, classify(err))
	}
	return nil
}

// Get returns the secret stored under item.
func (k *Keychain) Get(item string) (string, error) {
	if err := k.reachable(); err != nil {
		return "", fmt.Errorf("keychain item %s: %w", item, err)
	}
	keyringMu.Lock()
	s, err := keyring.Get(k.service, item)
	keyringMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("keychain item %s: %w", item, classify(err))
	}
	return s, nil
}

// Delete removes item; a missing item is not an error.
func (k *Keychain) Delete(item string) error {
	if err := k.reachable(); err != nil {
		return fmt.Errorf("keychain item %s: %w", item, err)
	}
	keyringMu.Lock()
	err := keyring.Delete(k.service, item)
	keyringMu.Unlock()
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("keychain item %s: %w", item, classify(err))
	}
	return nil
}

// keyringMu serialises the calls into go-keyring: its in-memory keychain
// (MockInit) is a map without a lock, and the OS keychains gain nothing
// from concurrent calls.
var keyringMu sync.Mutex

// mocked is set by MockInit: the keyring is in memory, nothing to reach.
var mocked atomic.Bool

// mockOnce makes MockInit replace the keychain once per process.
var mockOnce sync.Once

// MockInit replaces the OS keychain with an in-memory one for the whole
// process (tests, benchmarks). Only the first call does: tests running in
// parallel share one in-memory keychain and never wipe each other's items.
func MockInit() {
	mockOnce.Do(func() {
		keyring.MockInit()
		mocked.Store(true)
	})
}

// reachable checks that the keychain can be reached without side effects
// (see sessionBus).
func (k *Keychain) reachable() error {
	if mocked.Load() {
		return nil
	}
	if err := sessionBus(); err != nil {
		return &UnavailableError{Cause: err}
	}
	return nil
}

func classify(err error) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return ErrTooLarge
	}
	return &UnavailableError{Cause: err}
}

// UnavailableError says that the OS keychain could not be reached and what
// to install or start.
type UnavailableError struct{ Cause error }

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%v (%v): %s", ErrUnavailable, e.Cause, Hint())
}

func (e *UnavailableError) Unwrap() error { return ErrUnavailable }

// Hint says how to make a keychain reachable on this OS.
func Hint() string {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		return "tenantsync keeps secrets in a Secret Service keyring; install and start one in your desktop session (Debian/Ubuntu: sudo apt install gnome-keyring, then log out and in), or unlock it if it is locked"
	case "darwin":
		return "unlock your login keychain in Keychain Access and try again"
	case "windows":
		return "make sure the Credential Manager service is running (services.msc) and try again"
	}
	return "this OS has no keychain tenantsync can use"
}

// BlobStore keeps opaque bytes by name; store.Store is one.
//
// Blob's error when name is not stored reports NotFound() true (IsNotFound);
// store.Store's does.
type BlobStore interface {
	PutBlob(ctx context.Context, name string, data []byte) error
	Blob(ctx context.Context, name string) ([]byte, error)
	DeleteBlob(ctx context.Context, name string) error
}

// IsNotFound reports whether err says that nothing is stored: an error in
// its chain has a NotFound() method that reports true. Keychain, Vault and
// BlobStore implementations keep to that contract, so no caller has to say
// how to recognise their "not found".
func IsNotFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

type notFound string

func (e notFound) Error() string  { return string(e) }
func (e notFound) NotFound() bool { return true }

// dataKeyItem is the keychain item holding the vault's data key.
const dataKeyItem = "data-key"

// sealVersion prefixes every sealed blob so the format can change.
const sealVersion = 1

// Vault seals large secrets with a data key from the keychain and stores the
// ciphertext in a BlobStore. The blob's name is authenticated with it, so a
// ciphertext copied under another name does not open.
type Vault struct {
	keychain *Keychain
	blobs    BlobStore

	mu  sync.Mutex
	key []byte
}

// NewVault returns a vault. isNotFound recognizes the blob store's "no such
// blob" error.
func NewVault(kc *Keychain, blobs BlobStore) *Vault {
	return &Vault{keychain: kc, blobs: blobs}
}

// Seal encrypts plaintext and stores it as the blob name.
func (v *Vault) Seal(ctx context.Context, name string, plaintext []byte) error {
	aead, err := v.aead(true)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out := append([]byte{sealVersion}, nonce...)
	out = aead.Seal(out, nonce, plaintext, []byte(name))
	if err := v.blobs.PutBlob(ctx, name, out); err != nil {
		return fmt.Errorf("seal %s: %w", name, err)
	}
	return nil
}

// Open returns the plaintext of the blob name, or ErrNotFound.
func (v *Vault) Open(ctx context.Context, name string) ([]byte, error) {
	sealed, err := v.blobs.Blob(ctx, name)
	if err != nil {
		if IsNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	aead, err := v.aead(false)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, fmt.Errorf("open %s: unknown format", name)
	}
	plain, err := aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(name))
	if err != nil {
		return nil, fmt.Errorf("open %s: cannot decrypt (the keychain's data key changed?): %w", name, err)
	}
	return plain, nil
}

// Delete removes the blob name.
func (v *Vault) Delete(ctx context.Context, name string) error {
	return v.blobs.DeleteBlob(ctx, name)
}

// aead returns the cipher for the data key, creating the key on first Seal.
func (v *Vault) aead(create bool) (cipher.AEAD, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.key == nil {
		enc, err := v.keychain.Get(dataKeyItem)
		switch {
		case err == nil:
			key, derr := base64.StdEncoding.DecodeString(enc)
			if derr != nil || len(key) != 32 {
				return nil, fmt.Errorf("keychain item %s is not a 32-byte key", dataKeyItem)
			}
			v.key = key
		case errors.Is(err, ErrNotFound) && create:
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
			if err := v.keychain.Set(dataKeyItem, base64.StdEncoding.EncodeToString(key)); err != nil {
				return nil, err
			}
			v.key = key
		default:
			return nil, err
		}
	}
	block, err := aes.NewCipher(v.key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
