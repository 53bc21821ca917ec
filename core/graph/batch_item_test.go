package graph

import (
	"testing"

	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// TestItemErrorReadsTheBody: a $batch item's error carries the code and
// message Microsoft sent, which the SDK decodes as *string.
func TestItemErrorReadsTheBody(t *testing.T) {
	t.Parallel()
	id, status := "1", int32(410)
	code, msg := "resyncRequired", "The delta token is no longer valid."
	item := msgraphcore.NewBatchItem()
	item.SetId(&id)
	item.SetStatus(&status)
	item.SetBody(msgraphcore.RequestBody{"error": map[string]any{"code": &code, "message": &msg}})
	resp := msgraphcore.NewBatchResponse()
	resp.AddResponses([]msgraphcore.BatchItem{item})
	err := itemError(resp, resp.GetStatusCodes(), id, DataContacts)
	ge, ok := err.(*Error)
	if !ok || ge.Status != 410 || ge.Code != code || ge.Message != msg {
		t.Fatalf("itemError = %#v; want status 410, code %q, message %q", err, code, msg)
	}
	if wrapped := wrap(err, DataContacts); wrapped != err {
		t.Errorf("wrap classified a classified error again: %#v", wrapped)
	}
}
