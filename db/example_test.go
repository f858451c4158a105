package db_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/vecdb/vecdb/db"
)

// Example opens a database, writes two records in one atomic batch and
// runs a filtered search: the README's example.
func Example() {
	dir, err := os.MkdirTemp("", "vecdb-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	d, err := db.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	err = d.CreateCollection(db.Schema{Name: "films", Dim: 4, Metric: db.Cosine,
		Fields: []db.Field{{Name: "genre", Type: db.Keyword}, {Name: "year", Type: db.Int}}})
	if err != nil {
		log.Fatal(err)
	}
	b := d.NewBatch()
	defer b.Close()
	if err := b.Put("films", "alien", []float32{0.9, 0.1, 0.3, 0}, db.Meta{"genre": "scifi", "year": 1979}); err != nil {
		log.Fatal(err)
	}
	if err := b.Put("films", "heat", []float32{0.1, 0.8, 0.2, 0.1}, db.Meta{"genre": "crime", "year": 1995}); err != nil {
		log.Fatal(err)
	}
	if err := d.Apply(b, nil); err != nil {
		log.Fatal(err)
	}
	res, err := d.Search(context.Background(), "films", &db.SearchRequest{
		Vector: []float32{1, 0, 0.2, 0}, K: 10, Filter: `genre = "scifi" AND year < 1990`, WithMeta: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res {
		fmt.Printf("%s %.4f %v\n", r.ID, r.Distance, r.Meta)
	}
	// Output:
	// alien 0.0132 map[genre:scifi year:1979]
}
