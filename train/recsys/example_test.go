package recsys_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vecdb/vecdb/train/recsys"
)

// Example reads interactions, trains ALS and recommends unseen items: carol
// has watched two science-fiction films and gets the other two.
func Example() {
	const data = `# user item rating
ann   alien        5
ann   blade-runner 4
ann   matrix       5
ann   solaris      4
bob   alien        4
bob   matrix       5
bob   solaris      5
bob   blade-runner 3
carol alien        5
carol matrix       4
dan   casablanca   5
dan   notebook     4
dan   titanic      5
eve   casablanca   4
eve   titanic      5
eve   notebook     5
`
	in, err := recsys.ReadInteractions(strings.NewReader(data), recsys.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := recsys.TrainALS(context.Background(), in, &recsys.ALSOptions{Factors: 4, Lambda: 0.1, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	u := int(in.UserIndex["carol"])
	scores := make([]float32, in.NumItems())
	m.Score(u, scores)
	seen, _ := in.UserRow(u)
	var unseen []int
	for i := range in.NumItems() {
		if !slices.Contains(seen, int32(i)) {
			unseen = append(unseen, i)
		}
	}
	slices.SortFunc(unseen, func(a, b int) int {
		if scores[a] > scores[b] {
			return -1
		}
		return 1
	})
	for _, i := range unseen[:2] {
		fmt.Println(in.Items[i])
	}
	// Unordered output:
	// blade-runner
	// solaris
}
