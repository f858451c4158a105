package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/train/traintest"
)

// TestImageCLI: train cnn writes embeddings that carry the network;
// stats shows it; a search by a raw image vector, by --image PNG and by
// an upserted raw image all go through the model; embed applies it to
// another collection's records and to a folder of images.
func TestImageCLI(t *testing.T) {
	t.Setenv("VECDB_SERVER", "")
	dir := t.TempDir()
	dbDir := filepath.Join(dir, "db")
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	var lines strings.Builder
	for i := range 300 {
		v, _ := json.Marshal(traintest.BarImage(rng, i%2))
		fmt.Fprintf(&lines, "{\"id\":\"i%d\",\"vector\":%s,\"meta\":{\"label\":%q}}\n", i, v, []string{"h", "v"}[i%2])
	}
	imgs := filepath.Join(dir, "imgs.jsonl")
	if err := os.WriteFile(imgs, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	pngDir := filepath.Join(dir, "png")
	if err := os.Mkdir(pngDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, class := range []int{0, 1} {
		traintest.WritePNG(t, filepath.Join(pngDir, []string{"h", "v"}[i]+".png"), traintest.BarImage(rng, class), 8, 8)
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out := cliOutput(ctx, append([]string{"--db", dbDir}, args...)...)
		if strings.Contains(out, "exit: 1") {
			t.Fatalf("vecdb %v: %s", args, out)
		}
		return out
	}
	mustRun("create", "img", "--dim", "64", "--field", "label:keyword")
	mustRun("import", "img", imgs)
	out := mustRun("train", "cnn", "--from", "img", "--label", "label", "--shape", "8x8x1", "--collection", "emb",
		"--dim", "8", "--epochs", "6", "--threads", "1", "--json")
	var tr cnnTrainJSON
	if err := json.Unmarshal([]byte(out), &tr); err != nil || tr.Images != 300 || tr.Classes != 2 || tr.Written != 300 || tr.Dim != 8 {
		t.Fatalf("train cnn: %s (%v)", out, err)
	}
	var st struct {
		Dim    int    `json:"dim"`
		Metric string `json:"metric"`
		Model  *struct {
			Kind, Shape string
			In, Out     int
		} `json:"model"`
	}
	if err := json.Unmarshal([]byte(mustRun("stats", "emb", "--json")), &st); err != nil || st.Model == nil ||
		st.Model.Kind != "cnn" || st.Model.Shape != "8x8x1" || st.Model.In != 64 || st.Dim != 8 || st.Metric != "cosine" {
		t.Fatalf("stats emb: %+v, %v", st, err)
	}
	// The PNG of a vertical bar: its nearest embeddings are of vertical bars.
	var res struct {
		Results [][]struct {
			ID   string         `json:"id"`
			Meta map[string]any `json:"meta"`
		} `json:"results"`
	}
	for _, class := range []string{"h", "v"} {
		out := mustRun("search", "emb", "--image", filepath.Join(pngDir, class+".png"), "-k", "5", "--with-meta", "--json")
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		votes := 0
		for _, h := range res.Results[0] {
			if h.Meta["label"] == class {
				votes++
			}
		}
		if votes < 4 {
			t.Errorf("--image %s.png: %d of 5 nearest share its class: %s", class, votes, out)
		}
	}
	// A raw image vector as --vector, and one upserted: embedded by the model.
	raw := traintest.BarImage(rng, 1)
	vals := make([]string, len(raw))
	for i, x := range raw {
		vals[i] = fmt.Sprint(x)
	}
	mustRun("search", "emb", "--vector", strings.Join(vals, ","), "-k", "3")
	rawLine, _ := json.Marshal(map[string]any{"id": "new", "vector": raw, "meta": map[string]any{"label": "v"}})
	newFile := filepath.Join(dir, "new.jsonl")
	if err := os.WriteFile(newFile, append(rawLine, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun("import", "emb", newFile)
	var rec struct {
		Vector []float32 `json:"vector"`
	}
	if err := json.Unmarshal([]byte(mustRun("get", "emb", "new", "--json")), &rec); err != nil || len(rec.Vector) != 8 {
		t.Fatalf("an upserted raw image: %+v, %v", rec, err)
	}
	// Searching with the raw image equals searching with its embedding
	// (the stored vector of the upserted record), and --image of a PNG of
	// those pixels equals both.
	emb := make([]string, len(rec.Vector))
	for i, x := range rec.Vector {
		emb[i] = fmt.Sprint(x)
	}
	byRaw := mustRun("search", "emb", "--vector", strings.Join(vals, ","), "-k", "5", "--json")
	if byEmb := mustRun("search", "emb", "--vector", strings.Join(emb, ","), "-k", "5", "--json"); byRaw != byEmb {
		t.Errorf("search by the raw image:\n%s\nby its embedding:\n%s", byRaw, byEmb)
	}
	rawPNG := filepath.Join(dir, "raw.png")
	traintest.WritePNG(t, rawPNG, raw, 8, 8)
	if byImage := mustRun("search", "emb", "--image", rawPNG, "-k", "5", "--json"); byImage != byRaw {
		t.Errorf("search by --image of the raw pixels:\n%s\nby the pixels:\n%s", byImage, byRaw)
	}
	// --id of a record in another collection: the raw image i3 of "img",
	// embedded by emb's model, searches like emb's own record i3 (its
	// embedding, and itself left out).
	byFrom := mustRun("search", "emb", "--id", "i3", "--from", "img", "-k", "5", "--json")
	if byOwn := mustRun("search", "emb", "--id", "i3", "-k", "5", "--json"); byFrom != byOwn {
		t.Errorf("search --id i3 --from img:\n%s\n--id i3 in emb itself:\n%s", byFrom, byOwn)
	}
	if got := cliOutput(ctx, "--db", dbDir, "search", "emb", "--id", "nope", "--from", "img"); !strings.Contains(got, "exit: 1") {
		t.Errorf("--from with a missing record: %s", got)
	}
	if got := cliOutput(ctx, "--db", dbDir, "search", "emb", "--vector", "1,2,3"); !strings.Contains(got, "or 64, the input of its cnn model") {
		t.Errorf("a vector of neither dimension: %s", got)
	}
	// embed: another collection's records, and a folder of images.
	mustRun("embed", "--with", "emb", "--from", "img", "--collection", "emb2")
	if got := mustRun("get", "emb2", "i3", "--json"); !strings.Contains(got, `"label":"v"`) {
		t.Errorf("embed kept no metadata: %s", got)
	}
	if got := mustRun("stats", "emb2", "--json"); !strings.Contains(got, `"kind":"cnn"`) {
		t.Errorf("the embedded collection records no model: %s", got)
	}
	mustRun("embed", "--with", "emb", "--images", pngDir, "--collection", "pngs")
	if got := mustRun("list"); !strings.Contains(got, "pngs") {
		t.Errorf("list after embed --images: %s", got)
	}
	if got := mustRun("get", "pngs", "v", "--json"); !strings.Contains(got, `"id":"v"`) {
		t.Errorf("embed --images: %s", got)
	}
	if got := cliOutput(ctx, "--db", dbDir, "embed", "--with", "img", "--from", "img", "--collection", "x"); !strings.Contains(got, "was not produced by a model") {
		t.Errorf("embed with a collection no model made: %s", got)
	}

	// pca and rp: projections stored with their collections; eval knn
	// scores the embeddings by their labels.
	if got := mustRun("train", "pca", "--from", "img", "--collection", "pca", "--dim", "8", "--json"); !strings.Contains(got, `"written":300`) {
		t.Errorf("train pca: %s", got)
	}
	if got := mustRun("train", "rp", "--from", "img", "--collection", "rp", "--dim", "16", "--json"); !strings.Contains(got, `"written":300`) {
		t.Errorf("train rp: %s", got)
	}
	if got := mustRun("stats", "pca", "--json"); !strings.Contains(got, `"kind":"pca"`) || !strings.Contains(got, `"in":64`) {
		t.Errorf("stats pca: %s", got)
	}
	mustRun("search", "pca", "--vector", strings.Join(vals, ","), "-k", "3")
	var knn struct {
		K         int     `json:"k"`
		Queries   int     `json:"queries"`
		Vote      float64 `json:"vote_accuracy"`
		Agreement float64 `json:"label_agreement"`
	}
	for _, coll := range []string{"emb2", "pca"} {
		if err := json.Unmarshal([]byte(mustRun("eval", "knn", "--collection", coll, "--queries", coll, "--label", "label", "--json")), &knn); err != nil {
			t.Fatal(err)
		}
		if knn.K != 10 || knn.Queries != 300 || knn.Vote < 0.9 {
			t.Errorf("eval knn on %s: %+v", coll, knn)
		}
	}
}
