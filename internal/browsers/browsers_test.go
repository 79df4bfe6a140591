package browsers_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Each engine starts, loads a page from 127.0.0.1 and from TestHost (which
// it maps to 127.0.0.1 itself, a non-secure origin), types, clicks and
// sets its viewport's size.
func TestEachEngineLoadsTypesAndMapsTheTestHost(t *testing.T) {
	testtool.Slow(t, "starts Chromium, Firefox and WebKit")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!DOCTYPE html><title>t</title><p id=host>` + r.Host + `</p><input id=i><button id=b onclick="document.title=document.getElementById('i').value">go</button>`))
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for _, name := range browsers.Names {
		t.Run(name, func(t *testing.T) {
			testtool.Need(t, browsers.Tools[name]...)
			e, err := browsers.Start(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			mapped := fmt.Sprintf("http://%s:%d/x", browsers.TestHost, port)
			if err := e.Navigate(mapped); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Host   string
				Secure bool
			}
			if err := e.Eval(`({host: document.getElementById("host").textContent, secure: window.isSecureContext})`, &got); err != nil {
				t.Fatal(err)
			}
			if got.Host != fmt.Sprintf("%s:%d", browsers.TestHost, port) || got.Secure {
				t.Errorf("%s: served to host %q, secure context %v; want %s, not secure", mapped, got.Host, got.Secure, browsers.TestHost)
			}
			if err := e.Navigate(srv.URL + "/y"); err != nil {
				t.Fatal(err)
			}
			if err := e.Type("#i", "abc"); err != nil {
				t.Fatal(err)
			}
			if err := e.Click("#b"); err != nil {
				t.Fatal(err)
			}
			var title string
			if err := e.Eval(`document.title`, &title); err != nil || title != "abc" {
				t.Errorf("after typing and clicking, title %q (%v), want abc", title, err)
			}
			if u, err := e.URL(); err != nil || u != srv.URL+"/y" {
				t.Errorf("URL %q (%v), want %s/y", u, err, srv.URL)
			}
			for _, size := range [][2]int{{1280, 900}, {800, 700}} {
				if err := e.Resize(size[0], size[1]); err != nil {
					t.Fatal(err)
				}
				var got [2]int
				if err := e.Eval(`[window.innerWidth, window.innerHeight]`, &got); err != nil || got != size {
					t.Errorf("after Resize(%d, %d) the viewport is %dx%d (%v)", size[0], size[1], got[0], got[1], err)
				}
			}
		})
	}
}
