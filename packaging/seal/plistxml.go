package seal

import (
	"bytes"
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
)

// A minimal XML property-list writer that formats the way Apple's
// CoreFoundation does for CodeResources: tab indentation, dictionary keys
// in sorted order, <data> contents on their own line at the element's
// indentation, and <true/> for booleans. Only the value types that
// CodeResources uses are supported.

type (
	plistDict   map[string]any
	plistData   []byte
	plistReal   float64
	plistString string
)

const plistHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
`

func encodePlist(root plistDict) []byte {
	var b bytes.Buffer
	b.WriteString(plistHeader)
	writeValue(&b, root, 0)
	b.WriteString("</plist>\n")
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v any, depth int) {
	indent := strings.Repeat("\t", depth)
	switch v := v.(type) {
	case plistDict:
		b.WriteString(indent + "<dict>\n")
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(indent + "\t<key>" + escape(k) + "</key>\n")
			writeValue(b, v[k], depth+1)
		}
		b.WriteString(indent + "</dict>\n")
	case plistData:
		b.WriteString(indent + "<data>\n")
		b.WriteString(indent + base64.StdEncoding.EncodeToString(v) + "\n")
		b.WriteString(indent + "</data>\n")
	case plistReal:
		b.WriteString(indent + "<real>" + strconv.FormatFloat(float64(v), 'f', -1, 64) + "</real>\n")
	case plistString:
		b.WriteString(indent + "<string>" + escape(string(v)) + "</string>\n")
	case bool:
		if v {
			b.WriteString(indent + "<true/>\n")
		} else {
			b.WriteString(indent + "<false/>\n")
		}
	default:
		panic("seal: internal error: unsupported plist value")
	}
}

// escape replaces the three characters that XML text cannot hold
// literally. Quotes stay as they are, as CoreFoundation writes them.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string {
	return escaper.Replace(s)
}
