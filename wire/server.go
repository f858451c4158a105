package wire

// Dropped answers DELETE /v1/collections/{c}.
type Dropped struct {
	Dropped string `json:"dropped"`
}

// DeleteRequest is the body of POST /v1/collections/{c}/delete: the
// records to delete in one atomic batch.
type DeleteRequest struct {
	IDs []string `json:"ids"`
}
