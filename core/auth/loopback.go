package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// signInTimeout bounds the wait for the browser's sign-in; tests shorten it.
var signInTimeout = 5 * time.Minute

// loopback receives the authorization code that the identity platform posts
// (response_mode=form_post) to http://localhost:PORT after sign-in.
//
// Any local process or web page can post to the port, so a post counts only
// when it carries this sign-in's state; others are answered with an error
// page and the wait goes on. The browser may post before wait begins (the
// state is not known then), so such posts are kept for wait to judge.
type loopback struct {
	srv    *http.Server
	ln     net.Listener
	result chan loopbackPost // the post that belongs to the sign-in

	mu    sync.Mutex
	state string         // set by wait
	early []loopbackPost // posts before wait began
}

type loopbackPost struct {
	code, state, err, desc string
}

// belongs reports whether p is the sign-in's answer: its state, and a code
// or an error.
func (p loopbackPost) belongs(state string) bool {
	return state != "" && p.state == state && (p.code != "" || p.err != "")
}

// maxEarlyPosts bounds the posts kept before wait begins.
const maxEarlyPosts = 16

func listenLoopback(port int) (*loopback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the sign-in on port %d: %w (another program uses it: pick another redirect port and register http://localhost:PORT for it)", port, err)
	}
	lb := &loopback{ln: ln, result: make(chan loopbackPost, 1)}
	// The browser sends one small form at once; a client that trickles
	// must not hold a connection for the whole sign-in.
	lb.srv = &http.Server{
		Handler:           http.HandlerFunc(lb.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
	}
	go lb.srv.Serve(ln)
	return lb, nil
}

// maxFormBytes bounds a posted form; Microsoft's are a few kilobytes.
const maxFormBytes = 64 << 10

func (lb *loopback) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		// Only the identity platform's form_post carries a code; a GET is
		// a browser probing the port (favicon) or a stale tab.
		http.Error(w, "tenantsync is waiting for the Microsoft sign-in to post its result here.", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable sign-in response", http.StatusBadRequest)
		return
	}
	p := loopbackPost{code: r.PostForm.Get("code"), state: r.PostForm.Get("state"), err: r.PostForm.Get("error"), desc: r.PostForm.Get("error_description")}
	lb.mu.Lock()
	state := lb.state
	kept := false
	if state == "" && len(lb.early) < maxEarlyPosts {
		lb.early = append(lb.early, p)
		kept = true
	}
	lb.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case kept:
		fmt.Fprintf(w, donePage, "Received", "You can close this tab and return to tenantsync.")
		return
	case !p.belongs(state):
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, donePage, "Not this sign-in", "This answer does not belong to the sign-in tenantsync is waiting for, so it was ignored.")
		return
	case p.err != "":
		fmt.Fprintf(w, donePage, "Sign-in failed", html.EscapeString(p.desc))
	default:
		fmt.Fprintf(w, donePage, "Signed in", "You can close this tab and return to tenantsync.")
	}
	select {
	case lb.result <- p:
	default: // a second valid answer: the first one counts
	}
}

const donePage = `<!doctype html><html><head><meta charset="utf-8"><title>tenantsync</title></head>
<body style="font-family:sans-serif;margin:4em"><h1>%s</h1><p>%s</p></body></html>`

// wait blocks until a post with state arrives, ctx ends or signInTimeout
// passes. Posts with another state, or with neither a code nor an error,
// do not end the wait.
func (lb *loopback) wait(ctx context.Context, state string) (string, error) {
	if state == "" {
		return "", errors.New("sign-in without a state")
	}
	lb.mu.Lock()
	lb.state = state
	early := lb.early
	lb.early = nil
	lb.mu.Unlock()
	for _, p := range early {
		if p.belongs(state) {
			return p.outcome()
		}
	}
	limit := time.NewTimer(signInTimeout)
	defer limit.Stop()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("sign-in did not finish: %w", ctx.Err())
	case <-limit.C:
		return "", fmt.Errorf("no sign-in within %s: start the sign-in again and finish it in the browser", inWords(signInTimeout))
	case p := <-lb.result:
		return p.outcome()
	}
}

// waiting reports whether wait has begun; tests use it.
func (lb *loopback) waiting() bool {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.state != ""
}

// outcome is the code of a post that belongs to the sign-in, or its error.
func (p loopbackPost) outcome() (string, error) {
	if p.err != "" {
		return "", fmt.Errorf("sign-in: %w", Classify(errors.New(p.err+": "+p.desc)))
	}
	return p.code, nil
}

// inWords says d as a person would: "5 minutes", not "5m0s".
func inWords(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d > time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func (lb *loopback) close() { lb.srv.Close() }

// newPKCE returns a code verifier and its S256 challenge (RFC 7636).
func newPKCE() (verifier, challenge string) {
	verifier = randomString(48)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
