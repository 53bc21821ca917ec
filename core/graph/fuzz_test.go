package graph

import (
	"bytes"
	"strings"
	"testing"

	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

const mailboxHeader = "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Deleted Item Quota (Byte),Has Archive,Recipient Type,Report Period\n"

// FuzzParseMailboxCSV: the usage report is outside input; any bytes give
// rows or an error, never a panic, and "concealed" means a row's UPN is the
// 32-hex stand-in.
func FuzzParseMailboxCSV(f *testing.F) {
	f.Add([]byte(mailboxHeader + "2026-11-27,ann@contoso.com,Ann Lee,False,,2021-01-01,2026-11-26,1234,567890,104857600,1048576000,1073741824,0,0,0,True,User,7\n"))
	f.Add([]byte("\ufeff" + mailboxHeader + "2026-11-27,0123456789ABCDEF0123456789ABCDEF,,False,,,,,,,,,,,,False,User,7\n"))
	f.Add([]byte(mailboxHeader + "2026-11-27,bob@contoso.com\n,\"unterminated\n"))
	f.Add([]byte("Display Name\nno upn column\n"))
	f.Add([]byte(mailboxHeader + "x,,,true\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, concealed, err := ParseMailboxCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		any := false
		for _, r := range rows {
			any = any || isConcealed(r.UPN)
		}
		if any != concealed {
			t.Errorf("concealed = %v, but a concealed UPN among the rows is %v", concealed, any)
		}
	})
}

// FuzzDecodeUsersPage: a users (or users/delta) page goes through the SDK's
// JSON parse node into models, then toDirectoryUser and presentFields;
// hostile JSON gives an error or users, never a panic.
func FuzzDecodeUsersPage(f *testing.F) {
	f.Add(usersPage(2))
	f.Add([]byte(`{"value":[{"id":"a","@removed":{"reason":"deleted"}},{"id":"b","userPrincipalName":null,"proxyAddresses":null}],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/users/delta()?$deltatoken=x"}`))
	f.Add([]byte(`{"value":[{"id":7,"accountEnabled":"yes","assignedLicenses":[{"skuId":"not-a-guid"}],"createdDateTime":"yesterday"}]}`))
	f.Add([]byte(`{"value":{}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"value":[` + strings.Repeat(`{"id":"x","signInActivity":{"lastSignInDateTime":"2025-13-45T99:99:99Z"}},`, 3) + `{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		node, err := jsonserialization.NewJsonParseNode(data)
		if err != nil {
			return
		}
		v, err := node.GetObjectValue(models.CreateUserCollectionResponseFromDiscriminatorValue)
		if err != nil || v == nil {
			return
		}
		for _, u := range v.(models.UserCollectionResponseable).GetValue() {
			if u == nil {
				continue
			}
			_ = toDirectoryUser(u)
			_ = presentFields(u)
		}
	})
}
