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
)

// loopback receives the authorization code that the identity platform posts
// (response_mode=form_post) to http://localhost:PORT after sign-in.
type loopback struct {
	srv    *http.Server
	ln     net.Listener
	result chan loopbackResult
}

type loopbackResult struct {
	code, state, err, desc string
}

func listenLoopback(port int) (*loopback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the sign-in on port %d: %w (another program uses it: pick another redirect port and register http://localhost:PORT for it)", port, err)
	}
	lb := &loopback{ln: ln, result: make(chan loopbackResult, 1)}
	lb.srv = &http.Server{Handler: http.HandlerFunc(lb.serve)}
	go lb.srv.Serve(ln)
	return lb, nil
}

func (lb *loopback) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		// Only the identity platform's form_post carries a code; a GET is
		// a browser probing the port (favicon) or a stale tab.
		http.Error(w, "tenantsync is waiting for the Microsoft sign-in to post its result here.", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable sign-in response", http.StatusBadRequest)
		return
	}
	res := loopbackResult{code: r.PostForm.Get("code"), state: r.PostForm.Get("state"), err: r.PostForm.Get("error"), desc: r.PostForm.Get("error_description")}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if res.err != "" {
		fmt.Fprintf(w, donePage, "Sign-in failed", html.EscapeString(res.desc))
	} else {
		fmt.Fprintf(w, donePage, "Signed in", "You can close this tab and return to tenantsync.")
	}
	select {
	case lb.result <- res:
	default:
	}
}

const donePage = `<!doctype html><html><head><meta charset="utf-8"><title>tenantsync</title></head>
<body style="font-family:sans-serif;margin:4em"><h1>%s</h1><p>%s</p></body></html>`

// wait blocks until the sign-in result arrives or ctx ends.
func (lb *loopback) wait(ctx context.Context, state string) (string, error) {
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("sign-in did not finish: %w", ctx.Err())
	case res := <-lb.result:
		if res.err != "" {
			return "", fmt.Errorf("sign-in: %w", Classify(errors.New(res.err+": "+res.desc)))
		}
		if res.state != state {
			return "", errors.New("sign-in answer does not belong to this sign-in (state mismatch): try again")
		}
		if res.code == "" {
			return "", errors.New("sign-in answer has no authorization code")
		}
		return res.code, nil
	}
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
