package graph

import msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"

// The SDK creates its error-mapping registry lazily with an unsynchronized
// check (msgraph-sdk-go-core error_mappings_registry.go), which races when
// the first page iterators of several tenants start at once. Creating it
// here, before any goroutine exists, leaves only reads for later.
func init() {
	msgraphcore.GetErrorFactoryFromRegistry("")
}
