module github.com/satchel-records/satchel

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/ProtonMail/go-crypto v1.5.2 // indirect
	github.com/fsnotify/fsnotify v1.10.1 // indirect
	github.com/skip2/go-qrcode v0.0.0-20200617195104-da1b6568686e // indirect
	github.com/yuin/goldmark v1.8.7 // indirect
	golang.org/x/sys v0.35.0 // indirect
)
