package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantsync/tenantsync/store"
)

// usersPage is a page of n users as Graph sends it for tenantsync's
// $select plus signInActivity.
func usersPage(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$skiptoken=abc","value":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%08d-1111-2222-3333-444455556666","userPrincipalName":"zoë.müller%d@contoso.com","mail":"zoe.mueller%d@contoso.com",`+
			`"proxyAddresses":["SMTP:zoe.mueller%d@contoso.com","smtp:zm%d@contoso.onmicrosoft.com"],"otherMails":[],"displayName":"Zoë Müller","givenName":"Zoë","surname":"Müller",`+
			`"jobTitle":"Account Manager","department":"Sales","officeLocation":"Berlin","businessPhones":["+49 30 1234567"],"mobilePhone":"+49 170 1234567",`+
			`"accountEnabled":true,"userType":"Member","createdDateTime":"2021-03-04T10:11:12Z","lastPasswordChangeDateTime":"2024-05-06T07:08:09Z",`+
			`"assignedLicenses":[{"disabledPlans":[],"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965"}],"usageLocation":"DE","onPremisesSyncEnabled":null,`+
			`"signInActivity":{"lastSignInDateTime":"2025-01-02T03:04:05Z","lastSignInRequestId":"r","lastSuccessfulSignInDateTime":"2025-01-02T03:04:05Z","lastNonInteractiveSignInDateTime":"2025-01-03T03:04:05Z"}}`,
			i, i, i, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkDecodeUsersSDK decodes a page the way the SDK does (kiota JSON
// parse node tree, then models.User with its backing store) and maps it.
func BenchmarkDecodeUsersSDK(b *testing.B) {
	page := usersPage(999)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		node, err := jsonserialization.NewJsonParseNode(page)
		if err != nil {
			b.Fatal(err)
		}
		v, err := node.GetObjectValue(models.CreateUserCollectionResponseFromDiscriminatorValue)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range v.(models.UserCollectionResponseable).GetValue() {
			_ = toDirectoryUser(u)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*999), "µs/user")
}

// wireUser is the page's JSON as a plain struct: the alternative decoder.
type wireUser struct {
	ID                         string     `json:"id"`
	UserPrincipalName          string     `json:"userPrincipalName"`
	Mail                       *string    `json:"mail"`
	ProxyAddresses             []string   `json:"proxyAddresses"`
	OtherMails                 []string   `json:"otherMails"`
	DisplayName                *string    `json:"displayName"`
	GivenName                  *string    `json:"givenName"`
	Surname                    *string    `json:"surname"`
	JobTitle                   *string    `json:"jobTitle"`
	Department                 *string    `json:"department"`
	OfficeLocation             *string    `json:"officeLocation"`
	BusinessPhones             []string   `json:"businessPhones"`
	MobilePhone                *string    `json:"mobilePhone"`
	AccountEnabled             *bool      `json:"accountEnabled"`
	UserType                   *string    `json:"userType"`
	CreatedDateTime            *time.Time `json:"createdDateTime"`
	LastPasswordChangeDateTime *time.Time `json:"lastPasswordChangeDateTime"`
	AssignedLicenses           []struct {
		SkuID string `json:"skuId"`
	} `json:"assignedLicenses"`
	UsageLocation         *string `json:"usageLocation"`
	OnPremisesSyncEnabled *bool   `json:"onPremisesSyncEnabled"`
	SignInActivity        *struct {
		Last           *time.Time `json:"lastSignInDateTime"`
		Success        *time.Time `json:"lastSuccessfulSignInDateTime"`
		NonInteractive *time.Time `json:"lastNonInteractiveSignInDateTime"`
	} `json:"signInActivity"`
}

// BenchmarkDecodeUsersStruct decodes the same page with encoding/json into
// a plain struct and maps it: what the proposal in issue 7 measures.
func BenchmarkDecodeUsersStruct(b *testing.B) {
	page := usersPage(999)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var resp struct {
			Value    []wireUser `json:"value"`
			NextLink string     `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(page, &resp); err != nil {
			b.Fatal(err)
		}
		for i := range resp.Value {
			w := &resp.Value[i]
			d := store.DirectoryUser{ObjectID: w.ID, UPN: w.UserPrincipalName, Mail: deref(w.Mail), ProxyAddresses: w.ProxyAddresses,
				OtherMails: w.OtherMails, DisplayName: deref(w.DisplayName), GivenName: deref(w.GivenName), Surname: deref(w.Surname),
				JobTitle: deref(w.JobTitle), Department: deref(w.Department), OfficeLocation: deref(w.OfficeLocation),
				BusinessPhones: w.BusinessPhones, MobilePhone: deref(w.MobilePhone), AccountEnabled: deref(w.AccountEnabled),
				UserType: deref(w.UserType), UsageLocation: deref(w.UsageLocation), OnPremisesSync: deref(w.OnPremisesSyncEnabled)}
			for _, l := range w.AssignedLicenses {
				d.SKUs = append(d.SKUs, l.SkuID)
			}
			_ = d
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*999), "µs/user")
}
