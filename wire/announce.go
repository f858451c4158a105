package wire

import "time"

// AnnouncementFile is the file a server writes into the directory of the
// database it holds (see server.Announce), so that a command line run
// against that directory finds the server (see client.Discover) instead
// of failing on the database's lock.
const AnnouncementFile = "vecdb-server.json"

// Announcement is the content of AnnouncementFile: where the server of a
// database listens, its process and when it started.
type Announcement struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:7700.
	URL string `json:"url"`
	// PID is the server's process ID.
	PID int `json:"pid"`
	// Started is when the server started serving.
	Started time.Time `json:"started"`
	// CertFile, for an https URL, is the absolute path of the server's
	// certificate (PEM), which a command line on this machine trusts when
	// it talks to the server, so a self-signed certificate works.
	CertFile string `json:"cert_file,omitempty"`
}
