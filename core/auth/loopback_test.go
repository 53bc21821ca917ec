package auth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// startLoopback listens on a free port for state and waits in the
// background; the wait's outcome arrives on the returned channel.
func startLoopback(t *testing.T, ctx context.Context, state string) (base string, result <-chan waitResult) {
	t.Helper()
	lb, err := listenLoopback(0, state)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.close)
	ch := make(chan waitResult, 1)
	go func() {
		code, err := lb.wait(ctx)
		ch <- waitResult{code, err}
	}()
	return "http://" + lb.ln.Addr().String(), ch
}

type waitResult struct {
	code string
	err  error
}

func post(t *testing.T, base string, form url.Values) int {
	t.Helper()
	resp, err := http.PostForm(base, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func awaitResult(t *testing.T, ch <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the sign-in wait did not return within 10s")
		return waitResult{}
	}
}

func TestLoopbackIgnoresBogusPosts(t *testing.T) {
	t.Parallel()
	base, result := startLoopback(t, context.Background(), "right-state")
	for _, bogus := range []url.Values{
		{"code": {"attacker-code"}, "state": {"wrong-state"}},
		{"code": {"attacker-code"}},
		{"error": {"access_denied"}, "error_description": {"AADSTS50020: forged"}, "state": {"wrong-state"}},
	} {
		if status := post(t, base, bogus); status != http.StatusBadRequest {
			t.Errorf("POST %v = %d, want %d", bogus, status, http.StatusBadRequest)
		}
	}
	select {
	case r := <-result:
		t.Fatalf("a bogus post ended the sign-in: %q, %v", r.code, r.err)
	default:
	}
	if status := post(t, base, url.Values{"code": {"real-code"}, "state": {"right-state"}}); status != http.StatusOK {
		t.Errorf("POST with the right state = %d, want 200", status)
	}
	if r := awaitResult(t, result); r.err != nil || r.code != "real-code" {
		t.Errorf("wait = %q, %v; want real-code, nil", r.code, r.err)
	}
}

// A browser may post before wait begins (the simulator's does, inside
// OpenURL): the right post is kept for wait, a bogus one is refused at once.
func TestLoopbackPostsBeforeWait(t *testing.T) {
	t.Parallel()
	lb, err := listenLoopback(0, "right-state")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.close()
	base := "http://" + lb.ln.Addr().String()
	if status := post(t, base, url.Values{"code": {"attacker-code"}, "state": {"wrong-state"}}); status != http.StatusBadRequest {
		t.Errorf("a bogus post before the wait = %d, want %d", status, http.StatusBadRequest)
	}
	if status := post(t, base, url.Values{"code": {"real-code"}, "state": {"right-state"}}); status != http.StatusOK {
		t.Errorf("the right post before the wait = %d, want 200", status)
	}
	if code, err := lb.wait(context.Background()); err != nil || code != "real-code" {
		t.Errorf("wait = %q, %v; want real-code, nil", code, err)
	}
	if _, err := listenLoopback(0, ""); err == nil {
		t.Error("a loopback without a state was accepted")
	}
}

func TestLoopbackErrorWithRightState(t *testing.T) {
	t.Parallel()
	base, result := startLoopback(t, context.Background(), "right-state")
	post(t, base, url.Values{"error": {"invalid_request"}, "state": {"right-state"},
		"error_description": {"AADSTS50011: The redirect URI 'http://localhost:1' does not match."}})
	r := awaitResult(t, result)
	if r.err == nil {
		t.Fatalf("wait = %q, nil; want an error", r.code)
	}
	if !strings.Contains(r.err.Error(), "AADSTS50011") {
		t.Errorf("wait error = %q, want it to carry AADSTS50011", r.err)
	}
}

func TestLoopbackTimeLimit(t *testing.T) {
	defer func(d time.Duration) { signInTimeout = d }(signInTimeout)
	signInTimeout = 50 * time.Millisecond
	_, result := startLoopback(t, context.Background(), "right-state")
	r := awaitResult(t, result)
	if r.err == nil || !strings.Contains(r.err.Error(), "no sign-in within 50ms") {
		t.Errorf("wait error = %v, want \"no sign-in within 50ms\"", r.err)
	}
	if got := inWords(5 * time.Minute); got != "5 minutes" {
		t.Errorf("inWords(5m) = %q, want %q", got, "5 minutes")
	}
}

func TestLoopbackCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	_, result := startLoopback(t, ctx, "right-state")
	cancel()
	if r := awaitResult(t, result); r.err == nil || !strings.Contains(r.err.Error(), "canceled") {
		t.Errorf("wait after cancel = %v, want a cancelled sign-in", r.err)
	}
}

func TestLoopbackRefusesGet(t *testing.T) {
	t.Parallel()
	base, _ := startLoopback(t, context.Background(), "right-state")
	resp, err := http.Get(base + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d, want 405", resp.StatusCode)
	}
}

func TestLoopbackServerTimeouts(t *testing.T) {
	t.Parallel()
	lb, err := listenLoopback(0, "state")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.close()
	if lb.srv.ReadHeaderTimeout <= 0 || lb.srv.ReadTimeout <= 0 || lb.srv.WriteTimeout <= 0 {
		t.Errorf("server timeouts: header %v, read %v, write %v; want all set", lb.srv.ReadHeaderTimeout, lb.srv.ReadTimeout, lb.srv.WriteTimeout)
	}
}
