package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/tenantsync/tenantsync/core/permissions"
)

// SetupScopes are the delegated Graph permissions one-click setup asks the
// partner's administrator for: register an app, give it a secret and a
// service principal, grant its application and delegated permissions.
var SetupScopes = []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Application.Read.All", "DelegatedPermissionGrant.ReadWrite.All"}

// AdminSession is the partner administrator's sign-in through Microsoft
// Graph PowerShell's first-party public client: before tenantsync's own app
// exists, that is the client a partner's tenant already trusts for this
// (the app-registration script of Microsoft's own samples goes through it).
// Nothing of it is stored: setup runs while the administrator is there.
type AdminSession struct {
	pca      public.Client
	account  public.Account
	scopes   []string
	TenantID string
	Username string
}

// AdminConfig is what an administrator's sign-in needs.
type AdminConfig struct {
	Cloud   Cloud
	HTTP    *http.Client // nil: http.DefaultClient
	OpenURL func(url string) error
	// Tenant is the partner tenant when known; "" signs in at
	// "organizations" and takes the tenant of whoever signs in.
	Tenant string
}

// AdminSignIn opens the sign-in page for the partner's administrator and
// returns a session holding their Graph token for the setup scopes.
func AdminSignIn(ctx context.Context, cfg AdminConfig) (*AdminSession, error) {
	if cfg.OpenURL == nil {
		return nil, errors.New("sign-in needs a browser")
	}
	tenant := cfg.Tenant
	if tenant == "" {
		tenant = "organizations"
	}
	host := cfg.Cloud.AuthorityHost
	if host == "" {
		host = Global.AuthorityHost
	}
	opts := []public.Option{public.WithAuthority("https://" + host + "/" + tenant), public.WithInstanceDiscovery(host == Global.AuthorityHost)}
	if cfg.HTTP != nil {
		opts = append(opts, public.WithHTTPClient(cfg.HTTP))
	}
	pca, err := public.New(permissions.GraphPowerShellClientID, opts...)
	if err != nil {
		return nil, fmt.Errorf("set up the administrator's sign-in: %w", err)
	}
	scopes := make([]string, len(SetupScopes))
	for i, s := range SetupScopes {
		scopes[i] = cfg.Cloud.graphResource() + "/" + s
	}
	res, err := pca.AcquireTokenInteractive(ctx, scopes, public.WithOpenURL(cfg.OpenURL)) // MSAL prompts select_account
	if err != nil {
		return nil, fmt.Errorf("administrator sign-in: %w", Classify(err))
	}
	return &AdminSession{pca: pca, account: res.Account, scopes: scopes, TenantID: res.IDToken.TenantID, Username: res.Account.PreferredUsername}, nil
}

// Token returns the administrator's Graph token, refreshed when needed.
func (a *AdminSession) Token(ctx context.Context) (string, error) {
	res, err := a.pca.AcquireTokenSilent(ctx, a.scopes, public.WithSilentAccount(a.account))
	if err != nil {
		return "", Classify(err)
	}
	return res.AccessToken, nil
}

// graphResource is the Graph resource identifier of a cloud, used in
// scopes; a cloud file replaces hosts, never the resource.
func (c Cloud) graphResource() string {
	return strings.TrimSuffix(c.GraphScope(), "/.default")
}
