module github.com/portalsapp/portals

go 1.26.0

require (
	github.com/blacktop/go-macho v1.1.297
	github.com/flynn/noise v1.1.0
	github.com/fsnotify/fsnotify v1.10.1
	github.com/hashicorp/yamux v0.1.2
	github.com/zalando/go-keyring v0.2.6
	go.uber.org/goleak v1.3.0
	golang.org/x/net v0.63.0
)

require (
	al.essio.dev/pkg/shellescape v1.5.1 // indirect
	github.com/blacktop/go-dwarf v1.1.0 // indirect
	github.com/danieljoos/wincred v1.2.2 // indirect
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc // indirect
	github.com/godbus/dbus/v5 v5.1.0 // indirect
	github.com/kr/pretty v0.3.1 // indirect
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2 // indirect
	github.com/rogpeppe/go-internal v1.12.0 // indirect
	github.com/stretchr/testify v1.10.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
