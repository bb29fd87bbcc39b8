package invite

import (
	"errors"
	"strings"
	"testing"

	"github.com/portalsapp/portals/engine/state"
)

// FuzzParse checks that Parse never panics, that every error wraps
// ErrInvalidLink, and that a parsed link encodes and parses back to the
// same value.
func FuzzParse(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, text string) {
		link, err := Parse(text)
		if err != nil {
			if !errors.Is(err, ErrInvalidLink) {
				t.Fatalf("error %v does not wrap ErrInvalidLink", err)
			}
			return
		}

		again, err := link.Text()
		if err != nil {
			t.Fatalf("Text of a parsed link: %v", err)
		}
		reparsed, err := Parse(again)
		if err != nil {
			t.Fatalf("Parse of re-encoded link: %v", err)
		}
		assertSameLink(t, reparsed, link)
	})
}

// fuzzSeeds returns valid links at the size limits and their neighbours
// just past them, whole and cut.
func fuzzSeeds(f *testing.F) []string {
	maxLink := testLink()
	maxLink.Service = strings.Repeat("s", MaxServiceNameLen)
	maxLink.SharerName = strings.Repeat("n", MaxSharerNameLen)
	maxLink.Routes = nil
	for range MaxRoutes {
		maxLink.Routes = append(maxLink.Routes, state.Route{Relay: strings.Repeat("h", maxAddrLen-2) + ":1", RelayID: testID(7)})
	}
	minLink := testLink()
	minLink.Service, minLink.SharerName, minLink.Routes = "d", "", []state.Route{{Direct: "h:1"}}

	seeds := []string{"", LinkPrefix, "portals://relay/aaaa"}
	for _, link := range []Link{testLink(), minLink, maxLink} {
		text := mustText(f, link)
		seeds = append(seeds, text, text[:len(text)-1], text+"a", "here: "+strings.ToUpper(text)+" thanks")
	}

	header := func(service, name string) *bodyBuilder { return new(bodyBuilder).header(service, name) }
	seeds = append(seeds,
		sealPayload(header(strings.Repeat("s", MaxServiceNameLen+1), "").count(1).route(routeDirect, "h:1", nil).buf),
		sealPayload(header("db", strings.Repeat("n", MaxSharerNameLen+1)).count(1).route(routeDirect, "h:1", nil).buf),
		sealPayload(header("db", "").count(0).buf),
		sealPayload(nineRoutes(header("db", "")).buf),
		sealPayload(header("db", "").count(1).route(routeRelay, strings.Repeat("h", 253)+":1", make([]byte, idSize)).buf),
	)
	return seeds
}
