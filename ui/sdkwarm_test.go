package ui

import msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"

// The Graph SDK creates its error-mapping registry lazily without a lock
// (msgraph-sdk-go-core v1.4.0 getInstance), and the first page iterators of
// concurrent tenants race on it. Create it before any test runs; core/graph
// should do the same (reported to the lead).
func init() { msgraphcore.GetErrorFactoryFromRegistry("") }
