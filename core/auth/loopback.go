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
	"time"
)

// signInTimeout bounds the wait for the browser's sign-in; tests shorten it.
var signInTimeout = 5 * time.Minute

// loopback receives the authorization code that the identity platform posts
// (response_mode=form_post) to http://localhost:PORT after sign-in.
//
// Any local process or web page can post to the port, so a post counts only
// when it carries this sign-in's state; others are answered with an error
// page and the wait goes on.
type loopback struct {
	srv   *http.Server
	ln    net.Listener
	posts chan loopbackPost
	done  chan struct{} // closed by close
}

// loopbackPost is one form post, handed to wait, which says on accepted
// whether it belonged to the sign-in.
type loopbackPost struct {
	code, state, err, desc string
	accepted               chan bool
}

func listenLoopback(port int) (*loopback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the sign-in on port %d: %w (another program uses it: pick another redirect port and register http://localhost:PORT for it)", port, err)
	}
	lb := &loopback{ln: ln, posts: make(chan loopbackPost), done: make(chan struct{})}
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
	p := loopbackPost{code: r.PostForm.Get("code"), state: r.PostForm.Get("state"), err: r.PostForm.Get("error"),
		desc: r.PostForm.Get("error_description"), accepted: make(chan bool, 1)}
	accepted := false
	select {
	case lb.posts <- p:
		accepted = <-p.accepted
	case <-lb.done:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case !accepted:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, donePage, "Not this sign-in", "This answer does not belong to the sign-in tenantsync is waiting for, so it was ignored.")
	case p.err != "":
		fmt.Fprintf(w, donePage, "Sign-in failed", html.EscapeString(p.desc))
	default:
		fmt.Fprintf(w, donePage, "Signed in", "You can close this tab and return to tenantsync.")
	}
}

const donePage = `<!doctype html><html><head><meta charset="utf-8"><title>tenantsync</title></head>
<body style="font-family:sans-serif;margin:4em"><h1>%s</h1><p>%s</p></body></html>`

// wait blocks until a post with state arrives, ctx ends or signInTimeout
// passes. Posts with another state, or with neither a code nor an error,
// are refused and do not end the wait.
func (lb *loopback) wait(ctx context.Context, state string) (string, error) {
	limit := time.NewTimer(signInTimeout)
	defer limit.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("sign-in did not finish: %w", ctx.Err())
		case <-limit.C:
			return "", fmt.Errorf("no sign-in within %s: start the sign-in again and finish it in the browser", inWords(signInTimeout))
		case p := <-lb.posts:
			ok := p.state == state && (p.code != "" || p.err != "")
			p.accepted <- ok
			if !ok {
				continue
			}
			if p.err != "" {
				return "", fmt.Errorf("sign-in: %w", Classify(errors.New(p.err+": "+p.desc)))
			}
			return p.code, nil
		}
	}
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

func (lb *loopback) close() {
	close(lb.done)
	lb.srv.Close()
}

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
