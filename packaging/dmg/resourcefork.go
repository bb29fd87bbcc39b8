package dmg

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strings"
)

// blkxAttributes is the Attributes value that hdiutil writes on blkx
// entries.
const blkxAttributes = "0x0050"

// encodeResourceFork writes the XML property list that holds the image's
// resource fork: {"resource-fork": {"blkx": [ {Attributes, CFName, Data,
// ID, Name} ]}}, with the mish table as Data.
func encodeResourceFork(name string, mish []byte) []byte {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(name))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>resource-fork</key>
	<dict>
		<key>blkx</key>
		<array>
			<dict>
				<key>Attributes</key>
				<string>` + blkxAttributes + `</string>
				<key>CFName</key>
				<string>` + esc.String() + `</string>
				<key>Data</key>
				<data>
`)
	enc := base64.StdEncoding.EncodeToString(mish)
	for len(enc) > 0 {
		n := min(len(enc), 52)
		b.WriteString("\t\t\t\t" + enc[:n] + "\n")
		enc = enc[n:]
	}
	b.WriteString(`				</data>
				<key>ID</key>
				<string>0</string>
				<key>Name</key>
				<string>` + esc.String() + `</string>
			</dict>
		</array>
	</dict>
</dict>
</plist>
`)
	return []byte(b.String())
}
